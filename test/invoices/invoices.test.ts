import { beforeAll, describe, expect, it } from 'vitest';
import { invoiceResponses } from '../../contract/invoices.js';
import { requestDueInvoices } from '../../server/src/invoices/auto-invoice.js';
import { addRoleMembers, api, buyCluster, type Member, type OrgFixture, topUp } from '../factories.js';
import { BILLING_TEST_CATALOG, startTestTally, type TestTally } from '../harness.js';
import {
  bill,
  certify,
  ENTERPRISE,
  expectError,
  expectStatus,
  grantCoupon,
  invoiceable,
  orgWithPaidOrder,
  PDF,
  paidOrder,
  recordUsage,
  requestInvoice,
  USAGE_AMOUNT,
} from './support.js';

/**
 * Invoices (SPEC §10.4) over HTTP, on one timeline: orgs buy and use clusters in November 2026, November's
 * bills are issued on Dec 1 and settled by Dec 7, and the invoices are requested, issued and failed after.
 */
let t: TestTally;
const EMAILS = ['finance@example.com'];

/** A: a certified enterprise; its November bill is paid (coupon 1,000 + cash 6,587), one order in each month. */
let a: OrgFixture;
let aOrderNov: { id: string; amount: number };
let aOrderDec: { id: string; amount: number };
let aUnpaid: { id: string; amount: number };
/** C: its November bill is unpaid. D: coupons paid all of its usage. P: a person. F: no certification data. */
let c: OrgFixture;
let d: OrgFixture;
let p: OrgFixture;
let f: OrgFixture;
let cOrder: { id: string; amount: number };
let pOrder: { id: string; amount: number };
let fOrder: { id: string; amount: number };
/** E: an enterprise whose November bill is paid late (after auto-invoicing was turned on); H: paid on time. */
let e: OrgFixture;
let h: OrgFixture;
let members: Record<'billingAdmin' | 'orgMember' | 'p1Admin', Member>;
/** G: November disputed and resolved with a 2,000 fen adjustment, then paid; K: adjusted by all of its usage. */
let g: OrgFixture;
let k: OrgFixture;
const ADJUSTMENT = 2_000;

beforeAll(async () => {
  t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
  const withA = await orgWithPaidOrder(t, ENTERPRISE);
  a = withA.org;
  aOrderNov = withA.order;
  members = await addRoleMembers(t, a, ['billingAdmin', 'orgMember', 'p1Admin']);
  const withC = await orgWithPaidOrder(t, ENTERPRISE);
  const withD = await orgWithPaidOrder(t, ENTERPRISE);
  const withP = await orgWithPaidOrder(t, { kind: 'personal', title: '张三' });
  const withF = await orgWithPaidOrder(t);
  const withE = await orgWithPaidOrder(t, ENTERPRISE);
  const withH = await orgWithPaidOrder(t, ENTERPRISE);
  [c, d, p, f, e, h] = [withC.org, withD.org, withP.org, withF.org, withE.org, withH.org];
  [cOrder, pOrder, fOrder] = [withC.order, withP.order, withF.order];
  const withG = await orgWithPaidOrder(t, ENTERPRISE);
  const withK = await orgWithPaidOrder(t, ENTERPRISE);
  [g, k] = [withG.org, withK.org];

  t.clock.set('2026-11-20T00:00:00Z');
  for (const x of [withA, withC, withD, withF, withE, withH, withG, withK])
    await recordUsage(t, x.org, x.clusterId, '2026-11-10');
  await grantCoupon(t, a, 1_000);
  await grantCoupon(t, d, 10_000);
  await topUp(t, a, USAGE_AMOUNT - 1_000);
  await topUp(t, h, USAGE_AMOUNT);
  await topUp(t, g, USAGE_AMOUNT);

  // November's bills are issued a few minutes after the month ends, and settled within the week.
  t.clock.set('2026-12-01T00:05:00Z');
  await t.jobs.runAllOnce();
  await t.jobs.runAllOnce();
  // G and K dispute November while it waits for confirmation; the operator resolves both with an adjustment.
  for (const [x, adjustment] of [
    [g, ADJUSTMENT],
    [k, USAGE_AMOUNT],
  ] as const) {
    expectStatus(
      await api(t, 'POST', `/v1/orgs/${x.id}/bills/2026-11/dispute`, {
        auth: x.admin.auth,
        body: { reason: 'storage counted twice' },
      }),
      200,
    );
    expectStatus(
      await api(t, 'POST', `/v1/internal/orgs/${x.id}/bills/2026-11/resolve`, {
        auth: t.op,
        body: { adjustment },
      }),
      200,
    );
  }
  // Confirmed (and paid from cash where there is some) on Friday 2026-12-04, 3 business days after issue.
  t.clock.set('2026-12-04T00:00:00Z');
  await t.jobs.runAllOnce();
  await t.jobs.runAllOnce();
  t.clock.set('2026-12-07T00:05:00Z');
  await t.jobs.runAllOnce();
  await t.jobs.runAllOnce();
  aOrderDec = await paidOrder(t, a);
  aUnpaid = (await buyCluster(t, a)).order;
});

describe('what may be invoiced', () => {
  it('lists paid orders at their amount and fully paid bills at pay-as-you-go less coupons, newest payment first', async () => {
    const nov = await bill(t, a, '2026-11');
    expect(nov).toMatchObject({ status: 'paid', usageAmount: USAGE_AMOUNT, couponAmount: 1_000 });
    const list = await invoiceable(t, a);
    expect(
      list.items.map((i: { kind: string; id: string; amount: number }) => [i.kind, i.id, i.amount]),
    ).toEqual([
      ['order', aOrderDec.id, aOrderDec.amount],
      ['bill', '2026-11', USAGE_AMOUNT - 1_000],
      ['order', aOrderNov.id, aOrderNov.amount],
    ]);
    expect(list.items[1]).toMatchObject({ currency: 'CNY', paidAt: nov.paidAt, orderType: null });
    expect(list.items[0]).toMatchObject({ orderType: 'new_purchase' });
    expect(list.nextCursor).toBeNull();
    // Top-ups (three of them here) are never items; the open month has no bill to list.
    expect(list.items.every((i: { kind: string }) => i.kind === 'bill' || i.kind === 'order')).toBe(true);
  });

  it('pages with limit and cursor through the same items', async () => {
    const all = (await invoiceable(t, a)).items;
    const seen = [];
    let cursor: string | null = null;
    do {
      const page: { items: unknown[]; nextCursor: string | null } = await invoiceable(
        t,
        a,
        a.admin,
        `?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expectError(
      await api(t, 'GET', `/v1/orgs/${a.id}/invoiceable?cursor=nonsense`, { auth: a.admin.auth }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('leaves out an unpaid bill and a bill that coupons paid in full', async () => {
    expect((await bill(t, c, '2026-11')).status).not.toBe('paid');
    expect((await invoiceable(t, c)).items.map((i: { id: string }) => i.id)).toEqual([cOrder.id]);
    const dNov = await bill(t, d, '2026-11');
    expect(dNov).toMatchObject({ status: 'paid', couponAmount: USAGE_AMOUNT, amountDue: 0 });
    expect((await invoiceable(t, d)).items.map((i: { kind: string }) => i.kind)).toEqual(['order']);
  });

  it('refuses each ineligible item with INVOICE_ITEM_NOT_ELIGIBLE naming it and the reason, and creates nothing', async () => {
    const cases: [OrgFixture, { kind: string; id: string }, string][] = [
      [a, { kind: 'bill', id: '2026-12' }, 'not_issued'],
      [a, { kind: 'bill', id: '2027-01' }, 'not_issued'],
      [a, { kind: 'bill', id: '2026-10' }, 'not_found'],
      [a, { kind: 'order', id: aUnpaid.id }, 'not_paid'],
      [a, { kind: 'order', id: cOrder.id }, 'not_found'],
      [a, { kind: 'order', id: 'ord_unknown' }, 'not_found'],
      [c, { kind: 'bill', id: '2026-11' }, 'not_paid'],
      [d, { kind: 'bill', id: '2026-11' }, 'nothing_to_invoice'],
    ];
    for (const [org, item, reason] of cases) {
      // A good item first: the bad one refuses the whole request.
      const good = (await invoiceable(t, org)).items[0];
      const r = await requestInvoice(t, org, {
        items: [{ kind: good.kind, id: good.id }, item],
        type: 'normal',
        emails: EMAILS,
      });
      const err = expectError(r, 422, 'INVOICE_ITEM_NOT_ELIGIBLE');
      expect(err.details).toEqual({ item, reason });
    }
    for (const org of [a, c, d]) {
      const list = expectStatus(
        await api(t, 'GET', `/v1/orgs/${org.id}/invoices`, { auth: org.admin.auth }),
        200,
      );
      expect(list.items).toEqual([]);
    }
  });
});

describe('requests', () => {
  it('validates the body: 1–100 distinct items, remark ≤ 50 characters, 1–5 distinct addresses', async () => {
    const item = { kind: 'order', id: aOrderNov.id };
    const bad = [
      { items: [], type: 'normal', emails: EMAILS },
      {
        items: Array.from({ length: 101 }, (_, i) => ({ kind: 'order', id: `ord_${i}` })),
        type: 'normal',
        emails: EMAILS,
      },
      { items: [item, item], type: 'normal', emails: EMAILS },
      { items: [{ kind: 'topup', id: 'x' }], type: 'normal', emails: EMAILS },
      { items: [item], type: 'vat', emails: EMAILS },
      { items: [item], type: 'normal', emails: [] },
      {
        items: [item],
        type: 'normal',
        emails: [
          'a@example.com',
          'b@example.com',
          'c@example.com',
          'd@example.com',
          'e@example.com',
          'f@example.com',
        ],
      },
      { items: [item], type: 'normal', emails: ['not-an-address'] },
      { items: [item], type: 'normal', emails: ['x@example.com', 'X@example.com'] },
      { items: [item], type: 'normal', emails: EMAILS, remark: '备'.repeat(51) },
      { items: [item], type: 'normal' },
    ];
    for (const body of bad) expectError(await requestInvoice(t, a, body), 400, 'VALIDATION_FAILED');
    expect((await invoiceable(t, a)).items).toHaveLength(3);
  });

  it('refuses 专票 to a person and any invoice to an org without certification data, saying why', async () => {
    const special = { items: [{ kind: 'order', id: pOrder.id }], type: 'special', emails: EMAILS };
    const err = expectError(await requestInvoice(t, p, special), 400, 'VALIDATION_FAILED');
    expect(err.message).toMatch(/special invoice \(专票\) needs a certified enterprise/);
    const none = { items: [{ kind: 'order', id: fOrder.id }], type: 'normal', emails: EMAILS };
    expect(expectError(await requestInvoice(t, f, none), 400, 'VALIDATION_FAILED').message).toMatch(
      /no certification data/,
    );
    const normal = expectStatus(await requestInvoice(t, p, { ...special, type: 'normal' }), 201);
    expect(normal).toMatchObject({
      type: 'normal',
      status: 'requested',
      buyer: { kind: 'personal', title: '张三', taxId: null },
      totalAmount: pOrder.amount,
    });
  });

  it('requests a 专票 for a bill and an order, the buyer copied from the certification and kept as it was', async () => {
    const remark = '项目A 十一月'.padEnd(50, '费');
    expect([...remark].length).toBe(50);
    const inv = expectStatus(
      await requestInvoice(t, a, {
        items: [
          { kind: 'bill', id: '2026-11' },
          { kind: 'order', id: aOrderNov.id },
        ],
        type: 'special',
        remark,
        emails: ['finance@example.com', 'cfo@example.com'],
      }),
      201,
    );
    expect(inv).toMatchObject({
      orgId: a.id,
      type: 'special',
      status: 'requested',
      currency: 'CNY',
      totalAmount: USAGE_AMOUNT - 1_000 + aOrderNov.amount,
      buyer: ENTERPRISE,
      remark,
      emails: ['finance@example.com', 'cfo@example.com'],
      automatic: false,
      requestedBy: a.admin.id,
      number: null,
      issuedAt: null,
      hasDocument: false,
    });
    expect(inv.items).toEqual([
      { kind: 'bill', id: '2026-11', amount: USAGE_AMOUNT - 1_000 },
      { kind: 'order', id: aOrderNov.id, amount: aOrderNov.amount },
    ]);
    expect(inv.totalAmount).toBe(inv.items.reduce((s: number, i: { amount: number }) => s + i.amount, 0));
    // The certification changes later; the invoice keeps the buyer it was requested for.
    expectStatus(await certify(t, a.id, { ...ENTERPRISE, title: '杭州新名字科技有限公司' }), 200);
    const again = expectStatus(
      await api(t, 'GET', `/v1/orgs/${a.id}/invoices/${inv.id}`, { auth: a.admin.auth }),
      200,
    );
    expect(again.buyer.title).toBe(ENTERPRISE.title);
    // Both items are held now: no longer listed, and a second request is refused.
    expect((await invoiceable(t, a)).items.map((i: { id: string }) => i.id)).toEqual([aOrderDec.id]);
    const r = await requestInvoice(t, a, {
      items: [{ kind: 'order', id: aOrderNov.id }],
      type: 'normal',
      emails: EMAILS,
    });
    expect(expectError(r, 422, 'INVOICE_ITEM_NOT_ELIGIBLE').details).toEqual({
      item: { kind: 'order', id: aOrderNov.id },
      reason: 'requested',
    });
  });

  it('certification data: certified alone keeps it; kind needs a title, an enterprise a tax id', async () => {
    const kept = expectStatus(await certify(t, a.id, {}), 200);
    expect(kept.certification).toMatchObject({ kind: 'enterprise', title: '杭州新名字科技有限公司' });
    expectError(await certify(t, a.id, { kind: 'enterprise', title: 'X' }), 400, 'VALIDATION_FAILED');
    expectError(await certify(t, a.id, { title: 'X' }), 400, 'VALIDATION_FAILED');
    expectError(await certify(t, a.id, { kind: 'personal' }), 400, 'VALIDATION_FAILED');
    const none = expectStatus(await certify(t, f.id, {}), 200);
    expect(none.certification).toBeNull();
  });

  it('of concurrent requests naming one item, exactly one is made', async () => {
    t.clock.advance(60_000);
    const body = { items: [{ kind: 'order', id: aOrderDec.id }], type: 'normal', emails: EMAILS };
    const rs = await Promise.all(Array.from({ length: 5 }, () => requestInvoice(t, a, body)));
    expect(rs.map((r) => r.status).sort()).toEqual([201, 422, 422, 422, 422]);
    for (const r of rs.filter((x) => x.status === 422)) {
      expect(r.json.error).toMatchObject({
        code: 'INVOICE_ITEM_NOT_ELIGIBLE',
        details: { reason: 'requested' },
      });
    }
    const list = expectStatus(await api(t, 'GET', `/v1/orgs/${a.id}/invoices`, { auth: a.admin.auth }), 200);
    const holding = list.items.filter((i: { items: { id: string }[] }) =>
      i.items.some((x) => x.id === aOrderDec.id),
    );
    expect(holding).toHaveLength(1);
    expect((await invoiceable(t, a)).items).toEqual([]);
  });
});

describe('issue and fail', () => {
  let special: { id: string; totalAmount: number };
  let dec: { id: string };

  it('lists open requests for the operator, oldest first, with the buyer and items', async () => {
    const q = expectStatus(
      await api(t, 'GET', '/v1/internal/invoices?status=requested', { auth: t.op }),
      200,
    );
    const mine = q.items.filter((i: { orgId: string }) => i.orgId === a.id);
    expect(mine.map((i: { type: string }) => i.type)).toEqual(['special', 'normal']);
    [special, dec] = mine;
    const times = q.items.map((i: { requestedAt: string }) => i.requestedAt);
    expect([...times].sort()).toEqual(times);
    expectError(await api(t, 'GET', '/v1/internal/invoices', { auth: a.admin.auth }), 403, 'FORBIDDEN');
  });

  it('answers 404 for the document until the invoice is issued', async () => {
    const r = await api(t, 'GET', `/v1/orgs/${a.id}/invoices/${special.id}/document`, { auth: a.admin.auth });
    expect(expectError(r, 404, 'NOT_FOUND').details).toEqual({ status: 'requested' });
  });

  it('fails a request with a reason, once; its items may be invoiced again', async () => {
    const failed = expectStatus(
      await api(t, 'POST', `/v1/internal/invoices/${dec.id}/fail`, {
        auth: t.op,
        body: { reason: '抬头有误' },
      }),
      200,
    );
    expect(failed).toMatchObject({ status: 'failed', failureReason: '抬头有误' });
    expect(failed.failedAt).toBe(t.clock.now().toISOString());
    expect((await invoiceable(t, a)).items.map((i: { id: string }) => i.id)).toEqual([aOrderDec.id]);
    const again = await api(t, 'POST', `/v1/internal/invoices/${dec.id}/fail`, {
      auth: t.op,
      body: { reason: 'x' },
    });
    expect(expectError(again, 409, 'INVOICE_NOT_OPEN').details).toEqual({ status: 'failed' });
    const issue = await api(t, 'POST', `/v1/internal/invoices/${dec.id}/issue`, {
      auth: t.op,
      body: { number: 'N1', issuedAt: t.clock.now().toISOString(), pdfBase64: PDF.toString('base64') },
    });
    expectError(issue, 409, 'INVOICE_NOT_OPEN');
    // Requested again, a minute later, by the Org Billing Admin this time.
    t.clock.advance(60_000);
    const r = await requestInvoice(
      t,
      a,
      { items: [{ kind: 'order', id: aOrderDec.id }], type: 'special', emails: EMAILS },
      members.billingAdmin,
    );
    expect(expectStatus(r, 201)).toMatchObject({ requestedBy: members.billingAdmin.id, status: 'requested' });
  });

  it('refuses an upload that is not a PDF, a bad date, and an unknown invoice', async () => {
    const url = `/v1/internal/invoices/${special.id}/issue`;
    const now = t.clock.now().toISOString();
    const bodies = [
      { number: '26332000000012345678', issuedAt: now, pdfBase64: Buffer.from('hello').toString('base64') },
      { number: '26332000000012345678', issuedAt: now, pdfBase64: '%%%not base64' },
      { number: '26332000000012345678', issuedAt: '2027-06-01T00:00:00Z', pdfBase64: PDF.toString('base64') },
      { number: '26332000000012345678', issuedAt: '2026-01-01T00:00:00Z', pdfBase64: PDF.toString('base64') },
      { number: 'no spaces please', issuedAt: now, pdfBase64: PDF.toString('base64') },
    ];
    for (const body of bodies)
      expectError(await api(t, 'POST', url, { auth: t.op, body }), 400, 'VALIDATION_FAILED');
    const good = { number: '26332000000012345678', issuedAt: now, pdfBase64: PDF.toString('base64') };
    const unknown = await api(t, 'POST', '/v1/internal/invoices/inv_unknown/issue', {
      auth: t.op,
      body: good,
    });
    expectError(unknown, 404, 'NOT_FOUND');
    const unknownFail = await api(t, 'POST', '/v1/internal/invoices/inv_unknown/fail', {
      auth: t.op,
      body: { reason: 'x' },
    });
    expectError(unknownFail, 404, 'NOT_FOUND');
    const still = expectStatus(
      await api(t, 'GET', `/v1/orgs/${a.id}/invoices/${special.id}`, { auth: a.admin.auth }),
      200,
    );
    expect(still.status).toBe('requested');
  });

  it('issues with number, date and PDF, once; the org downloads the PDF byte for byte', async () => {
    const issuedAt = '2026-12-07T00:00:00.000Z';
    const issued = expectStatus(
      await api(t, 'POST', `/v1/internal/invoices/${special.id}/issue`, {
        auth: t.op,
        body: { number: '26332000000012345678', issuedAt, pdfBase64: PDF.toString('base64') },
      }),
      200,
    );
    expect(issued).toMatchObject({
      status: 'issued',
      number: '26332000000012345678',
      issuedAt,
      hasDocument: true,
    });
    const doc = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${a.id}/invoices/${special.id}/document`,
      headers: members.billingAdmin.auth,
    });
    expect(doc.statusCode).toBe(200);
    expect(doc.headers['content-type']).toBe('application/pdf');
    expect(doc.rawPayload.equals(PDF)).toBe(true);
    const twice = await api(t, 'POST', `/v1/internal/invoices/${special.id}/issue`, {
      auth: t.op,
      body: { number: 'OTHER', issuedAt, pdfBase64: PDF.toString('base64') },
    });
    expect(expectError(twice, 409, 'INVOICE_NOT_OPEN').details).toEqual({ status: 'issued' });
    expectError(
      await api(t, 'POST', `/v1/internal/invoices/${special.id}/fail`, { auth: t.op, body: { reason: 'x' } }),
      409,
      'INVOICE_NOT_OPEN',
    );
    const r = await requestInvoice(t, a, {
      items: [{ kind: 'bill', id: '2026-11' }],
      type: 'normal',
      emails: EMAILS,
    });
    expect(expectError(r, 422, 'INVOICE_ITEM_NOT_ELIGIBLE').details.reason).toBe('invoiced');
    const list = expectStatus(
      await api(t, 'GET', `/v1/orgs/${a.id}/invoices?status=issued`, { auth: a.admin.auth }),
      200,
    );
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([special.id]);
  });

  it('lists the org’s invoices newest first, in pages', async () => {
    const all = expectStatus(
      await api(t, 'GET', `/v1/orgs/${a.id}/invoices`, { auth: a.admin.auth }),
      200,
    ).items;
    expect(all.map((i: { status: string }) => i.status).sort()).toEqual(['failed', 'issued', 'requested']);
    // Newest request first; requests of the same instant by id, descending.
    const key = (i: { requestedAt: string; id: string }) => `${i.requestedAt} ${i.id}`;
    expect(all.map(key)).toEqual(all.map(key).sort().reverse());
    expect(all[0].requestedBy).toBe(members.billingAdmin.id);
    const first = expectStatus(
      await api(t, 'GET', `/v1/orgs/${a.id}/invoices?limit=2`, { auth: a.admin.auth }),
      200,
    );
    expect(first.items).toEqual(all.slice(0, 2));
    const rest = expectStatus(
      await api(t, 'GET', `/v1/orgs/${a.id}/invoices?limit=2&cursor=${first.nextCursor}`, {
        auth: a.admin.auth,
      }),
      200,
    );
    expect(rest).toEqual({ items: all.slice(2), nextCursor: null });
  });
});

describe('who may', () => {
  it('Org Admin and Org Billing Admin read and request; project roles and members get 403; another org 404', async () => {
    const some = expectStatus(await api(t, 'GET', `/v1/orgs/${a.id}/invoices`, { auth: a.admin.auth }), 200)
      .items[0];
    const paths = [
      `/v1/orgs/${a.id}/invoiceable`,
      `/v1/orgs/${a.id}/invoices`,
      `/v1/orgs/${a.id}/invoices/${some.id}`,
      `/v1/orgs/${a.id}/settings/auto-invoice`,
    ];
    for (const path of paths) {
      expectStatus(await api(t, 'GET', path, { auth: members.billingAdmin.auth }), 200);
      for (const m of [members.p1Admin, members.orgMember]) {
        expectError(await api(t, 'GET', path, { auth: m.auth }), 403, 'FORBIDDEN');
      }
      expectError(await api(t, 'GET', path, { auth: c.admin.auth }), 404, 'NOT_FOUND');
    }
    const body = { items: [{ kind: 'order', id: aOrderNov.id }], type: 'normal', emails: EMAILS };
    expectError(await requestInvoice(t, a, body, members.p1Admin), 403, 'FORBIDDEN');
    expectError(await requestInvoice(t, a, body, c.admin), 404, 'NOT_FOUND');
    // Another org's invoice through one's own org is unknown.
    expectError(
      await api(t, 'GET', `/v1/orgs/${c.id}/invoices/${some.id}`, { auth: c.admin.auth }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await api(t, 'GET', `/v1/orgs/${c.id}/invoices/${some.id}/document`, { auth: c.admin.auth }),
      404,
      'NOT_FOUND',
    );
    const put = { enabled: true, emails: EMAILS };
    expectError(
      await api(t, 'PUT', `/v1/orgs/${a.id}/settings/auto-invoice`, {
        auth: members.p1Admin.auth,
        body: put,
      }),
      403,
      'FORBIDDEN',
    );
  });
});

describe('automatic requests', () => {
  it('the switch: off by default, addresses required when on', async () => {
    const url = `/v1/orgs/${e.id}/settings/auto-invoice`;
    expect(expectStatus(await api(t, 'GET', url, { auth: e.admin.auth }), 200)).toEqual({
      enabled: false,
      emails: [],
      type: 'special',
      updatedAt: null,
      updatedBy: null,
    });
    expectError(
      await api(t, 'PUT', url, { auth: e.admin.auth, body: { enabled: true, emails: [] } }),
      400,
      'VALIDATION_FAILED',
    );
    for (const org of [e, f, h]) {
      const s = expectStatus(
        await api(t, 'PUT', `/v1/orgs/${org.id}/settings/auto-invoice`, {
          auth: org.admin.auth,
          body: { enabled: true, emails: ['ap@example.com'] },
        }),
        200,
      );
      expect(s).toMatchObject({ enabled: true, emails: ['ap@example.com'], updatedBy: org.admin.id });
    }
  });

  it('requests a 专票 for a bill 3 days after it is paid, once; refuses (kept as failed) an org with no certification data', async () => {
    // E's and F's November bills are paid by a top-up after the switch was turned on; H's was paid before.
    t.clock.set('2026-12-08T10:00:00Z');
    for (const org of [e, f]) await topUp(t, org, USAGE_AMOUNT);
    const ePaidAt = new Date((await bill(t, e, '2026-11')).paidAt);
    expect((await bill(t, f, '2026-11')).status).toBe('paid');
    expect((await bill(t, h, '2026-11')).status).toBe('paid');
    const due = new Date(ePaidAt.getTime() + 3 * 86_400_000);

    expect(await requestDueInvoices(t.deps, new Date(due.getTime() - 1000))).toEqual({
      requested: 0,
      refused: 0,
      skipped: 0,
      errors: 0,
    });
    // Two instances run the job at the same instant: each bill is requested once between them.
    const [r1, r2] = await Promise.all([requestDueInvoices(t.deps, due), requestDueInvoices(t.deps, due)]);
    expect(r1.requested + r2.requested).toBe(1);
    expect(r1.refused + r2.refused).toBe(1);
    expect(r1.errors + r2.errors).toBe(0);
    expect(await requestDueInvoices(t.deps, new Date(due.getTime() + 86_400_000))).toEqual({
      requested: 0,
      refused: 0,
      skipped: 0,
      errors: 0,
    });

    const eList = expectStatus(
      await api(t, 'GET', `/v1/orgs/${e.id}/invoices`, { auth: e.admin.auth }),
      200,
    ).items;
    expect(eList).toHaveLength(1);
    expect(eList[0]).toMatchObject({
      type: 'special',
      status: 'requested',
      automatic: true,
      requestedBy: null,
      emails: ['ap@example.com'],
      buyer: { kind: 'enterprise', title: ENTERPRISE.title },
      totalAmount: USAGE_AMOUNT,
      items: [{ kind: 'bill', id: '2026-11', amount: USAGE_AMOUNT }],
    });
    const fList = expectStatus(
      await api(t, 'GET', `/v1/orgs/${f.id}/invoices`, { auth: f.admin.auth }),
      200,
    ).items;
    expect(fList).toHaveLength(1);
    expect(fList[0]).toMatchObject({ status: 'failed', automatic: true, buyer: null });
    expect(fList[0].failureReason).toMatch(/no certification data/);
    // F's bill stays eligible for a request by hand; H's (paid before the switch) was not requested.
    expect(
      (await invoiceable(t, f)).items.map((i: { kind: string; id: string }) => `${i.kind}:${i.id}`),
    ).toContain('bill:2026-11');
    expect(
      expectStatus(await api(t, 'GET', `/v1/orgs/${h.id}/invoices`, { auth: h.admin.auth }), 200).items,
    ).toEqual([]);
  });
});

describe('what holds whatever happened', () => {
  it('no item is held by two requests that have not failed; every total is the sum of its items', async () => {
    const rows = await t.deps.db
      .selectFrom('invoice_items as it')
      .innerJoin('invoices as i', (j) =>
        j.onRef('i.org_id', '=', 'it.org_id').onRef('i.id', '=', 'it.invoice_id'),
      )
      .select(['it.org_id', 'it.kind', 'it.item_id', 'it.active', 'i.status'])
      .execute();
    const held = rows.filter((r) => r.status !== 'failed');
    expect(held.every((r) => r.active)).toBe(true);
    expect(rows.filter((r) => r.status === 'failed').every((r) => !r.active)).toBe(true);
    const keys = held.map((r) => `${r.org_id}:${r.kind}:${r.item_id}`);
    expect(new Set(keys).size).toBe(keys.length);
    const invoices = await t.deps.db
      .selectFrom('invoices')
      .select(['org_id', 'id', 'total_amount'])
      .execute();
    const items = await t.deps.db
      .selectFrom('invoice_items')
      .select(['org_id', 'invoice_id', 'amount'])
      .execute();
    for (const inv of invoices) {
      const sum = items
        .filter((i) => i.org_id === inv.org_id && i.invoice_id === inv.id)
        .reduce((s, i) => s + i.amount, 0);
      expect(sum).toBe(inv.total_amount);
    }
  });
});

describe('the contract', () => {
  it('every answer of the invoice routes matches its schema in contract/invoices.ts exactly', async () => {
    const check = (key: keyof typeof invoiceResponses, r: Awaited<ReturnType<typeof api>>, status = 200) => {
      expect(r.status, r.body).toBe(status);
      const parsed = invoiceResponses[key].safeParse(r.json);
      expect(parsed.error, `${key}: ${r.body}`).toBeUndefined();
    };
    const o = `/v1/orgs/${f.id}`;
    check('GET /v1/orgs/:orgId/invoiceable', await api(t, 'GET', `${o}/invoiceable`, { auth: f.admin.auth }));
    expectStatus(await certify(t, f.id, ENTERPRISE), 200);
    const made = await requestInvoice(t, f, {
      items: [{ kind: 'bill', id: '2026-11' }],
      type: 'special',
      emails: EMAILS,
    });
    check('POST /v1/orgs/:orgId/invoices', made, 201);
    const id = made.json.id;
    check('GET /v1/orgs/:orgId/invoices', await api(t, 'GET', `${o}/invoices`, { auth: f.admin.auth }));
    check(
      'GET /v1/orgs/:orgId/invoices/:invoiceId',
      await api(t, 'GET', `${o}/invoices/${id}`, { auth: f.admin.auth }),
    );
    check(
      'GET /v1/orgs/:orgId/settings/auto-invoice',
      await api(t, 'GET', `${o}/settings/auto-invoice`, { auth: f.admin.auth }),
    );
    check(
      'PUT /v1/orgs/:orgId/settings/auto-invoice',
      await api(t, 'PUT', `${o}/settings/auto-invoice`, {
        auth: f.admin.auth,
        body: { enabled: false, emails: [] },
      }),
    );
    check(
      'GET /v1/internal/invoices',
      await api(t, 'GET', '/v1/internal/invoices?status=failed', { auth: t.op }),
    );
    check('GET /v1/internal/invoices', await api(t, 'GET', '/v1/internal/invoices', { auth: t.op }));
    check(
      'POST /v1/internal/invoices/:invoiceId/issue',
      await api(t, 'POST', `/v1/internal/invoices/${id}/issue`, {
        auth: t.op,
        body: { number: '1234', issuedAt: t.clock.now().toISOString(), pdfBase64: PDF.toString('base64') },
      }),
    );
    const fOrderInvoice = await requestInvoice(t, f, {
      items: [{ kind: 'order', id: fOrder.id }],
      type: 'normal',
      emails: EMAILS,
    });
    check(
      'POST /v1/internal/invoices/:invoiceId/fail',
      await api(t, 'POST', `/v1/internal/invoices/${fOrderInvoice.json.id}/fail`, {
        auth: t.op,
        body: { reason: 'x' },
      }),
    );
  });
});

describe('hostile input', () => {
  it('malformed bodies, queries and ids on every invoice route: a 4xx in the error format, never a 5xx', async () => {
    const o = `/v1/orgs/${a.id}`;
    const bodies: unknown[] = [
      null,
      [],
      'text',
      { items: null, type: null, emails: null },
      { items: [{ kind: 'bill', id: '2026-99' }], type: 'normal', emails: ['a@example.com'] },
      { items: [{ kind: 'order', id: 'x'.repeat(65) }], type: 'normal', emails: ['a@example.com'] },
      { items: [{ kind: 'order', id: 'ord_1', extra: 1 }], type: 'normal', emails: ['a@example.com'] },
      {
        items: [{ kind: 'bill', id: '2026-11' }],
        type: 'normal',
        emails: ['a@example.com'],
        remark: 'a\u0000b',
      },
      { number: '1', issuedAt: 'yesterday', pdfBase64: 'JVBERi0=' },
      { number: '1', issuedAt: '2026-12-07T00:00:00Z', pdfBase64: 'JVBERi0=' },
      { reason: '' },
      { reason: 'x'.repeat(501) },
      { enabled: 'yes', emails: 'a@example.com' },
    ];
    const posts = [`${o}/invoices`, '/v1/internal/invoices/inv_x/issue', '/v1/internal/invoices/inv_x/fail'];
    for (const url of posts) {
      for (const body of bodies) {
        const r = await api(t, 'POST', url, { auth: url.includes('/internal/') ? t.op : a.admin.auth, body });
        expect(r.status, `${url} ${JSON.stringify(body)} → ${r.body}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${url} ${JSON.stringify(body)} → ${r.body}`).toBeLessThan(500);
        expect(r.json.error.code).toBeTypeOf('string');
      }
    }
    for (const body of bodies) {
      const r = await api(t, 'PUT', `${o}/settings/auto-invoice`, { auth: a.admin.auth, body });
      expect(r.status, r.body).toBeGreaterThanOrEqual(400);
      expect(r.status, r.body).toBeLessThan(500);
    }
    const gets = [
      `${o}/invoiceable?limit=0`,
      `${o}/invoiceable?limit=abc`,
      `${o}/invoiceable?cursor=${Buffer.from('["x","bill","y"]').toString('base64url')}`,
      `${o}/invoiceable?cursor=${Buffer.from('["2026-12-01T00:00:00Z","topup","y"]').toString('base64url')}`,
      `${o}/invoices?status=open`,
      `${o}/invoices?cursor=%%`,
      `${o}/invoices/${encodeURIComponent('../x')}`,
      `${o}/invoices/inv_unknown/document`,
      '/v1/internal/invoices?status=all',
    ];
    for (const url of gets) {
      const r = await api(t, 'GET', url, { auth: url.includes('/internal/') ? t.op : a.admin.auth });
      expect(r.status, `${url} → ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${url} → ${r.body}`).toBeLessThan(500);
    }
  });
});

describe('a resolved bill', () => {
  it('is invoiced for what was charged after the adjustment, not for usage less coupons', async () => {
    const nov = await bill(t, g, '2026-11');
    expect(nov).toMatchObject({
      status: 'paid',
      usageAmount: USAGE_AMOUNT,
      couponAmount: 0,
      adjustmentAmount: ADJUSTMENT,
      amountDue: USAGE_AMOUNT - ADJUSTMENT,
      paidAmount: USAGE_AMOUNT - ADJUSTMENT,
    });
    const listed = (await invoiceable(t, g)).items.find((i: { kind: string }) => i.kind === 'bill');
    expect(listed).toMatchObject({ kind: 'bill', id: '2026-11', amount: USAGE_AMOUNT - ADJUSTMENT });
    const r = await requestInvoice(t, g, {
      items: [{ kind: 'bill', id: '2026-11' }],
      type: 'special',
      emails: EMAILS,
    });
    const invoice = expectStatus(r, 201);
    expect(invoice.items).toEqual([
      expect.objectContaining({ kind: 'bill', id: '2026-11', amount: USAGE_AMOUNT - ADJUSTMENT }),
    ]);
    expect(invoice.totalAmount).toBe(USAGE_AMOUNT - ADJUSTMENT);
  });

  it('adjusted down to nothing owed is not invoiceable: it is refused as nothing_to_invoice', async () => {
    expect(await bill(t, k, '2026-11')).toMatchObject({
      status: 'paid',
      adjustmentAmount: USAGE_AMOUNT,
      amountDue: 0,
    });
    expect((await invoiceable(t, k)).items.map((i: { kind: string }) => i.kind)).toEqual(['order']);
    const error = expectError(
      await requestInvoice(t, k, {
        items: [{ kind: 'bill', id: '2026-11' }],
        type: 'special',
        emails: EMAILS,
      }),
      422,
      'INVOICE_ITEM_NOT_ELIGIBLE',
    );
    expect(error.details).toEqual({ item: { kind: 'bill', id: '2026-11' }, reason: 'nothing_to_invoice' });
  });
});
