import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { confirmDueBills } from '../../server/src/billing/bill-lifecycle.js';
import { issueBill, issueDueBills } from '../../server/src/billing/issue-bill.js';
import { sumCashEntries } from '../../server/src/ledger/ledger.repository.js';
import {
  addMember,
  api,
  buyCluster,
  createOrg,
  type OrgFixture,
  pay,
  runningCluster,
  topUp,
} from '../factories.js';
import { BILLING_TEST_CATALOG, onPostgres, startTestTally, type TestTally } from '../harness.js';
import { pdfText } from '../pdf-text.js';

let t: TestTally;

beforeAll(async () => {
  t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
});

async function usage(events: object[]) {
  return api(t, 'POST', '/v1/internal/usage', { auth: t.op, body: { events } });
}

async function bill(org: OrgFixture, month: string) {
  const r = await api(t, 'GET', `/v1/orgs/${org.id}/bills/${month}`, { auth: org.admin.auth });
  expect(r.status, r.body).toBe(200);
  return r.json;
}

function expectTotalsConsistent(b: {
  totalAmount: number;
  prepaidAmount: number;
  usageAmount: number;
  couponAmount: number;
  amountDue: number;
  lines: { kind: string; amount: number; couponAmount: number; dueAmount: number }[];
}) {
  const sum = (f: (l: (typeof b.lines)[number]) => number) => b.lines.reduce((s, l) => s + f(l), 0);
  expect(b.totalAmount).toBe(sum((l) => l.amount));
  expect(b.prepaidAmount).toBe(sum((l) => (l.kind === 'subscription' ? l.amount : 0)));
  expect(b.usageAmount).toBe(sum((l) => (l.kind === 'usage' ? l.amount : 0)));
  expect(b.couponAmount).toBe(sum((l) => l.couponAmount));
  expect(b.amountDue).toBe(sum((l) => l.dueAmount));
  for (const l of b.lines) if (l.kind === 'subscription') expect(l.couponAmount).toBe(0);
}

describe('bills', () => {
  // Everything below runs on one timeline, starting 2026-11-02 (the harness clock).
  let a: OrgFixture;
  let clusterId: string;

  it('puts orders paid at 23:59:59 on Nov 30 and at 00:00:00 on Dec 1 (UTC) in November and December', async () => {
    a = await createOrg(t, { timeZone: 'Asia/Shanghai' });
    const c = await runningCluster(t, a);
    clusterId = c.id;
    t.clock.set('2026-11-30T20:00:00Z');
    const o1 = await buyCluster(t, a);
    const o2 = await buyCluster(t, a);
    await topUp(t, a, o1.order.amount + o2.order.amount);
    t.clock.set('2026-11-30T23:59:59Z');
    expect((await pay(t, a.id, o1.order.id, a.admin)).json.order.billMonth).toBe('2026-11');
    t.clock.set('2026-12-01T00:00:00Z');
    expect((await pay(t, a.id, o2.order.id, a.admin)).json.order.billMonth).toBe('2026-12');
    const nov = await bill(a, '2026-11');
    const dec = await bill(a, '2026-12');
    expect(nov.status).toBe('open');
    expect(nov.lines.map((l: { orderId: string }) => l.orderId)).toContain(o1.order.id);
    expect(nov.lines.map((l: { orderId: string }) => l.orderId)).not.toContain(o2.order.id);
    expect(dec.lines.map((l: { orderId: string }) => l.orderId)).toEqual([o2.order.id]);
    expect(dec.lines[0]).toMatchObject({ kind: 'subscription', settlement: 'prepaid', dueAmount: 0 });
    expectTotalsConsistent(nov);
  });

  it('ingests usage once per event id, priced exactly and rounded once per line', async () => {
    // 1,000,000 GB for 10 h 30 min = 11 started hours; 1,000,000 GB of backup for 1 h = 1 day (at least one).
    const events = [
      {
        id: `s-${a.id}-1`,
        orgId: a.id,
        clusterId,
        metric: 'storage',
        quantity: 1_000_000,
        start: '2026-11-10T00:00:00Z',
        end: '2026-11-10T10:30:00Z',
      },
      {
        id: `s-${a.id}-2`,
        orgId: a.id,
        clusterId,
        metric: 'storage',
        quantity: 0.5,
        start: '2026-11-10T11:00:00Z',
        end: '2026-11-10T11:00:01Z',
      },
      {
        id: `b-${a.id}-1`,
        orgId: a.id,
        clusterId,
        metric: 'backup',
        quantity: 1_000_000,
        start: '2026-11-11T00:00:00Z',
        end: '2026-11-11T01:00:00Z',
      },
    ];
    const r1 = await usage(events);
    expect(r1.status, r1.body).toBe(200);
    expect(r1.json).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(r1.json.events[0]).toMatchObject({ status: 'accepted', billMonth: '2026-11' });
    const r2 = await usage(events);
    expect(r2.json).toMatchObject({ accepted: 0, duplicates: 3 });
    const nov = await bill(a, '2026-11');
    const storage = nov.lines.find((l: { metric: string }) => l.metric === 'storage');
    const backup = nov.lines.find((l: { metric: string }) => l.metric === 'backup');
    // (1,000,000 GB × 11 h + 0.5 GB × 1 h) × 417 µfen = 4,587.0002085 fen → 4,587
    expect(storage).toMatchObject({ quantity: '11000000.500', unit: 'GB-hour', amount: 4_587 });
    // 1,000,000 GB × 1 day × 3000 µfen = 3,000 fen
    expect(backup).toMatchObject({ quantity: '1000000.000', unit: 'GB-day', amount: 3_000 });
    expectTotalsConsistent(nov);
  });

  it('refuses a batch naming a cluster of another org, and records nothing of it', async () => {
    const other = await createOrg(t);
    const r = await usage([
      {
        id: 'x-1',
        orgId: other.id,
        clusterId,
        metric: 'storage',
        quantity: 1,
        start: '2026-11-20T00:00:00Z',
        end: '2026-11-20T01:00:00Z',
      },
    ]);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('VALIDATION_FAILED');
  });

  it('applies coupons to usage only, earliest-expiring first, and issues the bill once; short cash leaves it unpaid', async () => {
    const late = await api(t, 'POST', `/v1/internal/orgs/${a.id}/coupons`, {
      auth: t.op,
      body: { amount: 5_000, expiresAt: '2027-06-01T00:00:00Z' },
    });
    const early = await api(t, 'POST', `/v1/internal/orgs/${a.id}/coupons`, {
      auth: t.op,
      body: { amount: 1_000, expiresAt: '2027-01-01T00:00:00Z' },
    });
    expect(late.status).toBe(201);
    // The coupons are granted on Dec 1 at 00:00 (the clock): after November ended, so they pay December, not
    // November. Grant November's coupons with an earlier clock.
    t.clock.set('2026-11-30T23:59:59Z');
    const c1 = await api(t, 'POST', `/v1/internal/orgs/${a.id}/coupons`, {
      auth: t.op,
      body: { amount: 1_000, expiresAt: '2027-01-01T00:00:00Z' },
    });
    const c2 = await api(t, 'POST', `/v1/internal/orgs/${a.id}/coupons`, {
      auth: t.op,
      body: { amount: 2_000, expiresAt: '2027-03-01T00:00:00Z' },
    });
    t.clock.set('2026-12-01T00:00:00Z');
    const open = await bill(a, '2026-11');
    expect(open.couponAmount).toBe(3_000);
    expect(open.amountDue).toBe(7_587 - 3_000);

    // The issuing job runs a minute after the month ends.
    t.clock.set('2026-12-01T00:05:00Z');
    const cash = (await api(t, 'GET', `/v1/orgs/${a.id}/balance`, { auth: a.admin.auth })).json.cash;
    expect(cash).toBe(0);
    await t.jobs.runAllOnce();
    await t.jobs.runAllOnce();
    const pending = await bill(a, '2026-11');
    expect(pending).toMatchObject({ status: 'pending_confirmation', paidAmount: 0 });
    // Confirmed (SPEC §10.2) with no cash: nothing is taken, it is unpaid.
    const confirmed = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2026-11/confirm`, { auth: a.admin.auth });
    expect(confirmed.status, confirmed.body).toBe(200);
    const nov = await bill(a, '2026-11');
    expect(nov).toMatchObject({
      status: 'unpaid',
      usageAmount: 7_587,
      couponAmount: 3_000,
      amountDue: 4_587,
      paidAmount: 0,
      outstandingAmount: 4_587,
    });
    expectTotalsConsistent(nov);
    // earliest-expiring first: c1 (Jan) is used up, then c2 (Mar)
    const byCoupon = new Map<string, number>();
    for (const x of nov.couponApplications)
      byCoupon.set(x.couponId, (byCoupon.get(x.couponId) ?? 0) + x.amount);
    expect(byCoupon.get(c1.json.id)).toBe(1_000);
    expect(byCoupon.get(c2.json.id)).toBe(2_000);
    expect(byCoupon.has(late.json.id)).toBe(false);
    expect(byCoupon.has(early.json.id)).toBe(false);
    const coupons = (await api(t, 'GET', `/v1/orgs/${a.id}/coupons`, { auth: a.admin.auth })).json.items;
    expect(coupons.find((c: { id: string }) => c.id === c1.json.id).remaining).toBe(0);
    const n = await sql<{ n: number }>`select count(*)::int as n from bills where org_id = ${a.id}`.execute(
      t.deps.db,
    );
    expect(n.rows[0]!.n).toBe(1);
  });

  it('pays the unpaid bill automatically from the next top-ups, as far as each goes, once', async () => {
    await topUp(t, a, 4_000);
    expect(await bill(a, '2026-11')).toMatchObject({ status: 'unpaid', paidAmount: 4_000 });
    await topUp(t, a, 600);
    const nov = await bill(a, '2026-11');
    expect(nov).toMatchObject({ status: 'paid', paidAmount: 4_587, outstandingAmount: 0 });
    const bal = (await api(t, 'GET', `/v1/orgs/${a.id}/balance`, { auth: a.admin.auth })).json;
    expect(bal.cash).toBe(4_600 - 4_587);
    expect(await sumCashEntries(t.deps.db, a.id)).toBe(bal.cash);
    const ledger = (await api(t, 'GET', `/v1/orgs/${a.id}/ledger`, { auth: a.admin.auth })).json.items;
    // Two payments, each its own ledger entry: 4,000 from the first top-up, 587 from the second.
    expect(
      ledger
        .filter((e: { kind: string }) => e.kind === 'bill_payment')
        .map((e: { amount: number }) => e.amount),
    ).toEqual([-587, -4_000]);
  });

  it('usage that arrives after its month was issued lands in the open month', async () => {
    const r = await usage([
      {
        id: `late-${a.id}`,
        orgId: a.id,
        clusterId,
        metric: 'backup',
        quantity: 1000,
        start: '2026-11-29T00:00:00Z',
        end: '2026-11-30T00:00:00Z',
      },
    ]);
    expect(r.json.events[0]).toMatchObject({ status: 'accepted', billMonth: '2026-12' });
    const dec = await bill(a, '2026-12');
    expect(dec.status).toBe('open');
    expect(dec.lines.some((l: { metric: string }) => l.metric === 'backup')).toBe(true);
    expectTotalsConsistent(dec);
  });

  it('renders the issued bill as the same PDF bytes whenever it is downloaded, with its coupons', async () => {
    const get = async () =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/v1/orgs/${a.id}/bills/2026-11/document`,
          headers: a.admin.auth,
        })
      ).rawPayload;
    const first = await get();
    t.clock.advance(3_600_000);
    const second = await get();
    expect(Buffer.compare(first, second)).toBe(0);
    const text = await pdfText(first);
    for (const label of [
      '账单',
      '已结清',
      '优惠券抵扣',
      '优惠券抵扣明细',
      '出账时间',
      '还款截止时间',
      '备份',
      '存储',
    ])
      expect(text).toContain(label);
    expect(text).toMatch(/优惠券抵扣[ \t]+-¥30\.00/); // coupons applied: ¥30.00
    expect(text).toMatch(/已支付[ \t]+¥45\.87/); // amount due, paid from the top-up
  });

  it('lists bills newest first with the open month on top', async () => {
    const r = await api(t, 'GET', `/v1/orgs/${a.id}/bills`, { auth: a.admin.auth });
    expect(r.status).toBe(200);
    expect(r.json.items.map((b: { month: string; status: string }) => [b.month, b.status])).toEqual([
      ['2026-12', 'open'],
      ['2026-11', 'paid'],
    ]);
  });

  it('charges a bill when it confirms (3 business days after issue) and marks an unpaid one overdue 14 days later', async () => {
    t.clock.set('2026-12-02T00:00:00Z');
    const rich = await createOrg(t);
    const poor = await createOrg(t);
    const cr = await runningCluster(t, rich);
    const cp = await runningCluster(t, poor);
    await topUp(t, rich, 3_500);
    for (const [o, c] of [
      [rich, cr],
      [poor, cp],
    ] as const) {
      const r = await usage([
        {
          id: `u-${o.id}`,
          orgId: o.id,
          clusterId: c.id,
          metric: 'backup',
          quantity: 1_000_000,
          start: '2026-12-01T00:00:00Z',
          end: '2026-12-02T00:00:00Z',
        },
      ]);
      expect(r.status, r.body).toBe(200);
    }
    t.clock.set('2027-01-01T00:01:00Z');
    await t.jobs.runAllOnce();
    expect((await bill(rich, '2026-12')).status).toBe('pending_confirmation');
    // Issued on Friday 2027-01-01: confirmed after Friday, Monday and Tuesday.
    t.clock.set('2027-01-06T00:00:00Z');
    await t.jobs.runAllOnce();
    // 1,000,000 GB × 1 day × 3000 µfen = 3,000 fen: the rich org's cash (3,500) pays it at confirmation.
    expect(await bill(rich, '2026-12')).toMatchObject({
      status: 'paid',
      amountDue: 3_000,
      paidAmount: 3_000,
    });
    expect((await api(t, 'GET', `/v1/orgs/${rich.id}/balance`, { auth: rich.admin.auth })).json.cash).toBe(
      500,
    );
    expect((await bill(poor, '2026-12')).status).toBe('unpaid');
    t.clock.set('2027-01-20T00:00:00Z');
    // Exact at the deadline, before the job persists it.
    expect((await bill(poor, '2026-12')).status).toBe('overdue');
    await t.jobs.runAllOnce();
    const row = await t.deps.db
      .selectFrom('bills')
      .select(['status'])
      .where('org_id', '=', poor.id)
      .where('month', '=', '2026-12')
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('overdue');
    await topUp(t, poor, 3_000);
    expect((await bill(poor, '2026-12')).status).toBe('paid');
  });

  it('lets Org Admin and Org Billing Admin read bills; others get 403, other orgs 404', async () => {
    const billing = await addMember(t, a.id, 'org_billing_admin');
    const member = await addMember(t, a.id, 'org_member');
    const padmin = await addMember(t, a.id, 'org_member', [
      { projectId: a.projects[0]!.id, role: 'project_admin' },
    ]);
    const stranger = await createOrg(t);
    const get = (auth: { authorization: string }, url = `/v1/orgs/${a.id}/bills/2026-11`) =>
      api(t, 'GET', url, { auth });
    expect((await get(billing.auth)).status).toBe(200);
    expect((await get(member.auth)).status).toBe(403);
    expect((await get(padmin.auth)).status).toBe(403);
    expect((await get(stranger.admin.auth)).status).toBe(404);
    expect((await get(billing.auth, `/v1/orgs/${a.id}/bills/2025-01`)).status).toBe(404);
    // Not a month at all: the caller's mistake, told with the format (SPEC §11), not a missing bill.
    expect((await get(billing.auth, `/v1/orgs/${a.id}/bills/2026-13`)).status).toBe(400);
  });
});

describe('the bill list', () => {
  it('pages through every month since the org began, newest first, by cursor', async () => {
    t.clock.set('2027-01-20T00:00:00Z');
    const o = await createOrg(t);
    t.clock.set('2027-05-03T00:00:00Z');
    const months: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const r = await api(t, 'GET', `/v1/orgs/${o.id}/bills?limit=2${q}`, { auth: o.admin.auth });
      expect(r.status).toBe(200);
      months.push(...r.json.items.map((b: { month: string }) => b.month));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(months).toEqual(['2027-05', '2027-04', '2027-03', '2027-02', '2027-01']);
  });
});

describe('issuing is idempotent', () => {
  it('issuing twice, and from many workers at once, makes one bill; confirming it from many, one payment', async () => {
    t.clock.set('2027-02-10T00:00:00Z');
    const o = await createOrg(t);
    const c = await runningCluster(t, o);
    await usage([
      {
        id: `i-${o.id}`,
        orgId: o.id,
        clusterId: c.id,
        metric: 'backup',
        quantity: 10_000,
        start: '2027-02-09T00:00:00Z',
        end: '2027-02-10T00:00:00Z',
      },
    ]);
    await topUp(t, o, 1_000_000);
    const now = new Date('2027-03-01T00:02:00Z');
    const workers = onPostgres ? 6 : 2;
    const results = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        i % 2
          ? issueDueBills(t.deps.db, t.deps.config, now, { orgId: o.id })
          : t.deps.db.transaction().execute((tx) => issueBill(tx, t.deps.config, o.id, '2027-02', now)),
      ),
    );
    const again = await issueDueBills(t.deps.db, t.deps.config, now, { orgId: o.id });
    expect(again.issued).toBe(0);
    const issuedCount = results.filter((r) =>
      'outcome' in r ? r.outcome === 'issued' : r.issued > 0,
    ).length;
    expect(issuedCount).toBe(1);
    const bills = await sql<{
      n: number;
    }>`select count(*)::int as n from bills where org_id = ${o.id}`.execute(t.deps.db);
    expect(bills.rows[0]!.n).toBe(1);
    const payments = await sql<{ n: number }>`
      select count(*)::int as n from ledger_transactions where org_id = ${o.id} and kind = 'bill_payment'`.execute(
      t.deps.db,
    );
    // Nothing is charged at issue; the bill confirms on Thursday 2027-03-04 (issued Monday the 1st), once.
    expect(payments.rows[0]!.n).toBe(0);
    const confirmAt = new Date('2027-03-04T00:00:00Z');
    await Promise.all(Array.from({ length: workers }, () => confirmDueBills(t.deps.db, confirmAt)));
    const confirmations = await sql<{ n: number }>`
      select count(*)::int as n from outbox_events where org_id = ${o.id} and type = 'bill.confirmed'`.execute(
      t.deps.db,
    );
    expect(confirmations.rows[0]!.n).toBe(1);
    const after = await sql<{ n: number }>`
      select count(*)::int as n from ledger_transactions where org_id = ${o.id} and kind = 'bill_payment'`.execute(
      t.deps.db,
    );
    expect(after.rows[0]!.n).toBe(1);
    expect(await sumCashEntries(t.deps.db, o.id)).toBe(1_000_000 - 30);
  });
});
