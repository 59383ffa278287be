import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../server/src/config.js';
import { ManualClock } from '../../server/src/platform/clock.js';
import { createTally, type Tally } from '../../server/src/server.js';
import { api, createOrg, type OrgFixture } from '../factories.js';
import { closeAfterFile, freshDatabase, type TestTally } from '../harness.js';

/**
 * Malformed input is a 4xx in the error format of SPEC §7.1, never Fastify's own body nor a 5xx, and never an
 * error-level log line: a bad URL encoding, a path value without its format (a bill month 2026-13 is 400
 * naming YYYY-MM), a bad query string; an unknown route is 404 NOT_FOUND; a malformed or unknown id is 404.
 */
const logLines: { level: number; msg?: string }[] = [];
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  const database = await freshDatabase(4);
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
        done();
      },
    }),
  ) as unknown as FastifyBaseLogger;
  const config = testConfig({ provisionSeconds: 10 });
  const tally: Tally = await createTally({
    config,
    database,
    clock: new ManualClock('2026-11-02T08:00:00Z'),
    log,
  });
  closeAfterFile(async () => {
    await tally.close();
    await database.close();
  });
  t = {
    ...tally,
    clock: new ManualClock('2026-11-02T08:00:00Z'),
    config,
    op: { authorization: `Bearer ${config.operatorToken}` },
  };
  org = await createOrg(t);
});

function expectErrorFormat(r: { status: number; json: any; body: string }, status: number, code: string) {
  expect(r.status, r.body).toBe(status);
  expect(r.json, r.body).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String) }),
  });
  expect(
    Object.keys(r.json.error).every((k) => ['code', 'message', 'details'].includes(k)),
    r.body,
  ).toBe(true);
  expect(r.body).not.toMatch(/FST_ERR|statusCode|stack/);
}

describe('malformed URL encoding, with no cookie and no credentials', () => {
  for (const url of [
    '/v1/orgs/%E0%A4%A/orders',
    '/v1/orgs/org_1/orders/%E0%A4%A',
    '/v1/orgs/a%ZZ/bills/2026-11',
    '/%E0%A4%A',
    '/v1/%',
  ]) {
    it(url, async () => {
      const r = await api(t, 'GET', url);
      expectErrorFormat(r, 400, 'VALIDATION_FAILED');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    });
  }

  it('the same with credentials and on a POST', async () => {
    expectErrorFormat(
      await api(t, 'GET', `/v1/orgs/${org.id}/orders/%E0%A4%A`, { auth: org.admin.auth }),
      400,
      'VALIDATION_FAILED',
    );
    expectErrorFormat(
      await api(t, 'POST', `/v1/orgs/${org.id}/orders/%C0%AF/pay`, { auth: org.admin.auth, body: {} }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('a malformed query string is a validation error, not a 5xx', async () => {
    for (const q of ['status=%E0%A4%A', 'limit=%ZZ', 'q=%', 'cursor=%E0%A4%A', 'q=%00', 'q=a%00b', '%00=1']) {
      const r = await api(t, 'GET', `/v1/orgs/${org.id}/orders?${q}`, { auth: org.admin.auth });
      expectErrorFormat(r, 400, 'VALIDATION_FAILED');
    }
  });
});

describe('path values with a format', () => {
  for (const month of ['2026-13', '2026-00', '2026-1', '26-11', 'november', '2026-11-01']) {
    for (const suffix of ['', '/document', '/export']) {
      it(`bills/${month}${suffix} is 400 VALIDATION_FAILED naming the format`, async () => {
        const r = await api(t, 'GET', `/v1/orgs/${org.id}/bills/${month}${suffix}`, { auth: org.admin.auth });
        expectErrorFormat(r, 400, 'VALIDATION_FAILED');
        expect(r.json.error.message).toContain('YYYY-MM');
        expect(r.json.error.details).toMatchObject({ in: 'path', issues: [{ field: 'month' }] });
      });
    }
  }

  it('a well-formed month is served', async () => {
    const r = await api(t, 'GET', `/v1/orgs/${org.id}/bills/2026-11`, { auth: org.admin.auth });
    expect(r.status, r.body).toBe(200);
  });

  it('an unknown but well-formed id stays 404, and so does an id that cannot exist', async () => {
    for (const url of [
      '/v1/orgs/org_00000000000000000000000000/bills/2026-11',
      `/v1/orgs/${org.id}/orders/ord_00000000000000000000000000`,
      `/v1/orgs/${org.id}/orders/${encodeURIComponent('<script>')}`,
      `/v1/orgs/${encodeURIComponent("x' or 1=1")}/bills/2026-11`,
    ]) {
      expectErrorFormat(await api(t, 'GET', url, { auth: org.admin.auth }), 404, 'NOT_FOUND');
    }
  });

  it('a bank reference with characters it cannot hold is 400, an unknown one 404', async () => {
    const bad = await api(t, 'POST', `/v1/internal/bank-transfers/${encodeURIComponent('参考 1')}/assign`, {
      auth: t.op,
      body: { orgId: org.id },
    });
    expectErrorFormat(bad, 400, 'VALIDATION_FAILED');
    expect(bad.json.error.details).toMatchObject({ in: 'path', issues: [{ field: 'bankReference' }] });
  });
});

describe('unknown routes', () => {
  for (const [method, url] of [
    ['GET', '/v1/no-such-thing'],
    ['GET', '/nope'],
    ['POST', '/v1/orgs/x/nothing'],
    ['DELETE', '/v1/orgs/x/orders'],
    ['PUT', '/v1/me'],
  ] as const) {
    it(`${method} ${url} is 404 NOT_FOUND in the error format`, async () => {
      const res = await t.app.inject({ method, url });
      expectErrorFormat({ status: res.statusCode, json: res.json(), body: res.body }, 404, 'NOT_FOUND');
    });
  }
});

describe('client errors are not logged as errors', () => {
  it('no error-level line after all of the above', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
