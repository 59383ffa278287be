import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../server/src/config.js';
import { connect } from '../../server/src/db/connect.js';
import { createTally, type Tally } from '../../server/src/server.js';
import { api, createOrg, type OrgFixture, runningCluster, topUp } from '../factories.js';
import { BILLING_TEST_CATALOG, onPostgres, PG_URL, startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

/**
 * Two app instances (own connection pools) on one PostgreSQL, racing the monthly bill job against itself,
 * against usage ingestion and against top-ups that pay unpaid bills.
 */
describe.runIf(onPostgres)('bills on two instances (PostgreSQL)', () => {
  let t: TestTally;
  let second: Tally;

  beforeAll(async () => {
    t = await startTestTally({ poolSize: 12, catalog: BILLING_TEST_CATALOG });
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.deps.db)).rows[0]!.s;
    const db2 = await connect({ databaseUrl: PG_URL, schema, poolSize: 12 });
    second = await createTally({ config: testConfig(), database: db2, clock: t.clock });
    afterAll(async () => {
      await second.close();
      await db2.close();
    });
  });

  it('issues each org’s bill once, pays it at most once, and spends no coupon twice', async () => {
    const orgs: { org: OrgFixture; clusterId: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const org = await createOrg(t, { projects: 1 });
      const c = await runningCluster(t, org);
      orgs.push({ org, clusterId: c.id });
      await api(t, 'POST', `/v1/internal/orgs/${org.id}/coupons`, {
        auth: t.op,
        body: { amount: 1_000, expiresAt: '2027-06-01T00:00:00Z' },
      });
    }
    const events = orgs.map(({ org, clusterId }) => ({
      id: `cc-${org.id}`,
      orgId: org.id,
      clusterId,
      metric: 'backup',
      quantity: 2_000_000,
      start: '2026-11-01T00:00:00Z',
      end: '2026-11-02T00:00:00Z',
    }));
    expect((await api(t, 'POST', '/v1/internal/usage', { auth: t.op, body: { events } })).status).toBe(200);
    // 2,000,000 GB × 1 day × 3000 µfen = 6,000 fen; the coupon pays 1,000; 5,000 is due.
    t.clock.set('2026-12-01T00:02:00Z');
    const late = orgs.map(({ org, clusterId }) => ({
      id: `cc-late-${org.id}`,
      orgId: org.id,
      clusterId,
      metric: 'storage',
      quantity: 1_000,
      start: '2026-11-30T23:00:00Z',
      end: '2026-12-01T00:00:00Z',
    }));
    await Promise.all([
      t.jobs.runAllOnce(),
      second.jobs.runAllOnce(),
      t.jobs.runAllOnce(),
      second.app.inject({
        method: 'POST',
        url: '/v1/internal/usage',
        headers: t.op,
        payload: { events: late },
      }),
      ...orgs.slice(0, 3).map(({ org }) => topUp(t, org, 2_500)),
      ...orgs.slice(0, 3).map(({ org }) => topUp(t, org, 2_500)),
    ]);
    await Promise.all([t.jobs.runAllOnce(), second.jobs.runAllOnce()]);
    const ids = orgs.map((o) => o.org.id);
    const bills = await t.deps.db.selectFrom('bills').selectAll().where('org_id', 'in', ids).execute();
    expect(bills.filter((b) => b.month === '2026-11')).toHaveLength(orgs.length);
    for (const b of bills.filter((x) => x.month === '2026-11')) {
      expect(b.coupon_amount).toBe(1_000);
      // the late storage events are in November's bill or (issued first) in December's: never lost, never twice
      const lines = await t.deps.db
        .selectFrom('bill_lines')
        .select(['metric', 'amount'])
        .where('org_id', '=', b.org_id)
        .where('month', '=', '2026-11')
        .execute();
      expect(lines.reduce((s, l) => s + l.amount, 0)).toBe(b.total_amount);
    }
    const payments = await sql<{ org_id: string; n: number }>`
      select org_id, count(*)::int as n from ledger_transactions
      where kind = 'bill_payment' and org_id in (${sql.join(ids)}) group by org_id`.execute(t.deps.db);
    for (const p of payments.rows) expect(p.n).toBe(1);
    // The three topped-up orgs have 5,000 fen and the bill due is ≤ 5,000 + late storage: paid from cash.
    const paid = bills.filter((b) => b.status === 'paid').map((b) => b.org_id);
    expect(payments.rows.map((p) => p.org_id).sort()).toEqual(
      paid.filter((id) => bills.find((b) => b.org_id === id)!.amount_due > 0).sort(),
    );
    const coupons = await t.deps.db
      .selectFrom('coupons')
      .select(['remaining'])
      .where('org_id', 'in', ids)
      .execute();
    for (const c of coupons) expect(c.remaining).toBe(0);
    const usage = await sql<{ n: number }>`
      select count(*)::int as n from usage_events where org_id in (${sql.join(ids)})`.execute(t.deps.db);
    expect(usage.rows[0]!.n).toBe(orgs.length * 2);
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });
});
