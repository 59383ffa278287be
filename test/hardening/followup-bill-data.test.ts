import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: a stored usage row from before the usage bounds, within them but at a frozen unit price that makes
 * a bill line (or the bill's total) pass 2^53 fen, cannot be billed. Reading that org's open month answers a
 * stable 409 BILL_DATA_INVALID naming the events, never a 500, and changes nothing; other orgs read as usual.
 */
let t: TestTally;
const MONTH = '2026-11';
const fixtures: Record<
  'healthy' | 'unsafePrice' | 'bigLine' | 'bigTotal',
  { org: OrgFixture; clusterId: string }
> = {} as never;

async function storedUsage(o: { org: OrgFixture; clusterId: string }, id: string, microsPerUnit: bigint) {
  // As an ingest without bounds on the price stored it: 10,000,000 GB over a whole month (744 hours).
  await sql`insert into usage_events (org_id, id, cluster_id, metric, quantity_milli, start_at, end_at, units,
      micros_per_unit, bill_month, received_at)
    values (${o.org.id}, ${id}, ${o.clusterId}, 'storage', 10000000000, '2026-11-01T00:00:00Z',
      '2026-11-01T23:00:00Z', 744, ${microsPerUnit.toString()}::bigint, ${MONTH}, '2026-11-02T07:00:00Z')`.execute(
    t.deps.db,
  );
}

beforeAll(async () => {
  t = await startTestTally();
  for (const name of ['healthy', 'unsafePrice', 'bigLine', 'bigTotal'] as const) {
    const org = await createOrg(t);
    fixtures[name] = { org, clusterId: (await buyCluster(t, org)).cluster.id };
  }
  await storedUsage(fixtures.healthy, 'fine', 417n);
  // A price past 2^53 itself (int8 holds it; a JS number cannot).
  await storedUsage(fixtures.unsafePrice, 'unsafe-price', 9_000_000_000_000_000_000n);
  await storedUsage(fixtures.unsafePrice, 'fine-too', 417n);
  // A safe price whose line is about 6.7 × 10^19 fen.
  await storedUsage(fixtures.bigLine, 'big-line', 9_007_199_254_740_991n);
  // Two lines of about 5 × 10^15 fen each: each is safe, their total is not.
  await storedUsage(fixtures.bigTotal, 'half-a', 672_043_010_752n);
  await storedUsage(fixtures.bigTotal, 'half-b', 672_043_010_753n);
});

const read = (o: OrgFixture, path: string) =>
  api(t, 'GET', `/v1/orgs/${o.id}${path}`, { auth: o.admin.auth });

describe('a stored usage line past 2^53 fen', () => {
  it.each([
    ['unsafePrice', ['unsafe-price']],
    ['bigLine', ['big-line']],
    ['bigTotal', ['half-a', 'half-b']],
  ] as const)(
    '%s: the bill list and the open month answer 409 BILL_DATA_INVALID naming the events',
    async (name, ids) => {
      const { org } = fixtures[name];
      for (const path of ['/bills', `/bills/${MONTH}`]) {
        const r = await read(org, path);
        expect(r.status, `${path} ${r.body}`).toBe(409);
        expect(r.json.error.code).toBe('BILL_DATA_INVALID');
        expect(r.json.error.message).toMatch(/safe integer/);
        expect(r.json.error.details).toMatchObject({ month: MONTH, eventIds: [...ids] });
      }
    },
  );

  it('the month’s PDF and spreadsheet answer the same 409', async () => {
    const { org } = fixtures.bigLine;
    for (const path of [`/bills/${MONTH}/document`, `/bills/${MONTH}/export`]) {
      const r = await read(org, path);
      expect(r.status, `${path} ${r.body}`).toBe(409);
      expect(r.json.error.code).toBe('BILL_DATA_INVALID');
    }
  });

  it('the OpenAPI document lists the 409 on every bill read', async () => {
    const doc = await api(t, 'GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    for (const path of ['', '/{month}', '/{month}/document', '/{month}/export']) {
      const conflict = doc.json.paths[`/v1/orgs/{orgId}/bills${path}`].get.responses['409'];
      expect(conflict?.description, path).toContain('BILL_DATA_INVALID');
    }
  });

  it('another org’s bills read as usual', async () => {
    const { org } = fixtures.healthy;
    const list = await read(org, '/bills');
    expect(list.status, list.body).toBe(200);
    const month = await read(org, `/bills/${MONTH}`);
    expect(month.status, month.body).toBe(200);
    expect(month.json.status).toBe('open');
    expect(month.json.usageAmount).toBeGreaterThan(0);
  });
});

describe('the bills job', () => {
  it('issues the other orgs’ bills and isolates each org whose usage cannot be billed, naming the events', async () => {
    t.clock.set(new Date('2026-12-01T00:02:00Z'));
    await t.jobs.runAllOnce();
    const healthy = await read(fixtures.healthy.org, `/bills/${MONTH}`);
    expect(healthy.status, healthy.body).toBe(200);
    expect(healthy.json.status).not.toBe('open');

    const board = await api(t, 'GET', '/v1/internal/jobs', { auth: t.op });
    expect(board.status, board.body).toBe(200);
    const failing = (
      board.json.failingOrgs as { job: string; orgId: string; key: string; lastError: string }[]
    )
      .filter((f) => f.job === 'bills')
      .sort((a, b) => (a.orgId < b.orgId ? -1 : 1));
    const bad = (['unsafePrice', 'bigLine', 'bigTotal'] as const).map((n) => fixtures[n].org.id).sort();
    expect(failing.map((f) => f.orgId)).toEqual(bad);
    for (const f of failing) {
      expect(f.key).toBe(MONTH);
      expect(f.lastError).toMatch(/safe integer/);
    }
    expect(failing.find((f) => f.orgId === fixtures.bigTotal.org.id)!.lastError).toMatch(/half-a, half-b/);
    // Nothing was issued for them: their month still answers the 409.
    const still = await read(fixtures.bigTotal.org, `/bills/${MONTH}`);
    expect(still.status, still.body).toBe(409);
    expect(still.json.error.code).toBe('BILL_DATA_INVALID');
  });
});
