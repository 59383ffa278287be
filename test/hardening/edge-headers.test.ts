import { beforeAll, describe, expect, it } from 'vitest';
import type { Tally } from '../../server/src/server.js';
import { startConsoleTally } from './console-tally.js';

/**
 * Security headers (SPEC §11): console pages carry a CSP without inline script, frame-ancestors 'none',
 * nosniff and a strict Referrer-Policy; API answers carry nosniff and no-referrer; HSTS only behind HTTPS.
 */
let plain: Tally;
let https: Tally;

// Two servers on fresh databases: slow on a loaded machine, so a longer hook timeout.
beforeAll(async () => {
  plain = await startConsoleTally({ cookieSecure: false });
  https = await startConsoleTally({ cookieSecure: true });
}, 180_000);

const get = (t: Tally, url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

/** The directives of a Content-Security-Policy header, by name. */
function csp(header: unknown): Map<string, string[]> {
  expect(typeof header, 'content-security-policy header').toBe('string');
  const out = new Map<string, string[]>();
  for (const d of String(header).split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), values);
  }
  return out;
}

describe('console pages', () => {
  for (const url of ['/', '/orders', '/bills/2026-11']) {
    it(`${url}: CSP without inline script, frame-ancestors 'none', nosniff, strict referrer`, async () => {
      const r = await get(plain, url);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toContain('text/html');
      const policy = csp(r.headers['content-security-policy']);
      const scripts = policy.get('script-src') ?? policy.get('default-src');
      expect(scripts).toBeDefined();
      expect(scripts).not.toContain("'unsafe-inline'");
      expect(scripts).not.toContain("'unsafe-eval'");
      expect(scripts).not.toContain('*');
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(policy.get('object-src')).toEqual(["'none'"]);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(['no-referrer', 'same-origin', 'strict-origin']).toContain(r.headers['referrer-policy']);
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['strict-transport-security']).toBeUndefined();
    });
  }

  it('the page itself has no inline script, so the policy does not break it', async () => {
    const html = (await get(plain, '/')).body;
    const tags = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    for (const [, attrs, body] of tags) {
      expect(attrs, 'every script is loaded from a file').toMatch(/\bsrc=/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\bon[a-z]+\s*=\s*["']/i);
    expect(html).not.toMatch(/javascript:/i);
    // What the page loads comes from this origin (script-src 'self') with a type nosniff accepts.
    for (const [, ref] of html.matchAll(/\b(?:src|href)="([^"]+)"/g)) {
      if (ref!.startsWith('data:')) continue;
      expect(ref, 'same origin').toMatch(/^\/[^/]/);
      const r = await get(plain, ref!);
      expect(r.statusCode, ref).toBe(200);
      if (ref!.endsWith('.js')) expect(r.headers['content-type'], ref).toContain('text/javascript');
      if (ref!.endsWith('.css')) expect(r.headers['content-type'], ref).toContain('text/css');
    }
  });

  it('a path the router decodes to a stray percent is not a 5xx', async () => {
    for (const url of ['/x%25E0%25A4%25A', '/assets/%25', '/%25']) {
      const r = await get(plain, url);
      expect(r.statusCode, url).toBeLessThan(500);
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });
});

describe('API answers', () => {
  for (const url of ['/v1/catalog', '/v1/me', '/v1/openapi.json', '/healthz', '/v1/no-such-route']) {
    it(`${url}: nosniff and no referrer`, async () => {
      const r = await get(plain, url);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(csp(r.headers['content-security-policy']).get('frame-ancestors')).toEqual(["'none'"]);
    });
  }
});

describe('HSTS only behind HTTPS (TALLY_COOKIE_SECURE=1)', () => {
  for (const url of ['/', '/v1/catalog']) {
    it(url, async () => {
      const r = await get(https, url);
      expect(r.headers['strict-transport-security']).toMatch(/max-age=\d{7,}/);
      expect((await get(plain, url)).headers['strict-transport-security']).toBeUndefined();
    });
  }
});
