import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../server/src/config.js';
import { acceptedEncodings, serveConsoleFrom } from '../server/src/http/console.js';
import { ManualClock } from '../server/src/platform/clock.js';
import { createTally, type Tally } from '../server/src/server.js';
import { closeAfterFile, ENGINE, freshDatabase } from './harness.js';

/**
 * The console's static files: the pre-compressed copy the client accepts (br > gzip > identity) with its
 * headers, a year of caching for content-named files and revalidation (ETag, 304) for index.html, 404 for a
 * file that is not there (never index.html), and nothing outside the build.
 */

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(dir: string): Promise<Tally> {
  const database = await freshDatabase(2);
  const tally = await createTally({
    config: testConfig({ cookieSecure: false }),
    database,
    clock: new ManualClock('2026-11-02T08:00:00Z'),
    extend: serveConsoleFrom(dir),
  });
  closeAfterFile(async () => {
    await tally.close();
    await database.close();
  });
  return tally;
}

type Raw = { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer };
const get = async (t: Tally, url: string, headers: Record<string, string> = {}): Promise<Raw> =>
  (await t.app.inject({ method: 'GET', url, headers })) as unknown as Raw;

/** The body as the browser sees it after undoing Content-Encoding. */
function decoded(r: Raw): Buffer {
  const enc = r.headers['content-encoding'];
  if (enc === 'br') return brotliDecompressSync(r.rawPayload);
  if (enc === 'gzip') return gunzipSync(r.rawPayload);
  expect(enc).toBeUndefined();
  return r.rawPayload;
}

describe('Accept-Encoding', () => {
  it('reads q-values, * and x-gzip', () => {
    const acc = (h: string | undefined) => [...acceptedEncodings(h)].sort();
    expect(acc('gzip, deflate, br, zstd')).toEqual(['br', 'gzip']);
    expect(acc('gzip')).toEqual(['gzip']);
    expect(acc('br;q=0, gzip;q=0.5')).toEqual(['gzip']);
    expect(acc('*')).toEqual(['br', 'gzip']);
    expect(acc('*, br;q=0')).toEqual(['gzip']);
    expect(acc('x-gzip')).toEqual(['gzip']);
    expect(acc('identity')).toEqual([]);
    expect(acc('')).toEqual([]);
    expect(acc(undefined)).toEqual([]);
    expect(acc('BR; Q=1')).toEqual(['br']);
  });
});

describe('a console build with compressed copies', () => {
  let t: Tally;
  const js = Buffer.from(`export const answer = ${JSON.stringify('订单'.repeat(2000))};\n`);
  const css = Buffer.from('.a{color:red}\n'.repeat(500));
  const html = Buffer.from(
    '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>',
  );
  beforeAll(async () => {
    const dir = tempDir('console-assets-');
    mkdirSync(join(dir, 'assets'));
    const write = (name: string, body: Buffer, copies: ('br' | 'gz')[]) => {
      writeFileSync(join(dir, name), body);
      if (copies.includes('br')) writeFileSync(join(dir, `${name}.br`), brotliCompressSync(body));
      if (copies.includes('gz')) writeFileSync(join(dir, `${name}.gz`), gzipSync(body));
    };
    write('index.html', html, ['br', 'gz']);
    write('assets/index-Ab12Cd34.js', js, ['br', 'gz']);
    write('assets/style-Zz98Yy76.css', css, ['gz']); // no brotli copy: gzip is the best there is
    write('assets/tiny-Qq11Ww22.js', Buffer.from('export{};'), []); // too small to compress
    write('robots.txt', Buffer.from('User-agent: *\n'), []);
    // A file beside the build that `..` must not reach.
    writeFileSync(join(dir, '..', `${dir.split(/[\\/]/).pop()}-secret.txt`), 'TOP-SECRET-CONTENT');
    dirs.push(join(dir, '..', `${dir.split(/[\\/]/).pop()}-secret.txt`));
    t = await serve(dir);
  }, 120_000);

  it('br, gzip and identity answers decode to the same bytes, each with its headers', async () => {
    const url = '/assets/index-Ab12Cd34.js';
    const cases: [string | undefined, string | undefined][] = [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip, deflate', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['identity', undefined],
      [undefined, undefined],
    ];
    for (const [accept, encoding] of cases) {
      const r = await get(t, url, accept === undefined ? {} : { 'accept-encoding': accept });
      expect(r.statusCode, String(accept)).toBe(200);
      expect(r.headers['content-encoding'], String(accept)).toBe(encoding);
      expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(r.headers.vary).toMatch(/accept-encoding/i);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(Number(r.headers['content-length'])).toBe(r.rawPayload.length);
      expect(decoded(r).equals(js), `${accept}: same bytes`).toBe(true);
      if (encoding) expect(r.rawPayload.length).toBeLessThan(js.length / 4);
    }
  });

  it('a file without a brotli copy goes out as gzip; one without copies as it is', async () => {
    const style = await get(t, '/assets/style-Zz98Yy76.css', { 'accept-encoding': 'br, gzip' });
    expect(style.headers['content-encoding']).toBe('gzip');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(decoded(style).equals(css)).toBe(true);
    const tiny = await get(t, '/assets/tiny-Qq11Ww22.js', { 'accept-encoding': 'br, gzip' });
    expect(tiny.statusCode).toBe(200);
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.rawPayload.toString()).toBe('export{};');
    expect(tiny.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('index.html (and every client-side route) is revalidated, with an ETag per representation and 304', async () => {
    for (const url of ['/', '/index.html', '/orgs/org_1/orders', '/login?next=%2F']) {
      const br = await get(t, url, { 'accept-encoding': 'gzip, br' });
      expect(br.statusCode, url).toBe(200);
      expect(br.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['cache-control']).toBe('no-cache');
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(decoded(br).equals(html)).toBe(true);
      const tag = String(br.headers.etag);
      expect(tag).toMatch(/^"[\w-]+"$/);
      const again = await get(t, url, { 'accept-encoding': 'gzip, br', 'if-none-match': tag });
      expect(again.statusCode, url).toBe(304);
      expect(again.rawPayload.length).toBe(0);
      const plain = await get(t, url, { 'if-none-match': tag });
      expect(plain.statusCode, 'another representation, another tag').toBe(200);
      expect(plain.headers.etag).not.toBe(tag);
      expect(decoded(plain).equals(html)).toBe(true);
    }
    const stale = await get(t, '/', { 'if-none-match': '"an-older-deploy"' });
    expect(stale.statusCode).toBe(200);
  });

  it('a file not named by its content is revalidated', async () => {
    const r = await get(t, '/robots.txt');
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('a missing asset is 404, not index.html (a chunk removed by a deploy fails cleanly)', async () => {
    for (const url of ['/assets/OrdersPage-Gone1234.js', '/assets/index-B5rFy3L7.css', '/favicon.ico']) {
      const r = await get(t, url, { 'accept-encoding': 'br, gzip' });
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type'], url).toMatch(/application\/json/);
      expect(r.rawPayload.toString()).not.toContain('<!doctype');
      expect(String(r.headers['cache-control'] ?? ''), 'a 404 is not cached').not.toContain('immutable');
    }
  });

  it('the compressed copies are not files of their own', async () => {
    for (const url of ['/assets/index-Ab12Cd34.js.br', '/assets/index-Ab12Cd34.js.gz', '/index.html.br'])
      expect((await get(t, url)).statusCode, url).toBe(404);
  });

  it('nothing outside the build is served', async () => {
    const name = `${dirs[0]!.split(/[\\/]/).pop()}-secret.txt`;
    for (const url of [
      `/../${name}`,
      `/%2e%2e/${name}`,
      `/assets/..%2f..%2f${name}`,
      `/assets/%2e%2e%2f%2e%2e%2f${name}`,
      '/..%2f..%2fetc%2fpasswd',
      '/assets/%00.js',
    ]) {
      const r = await get(t, url);
      expect(r.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, url).toBeLessThan(500);
      expect(r.rawPayload.toString(), url).not.toContain('TOP-SECRET-CONTENT');
      expect(r.rawPayload.toString(), url).not.toContain('root:');
    }
  });

  it('the API is not the console', async () => {
    const r = await get(t, '/v1/no-such-route');
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/application\/json/);
  });
});

// The real build (scripts/build-console.mjs): once, on the PGlite run — it needs no database.
describe.skipIf(ENGINE !== 'pglite')('the console build', () => {
  let dir: string;
  let t: Tally;
  beforeAll(async () => {
    dir = tempDir('console-build-');
    const r = spawnSync(process.execPath, ['scripts/build-console.mjs', `--out=${dir}`], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    t = await serve(dir);
  }, 180_000);

  it('writes a brotli and a gzip copy of every script and stylesheet, which decode to the file', () => {
    const assets = readdirSync(join(dir, 'assets'));
    const large = assets.filter(
      (f) => /\.(js|css)$/.test(f) && readFileSync(join(dir, 'assets', f)).length >= 1024,
    );
    expect(large.length).toBeGreaterThan(3);
    for (const f of large) {
      const raw = readFileSync(join(dir, 'assets', f));
      expect(brotliDecompressSync(readFileSync(join(dir, 'assets', `${f}.br`))).equals(raw), f).toBe(true);
      expect(gunzipSync(readFileSync(join(dir, 'assets', `${f}.gz`))).equals(raw), f).toBe(true);
    }
  });

  it('everything index.html loads goes out brotli-compressed and cached for a year', async () => {
    const index = await get(t, '/orgs/org_1/orders', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    const html = decoded(index).toString();
    const refs = [...html.matchAll(/\b(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(1);
    let raw = 0;
    let sent = 0;
    for (const ref of refs) {
      const r = await get(t, ref, { 'accept-encoding': 'gzip, deflate, br, zstd' });
      expect(r.statusCode, ref).toBe(200);
      expect(r.headers['cache-control'], ref).toBe('public, max-age=31536000, immutable');
      const body = decoded(r);
      expect(body.equals(readFileSync(join(dir, ref))), ref).toBe(true);
      if (body.length >= 1024) expect(r.headers['content-encoding'], ref).toBe('br');
      raw += body.length;
      sent += r.rawPayload.length;
    }
    // Minified JavaScript and antd's stylesheet compress at least 3:1.
    expect(sent).toBeLessThan(raw / 3);
  });

  it("splits antd's stylesheet: the first screen's components before the first row, the others named for later", async () => {
    const html = decoded(await get(t, '/orgs/org_1/orders')).toString();
    const laterRef = /<meta name="tally-later-styles" content="(\/assets\/antd-later-[\w-]{8}\.css)">/.exec(
      html,
    )?.[1];
    expect(laterRef).toBeDefined();
    const later = await get(t, laterRef!);
    expect(later.statusCode).toBe(200);
    expect(later.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const laterCss = decoded(later).toString();
    const firstRefs = [...html.matchAll(/<link rel="stylesheet"[^>]*href="(\/assets\/[^"]+\.css)"/g)].map(
      (m) => m[1]!,
    );
    const firstCss = firstRefs.map((ref) => readFileSync(join(dir, ref), 'utf8')).join('\n');
    // The later part comes right after antd's first part (the cascade order of one stylesheet).
    expect(html.indexOf(laterRef!)).toBeGreaterThan(html.indexOf(firstRefs[0]!));
    expect(html.indexOf(laterRef!)).toBeLessThan(html.indexOf(firstRefs.at(-1)!));
    for (const first of ['.ant-table', '.ant-btn', '.ant-select', '.ant-pagination', '.ant-message']) {
      expect(firstCss, first).toContain(`${first}{`);
      expect(laterCss, first).not.toContain(`${first}{`);
    }
    for (const other of ['.ant-picker', '.ant-modal', '.ant-descriptions', '.ant-tabs', '.ant-form']) {
      expect(laterCss, other).toContain(`${other}{`);
      expect(firstCss, other).not.toContain(`${other}{`);
    }
    expect(firstCss.length).toBeLessThan(laterCss.length);
  });
});
