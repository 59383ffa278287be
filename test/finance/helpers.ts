import { sql } from 'kysely';
import { expect } from 'vitest';
import { api, type OrgFixture, runningCluster } from '../factories.js';
import type { TestTally } from '../harness.js';

let seq = 0;

/**
 * Usage that bills exactly `fen` on the org's cluster in the month of `at` (BILLING_TEST_CATALOG: backup is
 * 3,000 millionths of a fen per GB-day, so 1,000 GB for one day is 3 fen): `fen` must be a multiple of 3.
 */
export async function usageOf(t: TestTally, org: OrgFixture, clusterId: string, fen: number) {
  if (fen % 3 !== 0) throw new Error('usageOf: a multiple of 3 fen');
  // An hour that ended an hour ago (in the current month: callers keep the clock past its first 2 hours).
  const start = new Date(t.clock.now().getTime() - 2 * 3_600_000);
  const r = await api(t, 'POST', '/v1/internal/usage', {
    auth: t.op,
    body: {
      events: [
        {
          id: `u-${process.pid}-${++seq}`,
          orgId: org.id,
          clusterId,
          metric: 'backup',
          quantity: (fen / 3) * 1000,
          start: start.toISOString(),
          end: new Date(start.getTime() + 3_600_000).toISOString(),
        },
      ],
    },
  });
  expect(r.status, r.body).toBe(200);
}

/** An org with a serving cluster (its ¥900.00 purchase paid from a top-up of exactly that: cash 0 after). */
export async function orgWithCluster(t: TestTally, create: (t: TestTally) => Promise<OrgFixture>) {
  const org = await create(t);
  const cluster = await runningCluster(t, org, { term: { unit: 'year', count: 1 } });
  return { org, clusterId: cluster.id as string };
}

export async function getBill(t: TestTally, org: OrgFixture, month: string) {
  const r = await api(t, 'GET', `/v1/orgs/${org.id}/bills/${month}`, { auth: org.admin.auth });
  expect(r.status, r.body).toBe(200);
  return r.json;
}

export async function balance(t: TestTally, org: OrgFixture) {
  const r = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
  expect(r.status, r.body).toBe(200);
  return r.json as { cash: number; coupons: number; amountDue: number; frozen: boolean };
}

/** The org's bill payments in the ledger, oldest first: reference and amount (negative: a debit of cash). */
export async function billPayments(t: TestTally, orgId: string) {
  const r = await sql<{ ref_id: string; amount: string }>`
    select t.ref_id, e.amount::text from ledger_transactions t
    join ledger_entries e on e.org_id = t.org_id and e.txn_id = t.id and e.account = 'cash'
    where t.org_id = ${orgId} and t.kind = 'bill_payment' order by e.id`.execute(t.deps.db);
  return r.rows.map((x) => ({ ref: x.ref_id, amount: Number(x.amount) }));
}

/** Outbox events of a type for the org (and month), oldest first. */
export async function events(t: TestTally, orgId: string, type: string, month?: string) {
  const r = await sql<{ payload: unknown; aggregate_id: string }>`
    select payload, aggregate_id from outbox_events where org_id = ${orgId} and type = ${type}
      and (${month ?? null}::text is null or aggregate_id = ${month ?? null})
    order by id`.execute(t.deps.db);
  return r.rows.map((x) => (typeof x.payload === 'string' ? JSON.parse(x.payload) : x.payload));
}

export async function runJobs(t: TestTally) {
  await t.jobs.runAllOnce();
}
