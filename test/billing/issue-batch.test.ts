import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { confirmDueBills } from '../../server/src/billing/bill-lifecycle.js';
import { tryLockBillMonths } from '../../server/src/billing/billing.repository.js';
import { issueBill, issueBills, issueDueBills } from '../../server/src/billing/issue-bill.js';
import { sumCashEntries } from '../../server/src/ledger/ledger.repository.js';
import { api, createOrg, type OrgFixture, runningCluster, topUp } from '../factories.js';
import { BILLING_TEST_CATALOG, onPostgres, startTestTally, type TestTally } from '../harness.js';

let t: TestTally;

beforeAll(async () => {
  t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
});

const MONTH = '2027-05';
const ISSUE_AT = new Date('2027-06-01T00:02:00Z');

/** What makes each org's bill different: usage, coupons (with their expiry), cash left for the bill. */
const SPECS = [
  { usage: 50_000, coupons: [], cash: 1_000_000 }, // paid from cash
  { usage: 50_000, coupons: [], cash: 0 }, // unpaid: no cash
  {
    usage: 2_000_000,
    coupons: [
      { amount: 100, expiresAt: '2027-07-01T00:00:00Z' },
      { amount: 5_000, expiresAt: '2027-12-01T00:00:00Z' },
      { amount: 700, expiresAt: '2027-06-15T00:00:00Z' },
    ],
    cash: 10_000,
  }, // three coupons, earliest first, then cash
  { usage: 0, coupons: [{ amount: 100, expiresAt: '2027-07-01T00:00:00Z' }], cash: 0 }, // nothing due
  { usage: 100_000, coupons: [{ amount: 1_000_000, expiresAt: '2027-07-01T00:00:00Z' }], cash: 0 }, // coupon pays all
  { usage: 3_000_000, coupons: [], cash: 50 }, // cash short by a little: the 50 taken, the rest unpaid
] as const;

async function makeOrg(spec: (typeof SPECS)[number]): Promise<OrgFixture> {
  const o = await createOrg(t);
  const c = await runningCluster(t, o);
  if (spec.usage > 0) {
    const r = await api(t, 'POST', '/v1/internal/usage', {
      auth: t.op,
      body: {
        events: [
          {
            id: `u-${o.id}`,
            orgId: o.id,
            clusterId: c.id,
            metric: 'backup',
            quantity: spec.usage,
            start: '2027-05-01T00:00:00Z',
            end: '2027-05-02T00:00:00Z',
          },
        ],
      },
    });
    expect(r.status, r.body).toBeLessThan(300);
  }
  for (const cp of spec.coupons) {
    const r = await api(t, 'POST', `/v1/internal/orgs/${o.id}/coupons`, { auth: t.op, body: cp });
    expect(r.status, r.body).toBe(201);
  }
  if (spec.cash > 0) await topUp(t, o, spec.cash);
  return o;
}

/** An org's issued bill with everything that is not an id: lines, coupon applications, cash, ledger, events. */
async function snapshot(orgId: string) {
  const db = t.deps.db;
  const bill = await db
    .selectFrom('bills')
    .select([
      'month',
      'status',
      'currency',
      'total_amount',
      'prepaid_amount',
      'usage_amount',
      'coupon_amount',
      'amount_due',
      'paid_amount',
      'period_start',
      'period_end',
      'issued_at',
      'due_at',
      'paid_at',
    ])
    .select(sql<boolean>`ledger_txn_id is not null`.as('has_txn'))
    .where('org_id', '=', orgId)
    .execute();
  const lines = await db
    .selectFrom('bill_lines')
    .select([
      'line_no',
      'kind',
      'order_type',
      'region',
      'metric',
      'quantity_milli',
      'unit',
      'micros_per_unit',
      'amount',
      'coupon_amount',
      'due_amount',
    ])
    .where('org_id', '=', orgId)
    .orderBy('line_no')
    .execute();
  const applications = await db
    .selectFrom('bill_coupon_applications as a')
    .innerJoin('coupons as c', (j) => j.onRef('c.org_id', '=', 'a.org_id').onRef('c.id', '=', 'a.coupon_id'))
    .select(['a.line_no', 'a.amount', 'c.expires_at'])
    .where('a.org_id', '=', orgId)
    .orderBy('a.line_no')
    .orderBy('c.expires_at')
    .execute();
  const coupons = await db
    .selectFrom('coupons')
    .select(['remaining', 'expires_at'])
    .where('org_id', '=', orgId)
    .orderBy('expires_at')
    .execute();
  const cash = await db
    .selectFrom('balances')
    .select('cash')
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow();
  const payments = await sql<{ amount: string }>`
    select e.amount::text from ledger_transactions x join ledger_entries e on e.org_id = x.org_id and e.txn_id = x.id
    where x.org_id = ${orgId} and x.kind = 'bill_payment' order by e.account`.execute(db);
  const events = await sql<{ type: string; payload: unknown }>`
    select type, payload from outbox_events where org_id = ${orgId} and type like 'bill.%' order by id`.execute(
    db,
  );
  expect(await sumCashEntries(db, orgId)).toBe(cash.cash);
  return {
    bill,
    lines,
    applications,
    coupons,
    cash: cash.cash,
    payments: payments.rows,
    events: events.rows,
  };
}

describe('issuing many orgs in one transaction', () => {
  it('gives every org exactly the bill, coupon spend, payment and event that issuing it alone gives', async () => {
    t.clock.set('2027-05-03T00:00:00Z');
    const alone: OrgFixture[] = [];
    const together: OrgFixture[] = [];
    for (const spec of SPECS) {
      alone.push(await makeOrg(spec));
      together.push(await makeOrg(spec));
    }
    const before = await makeOrg(SPECS[0]); // billed before the batch: the batch leaves it alone
    const held = onPostgres ? await makeOrg(SPECS[0]) : null; // another instance holds it: busy

    for (const o of alone) {
      const r = await t.deps.db
        .transaction()
        .execute((tx) => issueBill(tx, t.deps.config, o.id, MONTH, ISSUE_AT));
      expect(r.outcome).toBe('issued');
    }
    await t.deps.db.transaction().execute((tx) => issueBill(tx, t.deps.config, before.id, MONTH, ISSUE_AT));
    const beforeSnap = await snapshot(before.id);

    const batch = [...together.map((o) => o.id), before.id];
    let outcomes: Awaited<ReturnType<typeof issueBills>>;
    if (held) {
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => {
        locked = r;
      });
      const holder = t.deps.db.transaction().execute(async (tx) => {
        expect([...(await tryLockBillMonths(tx, MONTH, [held.id]))]).toEqual([held.id]);
        locked();
        await new Promise<void>((r) => {
          release = r;
        });
      });
      await isLocked;
      outcomes = await t.deps.db
        .transaction()
        .execute((tx) => issueBills(tx, t.deps.config, MONTH, [...batch, held.id], ISSUE_AT));
      release();
      await holder;
      expect(outcomes.at(-1)).toEqual({ outcome: 'busy', orgId: held.id, month: MONTH });
      expect((await snapshot(held.id)).bill).toEqual([]);
    } else {
      outcomes = await t.deps.db
        .transaction()
        .execute((tx) => issueBills(tx, t.deps.config, MONTH, batch, ISSUE_AT));
    }
    expect(outcomes.slice(0, together.length).map((r) => r.outcome)).toEqual(together.map(() => 'issued'));
    expect(outcomes[together.length]).toEqual({ outcome: 'exists', orgId: before.id, month: MONTH });
    expect(await snapshot(before.id)).toEqual(beforeSnap);

    const statuses: string[] = [];
    for (let i = 0; i < SPECS.length; i++) {
      const a = await snapshot(alone[i]!.id);
      const b = await snapshot(together[i]!.id);
      expect(b, `org spec ${i}`).toEqual(a);
      expect(a.bill).toHaveLength(1);
      statuses.push(a.bill[0]!.status);
    }
    // Issued pending confirmation (SPEC §10.2): nothing is taken from cash at issue.
    expect(statuses).toEqual(SPECS.map(() => 'pending_confirmation'));
    for (const o of alone) expect((await snapshot(o.id)).payments).toEqual([]);

    // Confirmed by the job after 3 business days (issued Tuesday 2027-06-01: Friday 00:00), every org alike.
    expect((await confirmDueBills(t.deps.db, new Date('2027-06-03T23:59:59Z'))).confirmed).toBe(0);
    await confirmDueBills(t.deps.db, new Date('2027-06-04T00:00:00Z'));
    const confirmed: { status: string; paid: number }[] = [];
    for (let i = 0; i < SPECS.length; i++) {
      const a = await snapshot(alone[i]!.id);
      expect(await snapshot(together[i]!.id), `org spec ${i}`).toEqual(a);
      confirmed.push({ status: a.bill[0]!.status, paid: a.bill[0]!.paid_amount });
    }
    // The specs cover what they claim: paid, unpaid, coupons, nothing due, short cash (partly paid).
    expect(confirmed.map((x) => x.status)).toEqual(['paid', 'unpaid', 'paid', 'paid', 'paid', 'unpaid']);
    expect(confirmed[5]!.paid).toBe(50);

    // The job picks up the held org once it is free, and nothing else.
    const rest = await issueDueBills(t.deps.db, t.deps.config, ISSUE_AT, { month: MONTH });
    expect(rest.issued).toBe(held ? 1 : 0);
  });
});
