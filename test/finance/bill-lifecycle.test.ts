import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { confirmsAtFor } from '../../server/src/billing/bill-lifecycle.js';
import { addMember, api, buyCluster, createOrg, type OrgFixture, topUp } from '../factories.js';
import { BILLING_TEST_CATALOG, startTestTally, type TestTally } from '../harness.js';
import { balance, billPayments, events, getBill, orgWithCluster, runJobs, usageOf } from './helpers.js';

let t: TestTally;

beforeAll(async () => {
  t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
});

const at = (s: string) => confirmsAtFor(new Date(s), 'UTC').toISOString();

describe('business days (Monday–Friday, the billing time zone)', () => {
  it('confirms at 00:00 after the third business day, the day of issue counting when it is one', () => {
    // Tuesday 2026-12-01: Tue, Wed, Thu.
    expect(at('2026-12-01T00:01:00Z')).toBe('2026-12-04T00:00:00.000Z');
    // Friday 2027-01-01: Fri, Mon, Tue.
    expect(at('2027-01-01T00:01:00Z')).toBe('2027-01-06T00:00:00.000Z');
    // Saturday 2027-05-01 (April ended on a Friday): Mon, Tue, Wed.
    expect(at('2027-05-01T00:01:00Z')).toBe('2027-05-06T00:00:00.000Z');
    // Sunday 2027-08-01 (July ended on a Saturday): Mon, Tue, Wed.
    expect(at('2027-08-01T00:01:00Z')).toBe('2027-08-05T00:00:00.000Z');
    // Monday 2027-03-01 (February ended on a Sunday): Mon, Tue, Wed.
    expect(at('2027-03-01T00:01:00Z')).toBe('2027-03-04T00:00:00.000Z');
    // Across a month end: Thursday 2027-04-29: Thu, Fri, Mon.
    expect(at('2027-04-29T09:00:00Z')).toBe('2027-05-04T00:00:00.000Z');
    // Across a year end: Wednesday 2026-12-30: Wed, Thu, Fri.
    expect(at('2026-12-30T00:00:00Z')).toBe('2027-01-02T00:00:00.000Z');
  });

  it('counts days in the billing time zone', () => {
    // 00:00 on Tuesday 2026-12-01 in Shanghai is 16:00 UTC on Monday; it confirms at 00:00 Friday Shanghai time.
    expect(confirmsAtFor(new Date('2026-11-30T16:01:00Z'), 'Asia/Shanghai').toISOString()).toBe(
      '2026-12-03T16:00:00.000Z',
    );
    // Saturday 2027-05-01 00:00 in Shanghai (Friday 16:00 UTC): Mon, Tue, Wed in Shanghai.
    expect(confirmsAtFor(new Date('2027-04-30T16:01:00Z'), 'Asia/Shanghai').toISOString()).toBe(
      '2027-05-05T16:00:00.000Z',
    );
  });
});

describe('the bill lifecycle (one timeline from 2026-11-02)', () => {
  let a: OrgFixture; // confirmed early, partly paid, reminded, overdue, frozen, then paid
  let aCluster: string;
  let aBillingAdmin: { auth: { authorization: string } };
  let aMember: { auth: { authorization: string } };
  let b: OrgFixture; // disputed and resolved
  let c: OrgFixture; // confirmed automatically after 3 business days
  let d: OrgFixture; // three unpaid bills, paid oldest first
  let dCluster: string;
  let other: OrgFixture;

  it('issues on the 1st as pending_confirmation and charges nothing', async () => {
    ({ org: a, clusterId: aCluster } = await orgWithCluster(t, createOrg));
    ({ org: b } = await orgWithCluster(t, createOrg));
    ({ org: c } = await orgWithCluster(t, createOrg));
    ({ org: d, clusterId: dCluster } = await orgWithCluster(t, createOrg));
    other = await createOrg(t);
    aBillingAdmin = await addMember(t, a.id, 'org_billing_admin');
    aMember = await addMember(t, a.id, 'org_member');
    const bCluster = (await api(t, 'GET', `/v1/orgs/${b.id}/clusters`, { auth: b.admin.auth })).json.items[0]
      .id;
    const cCluster = (await api(t, 'GET', `/v1/orgs/${c.id}/clusters`, { auth: c.admin.auth })).json.items[0]
      .id;
    t.clock.set('2026-11-10T12:00:00Z');
    await usageOf(t, a, aCluster, 3000);
    await usageOf(t, b, bCluster, 3000);
    await usageOf(t, c, cCluster, 3000);
    await usageOf(t, d, dCluster, 3000);
    await topUp(t, a, 1000);
    await topUp(t, b, 5000);
    await topUp(t, c, 3000);

    t.clock.set('2026-12-01T00:01:00Z');
    await runJobs(t);
    const bill = await getBill(t, a, '2026-11');
    expect(bill).toMatchObject({
      status: 'pending_confirmation',
      issuedAt: '2026-12-01T00:01:00.000Z',
      confirmsAt: '2026-12-04T00:00:00.000Z',
      dueAt: '2026-12-18T00:00:00.000Z',
      overdueAt: '2026-12-18T00:00:00.000Z',
      confirmedAt: null,
      disputedAt: null,
      disputeReason: null,
      adjustmentAmount: 0,
      usageAmount: 3000,
      amountDue: 3000,
      paidAmount: 0,
      outstandingAmount: 3000,
      paidAt: null,
    });
    expect(await billPayments(t, a.id)).toEqual([]);
    expect(await balance(t, a)).toMatchObject({ cash: 1000, amountDue: 0, frozen: false });
    expect(await events(t, a.id, 'bill.issued', '2026-11')).toHaveLength(1);
  });

  it('lets an Org Billing Admin confirm early: cash pays as far as it goes, the rest is unpaid', async () => {
    t.clock.set('2026-12-02T10:00:00Z');
    const refused = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2026-11/confirm`, { auth: aMember.auth });
    expect(refused.status).toBe(403);
    const hidden = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2026-11/confirm`, { auth: other.admin.auth });
    expect(hidden.status).toBe(404);
    expect((await getBill(t, a, '2026-11')).status).toBe('pending_confirmation');

    const r = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2026-11/confirm`, { auth: aBillingAdmin.auth });
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({
      month: '2026-11',
      status: 'unpaid',
      confirmsAt: null,
      confirmedAt: '2026-12-02T10:00:00.000Z',
      dueAt: '2026-12-16T10:00:00.000Z',
      overdueAt: '2026-12-16T10:00:00.000Z',
      amountDue: 3000,
      paidAmount: 1000,
      outstandingAmount: 2000,
      paidAt: null,
    });
    // The partial payment is its own ledger entry.
    expect(await billPayments(t, a.id)).toEqual([{ ref: 'bill:2026-11', amount: -1000 }]);
    expect(await balance(t, a)).toMatchObject({ cash: 0, amountDue: 2000, frozen: false });
    expect(await events(t, a.id, 'bill.confirmed', '2026-11')).toHaveLength(1);
    expect(await events(t, a.id, 'bill.partially_paid', '2026-11')).toEqual([
      expect.objectContaining({ amount: 1000, paidAmount: 1000, unpaidAmount: 2000 }),
    ]);
  });

  it('refuses to confirm or dispute a bill that is not pending, and changes nothing', async () => {
    const before = await getBill(t, a, '2026-11');
    const again = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2026-11/confirm`, { auth: a.admin.auth });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'BILL_NOT_CONFIRMABLE', details: { status: 'unpaid' } });
    const dispute = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2026-11/dispute`, {
      auth: a.admin.auth,
      body: { reason: 'too late' },
    });
    expect(dispute.status).toBe(409);
    expect(dispute.json.error).toMatchObject({ code: 'BILL_NOT_DISPUTABLE', details: { status: 'unpaid' } });
    const resolve = await api(t, 'POST', `/v1/internal/orgs/${a.id}/bills/2026-11/resolve`, {
      auth: t.op,
      body: { adjustment: 100 },
    });
    expect(resolve.status).toBe(409);
    expect(resolve.json.error).toMatchObject({ code: 'BILL_NOT_CONFIRMABLE', details: { status: 'unpaid' } });
    // The open month cannot be confirmed; a month before the org existed is not found.
    const open = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2026-12/confirm`, { auth: a.admin.auth });
    expect(open.status).toBe(409);
    expect(open.json.error).toMatchObject({ code: 'BILL_NOT_CONFIRMABLE', details: { status: 'open' } });
    const before2 = await api(t, 'POST', `/v1/orgs/${a.id}/bills/2025-01/confirm`, { auth: a.admin.auth });
    expect(before2.status).toBe(404);
    expect(await getBill(t, a, '2026-11')).toEqual(before);
    expect(await billPayments(t, a.id)).toEqual([{ ref: 'bill:2026-11', amount: -1000 }]);
  });

  it('disputes a pending bill: nothing is charged, nothing confirms it but the operator’s resolution', async () => {
    for (const reason of ['', ' ', 'x'.repeat(501)]) {
      const bad = await api(t, 'POST', `/v1/orgs/${b.id}/bills/2026-11/dispute`, {
        auth: b.admin.auth,
        body: { reason },
      });
      expect(bad.status).toBe(400);
    }
    const r = await api(t, 'POST', `/v1/orgs/${b.id}/bills/2026-11/dispute`, {
      auth: b.admin.auth,
      body: { reason: 'backup counted twice' },
    });
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({
      status: 'disputed',
      disputedAt: '2026-12-02T10:00:00.000Z',
      disputeReason: 'backup counted twice',
      confirmsAt: null,
      confirmedAt: null,
      paidAmount: 0,
    });
    const confirm = await api(t, 'POST', `/v1/orgs/${b.id}/bills/2026-11/confirm`, { auth: b.admin.auth });
    expect(confirm.json.error).toMatchObject({
      code: 'BILL_NOT_CONFIRMABLE',
      details: { status: 'disputed' },
    });
    const again = await api(t, 'POST', `/v1/orgs/${b.id}/bills/2026-11/dispute`, {
      auth: b.admin.auth,
      body: { reason: 'again' },
    });
    expect(again.json.error).toMatchObject({ code: 'BILL_NOT_DISPUTABLE', details: { status: 'disputed' } });
  });

  it('confirms the undisputed bills automatically at the end of the third business day, once', async () => {
    t.clock.set('2026-12-03T23:59:59Z');
    await runJobs(t);
    expect((await getBill(t, c, '2026-11')).status).toBe('pending_confirmation');
    t.clock.set('2026-12-04T00:00:00Z');
    await runJobs(t);
    await runJobs(t);
    expect(await getBill(t, c, '2026-11')).toMatchObject({
      status: 'paid',
      confirmedAt: '2026-12-04T00:00:00.000Z',
      paidAt: '2026-12-04T00:00:00.000Z',
      paidAmount: 3000,
      outstandingAmount: 0,
    });
    expect(await billPayments(t, c.id)).toEqual([{ ref: 'bill:2026-11', amount: -3000 }]);
    expect(await balance(t, c)).toMatchObject({ cash: 0, amountDue: 0, frozen: false });
    // d had no cash: confirmed, unpaid, nothing taken.
    expect(await getBill(t, d, '2026-11')).toMatchObject({ status: 'unpaid', paidAmount: 0 });
    expect(await billPayments(t, d.id)).toEqual([]);
    // The disputed bill waits.
    expect(await getBill(t, b, '2026-11')).toMatchObject({ status: 'disputed', paidAmount: 0 });
    expect((await balance(t, b)).cash).toBe(5000);
  });

  it('resolves a dispute with an adjustment line, which confirms and charges the bill', async () => {
    const before = await getBill(t, b, '2026-11');
    const total = before.totalAmount as number;
    const tooMuch = await api(t, 'POST', `/v1/internal/orgs/${b.id}/bills/2026-11/resolve`, {
      auth: t.op,
      body: { adjustment: total + 1 },
    });
    expect(tooMuch.status).toBe(400);
    const asUser = await api(t, 'POST', `/v1/internal/orgs/${b.id}/bills/2026-11/resolve`, {
      auth: b.admin.auth,
      body: { adjustment: 1200 },
    });
    expect(asUser.status).toBeGreaterThanOrEqual(401);
    expect(await getBill(t, b, '2026-11')).toEqual(before);

    const r = await api(t, 'POST', `/v1/internal/orgs/${b.id}/bills/2026-11/resolve`, {
      auth: t.op,
      body: { adjustment: 1200 },
    });
    expect(r.status, r.body).toBe(200);
    expect(r.json).toMatchObject({
      status: 'paid',
      adjustmentAmount: 1200,
      totalAmount: total - 1200,
      amountDue: 1800,
      paidAmount: 1800,
      confirmedAt: '2026-12-04T00:00:00.000Z',
      disputeReason: 'backup counted twice',
    });
    const after = await getBill(t, b, '2026-11');
    const adj = after.lines.filter((l: { kind: string }) => l.kind === 'adjustment');
    expect(adj).toEqual([
      expect.objectContaining({
        kind: 'adjustment',
        amount: -1200,
        dueAmount: 0,
        clusterId: null,
        clusterName: null,
      }),
    ]);
    expect(after.lines.reduce((s: number, l: { amount: number }) => s + l.amount, 0)).toBe(after.totalAmount);
    expect(await billPayments(t, b.id)).toEqual([{ ref: 'bill:2026-11', amount: -1800 }]);
    expect((await balance(t, b)).cash).toBe(3200);
    const again = await api(t, 'POST', `/v1/internal/orgs/${b.id}/bills/2026-11/resolve`, {
      auth: t.op,
      body: { adjustment: 0 },
    });
    expect(again.json.error).toMatchObject({ code: 'BILL_NOT_CONFIRMABLE', details: { status: 'paid' } });
  });

  it('reminds daily for 14 days after confirmation, once a day however many runs', async () => {
    const confirmed = new Date('2026-12-02T10:00:00Z').getTime();
    // The first at confirmation; the second (due 2026-12-03 10:00) by the first run after it, at 2026-12-04.
    const sent = async () =>
      (await events(t, a.id, 'bill.unpaid', '2026-11')).map((e: { reminder: number }) => e.reminder);
    expect(await sent()).toEqual([1, 2]);
    for (let day = 2; day < 14; day++) {
      t.clock.set(new Date(confirmed + day * 86_400_000 + 3_600_000));
      await runJobs(t);
      await runJobs(t);
      expect(await sent()).toHaveLength(day + 1);
      expect((await getBill(t, a, '2026-11')).status).toBe('unpaid');
    }
    expect(await sent()).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    const reminders = await events(t, a.id, 'bill.unpaid', '2026-11');
    expect(reminders[0]).toMatchObject({ unpaidAmount: 2000, overdueAt: '2026-12-16T10:00:00.000Z' });
    expect(reminders[13]).toMatchObject({ unpaidAmount: 2000, overdueAt: '2026-12-16T10:00:00.000Z' });
    // The last day before it is overdue: nothing more.
    t.clock.set('2026-12-16T09:59:59Z');
    await runJobs(t);
    expect(await sent()).toHaveLength(14);
    expect(await balance(t, a)).toMatchObject({ amountDue: 2000, frozen: false });
  });

  it('then makes the bill overdue and freezes the org: create, upgrade and renew refused with ORG_FROZEN', async () => {
    t.clock.set('2026-12-16T10:00:00Z');
    // Exact at read, before any job has run.
    expect(await balance(t, a)).toMatchObject({ amountDue: 2000, frozen: true });
    expect((await getBill(t, a, '2026-11')).status).toBe('overdue');
    await runJobs(t);
    await runJobs(t);
    expect(await events(t, a.id, 'bill.unpaid', '2026-11')).toHaveLength(14);
    expect(await events(t, a.id, 'bill.overdue', '2026-11')).toHaveLength(1);
    expect(await getBill(t, a, '2026-11')).toMatchObject({
      status: 'overdue',
      overdueAt: '2026-12-16T10:00:00.000Z',
    });
    const details = { bills: [{ month: '2026-11', outstandingAmount: 2000 }], amountDue: 2000 };
    const orders = async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from orders where org_id = ${a.id}`.execute(
          t.deps.db,
        )
      ).rows[0]!.n;
    const n = await orders();
    const create = await api(t, 'POST', `/v1/orgs/${a.id}/clusters`, {
      auth: a.admin.auth,
      body: {
        region: 'aliyun-cn-hangzhou',
        cuType: 'performance',
        cuSize: 1,
        replicas: 1,
        term: { unit: 'month', count: 1 },
        projectId: a.projects[0]!.id,
        name: 'frozen-new',
      },
    });
    expect(create.status).toBe(403);
    expect(create.json.error).toMatchObject({ code: 'ORG_FROZEN', details });
    const upgrade = await api(t, 'POST', `/v1/orgs/${a.id}/clusters/${aCluster}/upgrade`, {
      auth: a.admin.auth,
      body: { cuSize: 2 },
    });
    expect(upgrade.status).toBe(403);
    expect(upgrade.json.error).toMatchObject({ code: 'ORG_FROZEN', details });
    const renew = await api(t, 'POST', `/v1/orgs/${a.id}/clusters/${aCluster}/renew`, {
      auth: a.admin.auth,
      body: { term: { unit: 'month', count: 1 } },
    });
    expect(renew.status).toBe(403);
    expect(renew.json.error).toMatchObject({ code: 'ORG_FROZEN', details });
    expect(await orders()).toBe(n);
    // The running cluster keeps its prepaid term.
    const cl = await api(t, 'GET', `/v1/orgs/${a.id}/clusters/${aCluster}`, { auth: a.admin.auth });
    expect(cl.json.state).toBe('running');
  });

  it('unfreezes at once when a top-up pays every overdue bill (a partial top-up is not enough)', async () => {
    t.clock.set('2026-12-17T09:00:00Z');
    await topUp(t, a, 500);
    expect(await getBill(t, a, '2026-11')).toMatchObject({ status: 'overdue', paidAmount: 1500 });
    expect(await balance(t, a)).toMatchObject({ cash: 0, amountDue: 1500, frozen: true });
    await topUp(t, a, 1600);
    expect(await getBill(t, a, '2026-11')).toMatchObject({
      status: 'paid',
      paidAmount: 3000,
      outstandingAmount: 0,
      paidAt: '2026-12-17T09:00:00.000Z',
    });
    expect(await billPayments(t, a.id)).toEqual([
      { ref: 'bill:2026-11', amount: -1000 },
      { ref: 'bill:2026-11#2', amount: -500 },
      { ref: 'bill:2026-11#3', amount: -1500 },
    ]);
    expect(await balance(t, a)).toMatchObject({ cash: 100, amountDue: 0, frozen: false });
    const bought = await buyCluster(t, a);
    expect(bought.order.status).toBe('unpaid');
  });

  it('pays the oldest of three unpaid bills first, as far as a top-up goes', async () => {
    t.clock.set('2026-12-20T12:00:00Z');
    await usageOf(t, d, dCluster, 3000);
    // The December bill, issued on Friday 2027-01-01, confirms on Wednesday 2027-01-06.
    t.clock.set('2027-01-01T00:01:00Z');
    await runJobs(t);
    expect((await getBill(t, d, '2026-12')).confirmsAt).toBe('2027-01-06T00:00:00.000Z');
    t.clock.set('2027-01-06T00:00:00Z');
    await runJobs(t);
    t.clock.set('2027-01-20T12:00:00Z');
    await usageOf(t, d, dCluster, 3000);
    t.clock.set('2027-02-01T00:01:00Z');
    await runJobs(t);
    t.clock.set('2027-02-04T00:00:00Z');
    await runJobs(t);
    await runJobs(t);
    const months = ['2026-11', '2026-12', '2027-01'];
    for (const m of months) expect((await getBill(t, d, m)).paidAmount).toBe(0);
    expect((await getBill(t, d, '2027-01')).status).toBe('unpaid');
    expect(await balance(t, d)).toMatchObject({ amountDue: 9000, frozen: true });

    await topUp(t, d, 4500);
    const [nov, dec, jan] = await Promise.all(months.map((m) => getBill(t, d, m)));
    expect(nov).toMatchObject({ status: 'paid', paidAmount: 3000 });
    expect(dec).toMatchObject({ status: 'overdue', paidAmount: 1500, outstandingAmount: 1500 });
    expect(jan).toMatchObject({ status: 'unpaid', paidAmount: 0 });
    expect(await billPayments(t, d.id)).toEqual([
      { ref: 'bill:2026-11', amount: -3000 },
      { ref: 'bill:2026-12', amount: -1500 },
    ]);
    expect(await balance(t, d)).toMatchObject({ cash: 0, amountDue: 4500, frozen: true });

    await topUp(t, d, 4500);
    expect(await balance(t, d)).toMatchObject({ cash: 0, amountDue: 0, frozen: false });
    expect(await billPayments(t, d.id)).toEqual([
      { ref: 'bill:2026-11', amount: -3000 },
      { ref: 'bill:2026-12', amount: -1500 },
      { ref: 'bill:2026-12#2', amount: -1500 },
      { ref: 'bill:2027-01', amount: -3000 },
    ]);
  });
});
