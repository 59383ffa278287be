import { beforeAll, describe, expect, it } from 'vitest';
import { GAUGE_MAX_AGE_MS, type Tally } from '../../server/src/server.js';
import { api, buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { startConsoleTally } from './console-tally.js';

/**
 * /metrics is for the operator only (SPEC §11): the operator token on the public port, or no auth on a
 * separate listener (TALLY_METRICS_PORT) and then nothing on the public port. The order gauges are not
 * recomputed over the whole table on every scrape.
 */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const scrape = (headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url: '/metrics', headers });

function unpaidGauge(body: string): number {
  const m = /^tally_orders\{status="unpaid"\} (\d+)$/m.exec(body);
  expect(m, body).not.toBeNull();
  return Number(m![1]);
}

describe('/metrics on the public port', () => {
  it('is 401 without a token, in the error format', async () => {
    const r = await scrape();
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('UNAUTHENTICATED');
    expect(r.body).not.toContain('tally_');
  });

  it("is 403 with an org member's API key and 401 with a wrong token", async () => {
    const member = await scrape(org.admin.auth);
    expect(member.statusCode).toBe(403);
    expect(member.body).not.toContain('tally_');
    const wrong = await scrape({ authorization: 'Bearer not-the-operator-token-at-all' });
    expect(wrong.statusCode).toBe(401);
  });

  it('is 200 with the operator token', async () => {
    const r = await scrape(t.op);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    expect(r.body).toContain('tally_http_requests_total');
    expect(r.body).toContain('tally_sweeper_lag_seconds');
    unpaidGauge(r.body);
  });

  it('serves cached gauges: recomputed only once they are older than the refresh interval', async () => {
    t.clock.advance(GAUGE_MAX_AGE_MS);
    const before = unpaidGauge((await scrape(t.op)).body);
    await buyCluster(t, org);
    // Within the interval the gauge is the cached value, however often it is scraped.
    for (let i = 0; i < 3; i++) expect(unpaidGauge((await scrape(t.op)).body)).toBe(before);
    t.clock.advance(GAUGE_MAX_AGE_MS);
    expect(unpaidGauge((await scrape(t.op)).body)).toBe(before + 1);
  });
});

describe('TALLY_METRICS_PORT: a separate listener', () => {
  let tally: Tally;
  let base: string;

  beforeAll(async () => {
    // With the console, whose catch-all must not answer /metrics with its page either.
    tally = await startConsoleTally({ metricsPort: 18_409 });
    expect(tally.metricsApp).toBeDefined();
    // Port 0: the test needs a listener, not that number (the server listens on the configured port).
    base = await tally.metricsApp!.listen({ port: 0, host: '127.0.0.1' });
  });

  it('serves /metrics there without auth', async () => {
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    const body = await r.text();
    expect(body).toContain('tally_http_requests_total');
    unpaidGauge(body);
  });

  it('serves nothing else there', async () => {
    for (const path of ['/v1/catalog', '/healthz', '/']) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });

  it('and no /metrics on the public port, even with the operator token', async () => {
    const r = await tally.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${tally.deps.config.operatorToken}` },
    });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('NOT_FOUND');
    expect(r.body).not.toContain('tally_');
    expect((await api({ app: tally.app } as TestTally, 'GET', '/healthz')).status).toBe(200);
  });
});
