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
 * against usage ingestion and against top-ups; then the confirmation job on both instances against the
 * admins' own confirmations and against top-ups that pay unpaid bills (SPEC §10.2).
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

  it('issues each org’s bill once, confirms and charges it once, and spends no coupon twice', async () => {
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
    // Issued pending confirmation: nothing is taken from cash at issue.
    for (const b of bills.filter((x) => x.month === '2026-11')) expect(b.status).toBe('pending_confirmation');
    const none = await sql<{ n: number }>`
      select count(*)::int as n from ledger_transactions
      where kind = 'bill_payment' and org_id in (${sql.join(ids)})`.execute(t.deps.db);
    expect(none.rows[0]!.n).toBe(0);

    // Friday 2026-12-04 00:00 (issued Tuesday): the confirmation job on both instances, each admin confirming
    // the same bill, and top-ups to the three orgs without cash, all at once.
    t.clock.set('2026-12-04T00:00:00Z');
    await Promise.all([
      t.jobs.runAllOnce(),
      second.jobs.runAllOnce(),
      ...orgs.map(({ org }) =>
        api(t, 'POST', `/v1/orgs/${org.id}/bills/2026-11/confirm`, { auth: org.admin.auth }),
      ),
      ...orgs.map(({ org }) =>
        second.app.inject({
          method: 'POST',
          url: `/v1/orgs/${org.id}/bills/2026-11/confirm`,
          headers: org.admin.auth,
        }),
      ),
      ...orgs.slice(3).map(({ org }) => topUp(t, org, 2_000)),
      ...orgs.slice(3).map(({ org }) => topUp(t, org, 2_000)),
    ]);
    await Promise.all([t.jobs.runAllOnce(), second.jobs.runAllOnce()]);
    const after = await t.deps.db
      .selectFrom('bills')
      .selectAll()
      .where('org_id', 'in', ids)
      .where('month', '=', '2026-11')
      .execute();
    const confirmations = await sql<{ org_id: string; n: number }>`
      select org_id, count(*)::int as n from outbox_events
      where type = 'bill.confirmed' and org_id in (${sql.join(ids)}) group by org_id`.execute(t.deps.db);
    expect(confirmations.rows.map((r) => r.n)).toEqual(orgs.map(() => 1));
    // What the ledger took for each bill is exactly what the bill says was paid: no double charge.
    const taken = await sql<{ org_id: string; amount: string }>`
      select t.org_id, sum(-e.amount)::text as amount from ledger_transactions t
      join ledger_entries e on e.org_id = t.org_id and e.txn_id = t.id and e.account = 'cash'
      where t.kind = 'bill_payment' and t.org_id in (${sql.join(ids)}) group by t.org_id`.execute(t.deps.db);
    const takenOf = new Map(taken.rows.map((r) => [r.org_id, Number(r.amount)]));
    for (const b of after) {
      expect(b.status).not.toBe('pending_confirmation');
      expect(takenOf.get(b.org_id) ?? 0).toBe(b.paid_amount);
      expect(b.paid_amount).toBeLessThanOrEqual(b.amount_due);
      // Each org had 5,000 (two top-ups of 2,500 or of 2,000) for a bill of 5,000 plus late storage.
      const cash = await t.deps.db
        .selectFrom('balances')
        .select('cash')
        .where('org_id', '=', b.org_id)
        .executeTakeFirstOrThrow();
      const had = orgs.findIndex((o) => o.org.id === b.org_id) < 3 ? 5_000 : 4_000;
      expect(cash.cash + b.paid_amount).toBe(had);
      expect(b.status).toBe(b.paid_amount === b.amount_due ? 'paid' : 'unpaid');
    }
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
