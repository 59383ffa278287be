import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../csv.js';
import {
  addMember,
  addRoleMembers,
  api,
  buyCluster,
  createOrg,
  type Member,
  type OrgFixture,
  pay,
  topUp,
} from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

let t: TestTally;
let org: OrgFixture;
let other: OrgFixture;
let roles: Record<'billingAdmin' | 'orgMember' | 'p1Admin', Member>;
let orderId: string;
const DAY = 86_400_000;

interface Entry {
  id: string;
  kind: string;
  amount: number;
  reference: string;
  orderId: string | null;
  memo: string | null;
  createdAt: string;
}

// Three cash entries a day apart: a top-up (11-02 08:00Z), an order's payment (11-03), a second top-up (11-04).
beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t, { timeZone: 'Asia/Shanghai' });
  other = await createOrg(t);
  roles = await addRoleMembers(t, org, ['billingAdmin', 'orgMember', 'p1Admin']);
  await topUp(t, org, 100_000, 'REF-FIRST');
  t.clock.advance(DAY);
  const { order } = await buyCluster(t, org);
  orderId = order.id;
  expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
  t.clock.advance(DAY);
  await topUp(t, org, 50_000, 'REF-SECOND');
  await topUp(t, other, 70_000);
});

const list = (query = '', as: Member = org.admin, orgId = org.id) =>
  api(t, 'GET', `/v1/orgs/${orgId}/ledger${query}`, { auth: as.auth });

async function download(query: string, as: Member = org.admin, orgId = org.id) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/v1/orgs/${orgId}/ledger/export${query}`,
    headers: as.auth,
  });
  return { status: res.statusCode, headers: res.headers, raw: res.rawPayload, body: res.body };
}

const yuan = (fen: number) =>
  `${fen < 0 ? '-' : ''}${Math.floor(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;

describe('收支明细: the ledger list with its filters', () => {
  it('lists the org’s cash entries newest first, signed, with the order they paid', async () => {
    const r = await list();
    expect(r.status).toBe(200);
    expect(r.json.items.map((e: Entry) => [e.kind, e.amount, e.orderId])).toEqual([
      ['topup', 50_000, null],
      ['order_payment', -90_000, orderId],
      ['topup', 100_000, null],
    ]);
    expect(r.json.items[0].reference).toBe('REF-SECOND');
    expect(r.json.nextCursor).toBeNull();
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('filters by kind', async () => {
    const topups = await list('?kind=topup');
    expect(topups.json.items.map((e: Entry) => e.reference)).toEqual(['REF-SECOND', 'REF-FIRST']);
    const payments = await list('?kind=order_payment');
    expect(payments.json.items.map((e: Entry) => e.orderId)).toEqual([orderId]);
    expect((await list('?kind=bill_payment')).json.items).toEqual([]);
  });

  it('filters by a half-open range of instants: from is in, to is out', async () => {
    const r = await list('?from=2026-11-03T08:00:00Z&to=2026-11-04T08:00:00Z');
    expect(r.json.items.map((e: Entry) => e.kind)).toEqual(['order_payment']);
    const fromOnly = await list(`?from=${encodeURIComponent('2026-11-03T16:00:00+08:00')}`);
    expect(fromOnly.json.items.map((e: Entry) => e.amount)).toEqual([50_000, -90_000]);
    const toOnly = await list('?to=2026-11-03T08:00:00Z');
    expect(toOnly.json.items.map((e: Entry) => e.reference)).toEqual(['REF-FIRST']);
    const both = await list('?kind=topup&from=2026-11-02T00:00:00Z&to=2026-11-04T00:00:00Z');
    expect(both.json.items.map((e: Entry) => e.reference)).toEqual(['REF-FIRST']);
  });

  it('pages within the filters', async () => {
    const first = await list('?kind=topup&limit=1');
    expect(first.json.items.map((e: Entry) => e.reference)).toEqual(['REF-SECOND']);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await list(`?kind=topup&limit=1&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(second.json.items.map((e: Entry) => e.reference)).toEqual(['REF-FIRST']);
    expect(second.json.nextCursor).toBeNull();
  });

  it('refuses bad filters with 400 VALIDATION_FAILED', async () => {
    for (const q of [
      '?kind=gift',
      '?from=yesterday',
      '?to=2026-11-03',
      '?from=2026-11-04T00:00:00Z&to=2026-11-03T00:00:00Z',
      '?from=2026-11-03T00:00:00Z&to=2026-11-03T00:00:00Z',
      '?limit=0',
      '?color=red',
    ]) {
      const r = await list(q);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code, q).toBe('VALIDATION_FAILED');
    }
    for (const q of ['?format=pdf', '?kind=gift', '?from=2026-11-04T00:00:00Z&to=2026-11-03T00:00:00Z']) {
      const r = await download(q);
      expect(r.status, q).toBe(400);
      expect(JSON.parse(r.body).error.code, q).toBe('VALIDATION_FAILED');
    }
  });
});

describe('收支明细 export', () => {
  it('CSV: the same entries as the list, times in the org’s zone, amounts signed in yuan', async () => {
    for (const q of ['', '?kind=topup', '?from=2026-11-03T08:00:00Z&to=2026-11-04T08:00:00Z']) {
      const shown = (await list(`${q}${q ? '&' : '?'}limit=100`)).json.items as Entry[];
      const r = await download(`${q}${q ? '&' : '?'}format=csv`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toContain('text/csv');
      expect(r.headers['content-disposition']).toContain('ledger.csv');
      expect([...r.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const [header, ...rows] = parseCsv(r.raw.toString('utf8'));
      expect(header).toEqual([
        '时间 (Asia/Shanghai)',
        '类型',
        '收支',
        '金额 (CNY)',
        '关联单据',
        '订单号',
        '备注',
        '流水号',
      ]);
      expect(rows.map((c) => c[7])).toEqual(shown.map((e) => e.id));
      expect(rows.map((c) => [c[3], c[4], c[5]])).toEqual(
        shown.map((e) => [yuan(e.amount), e.reference, e.orderId ?? '']),
      );
    }
    const all = parseCsv((await download('')).raw.toString('utf8'));
    expect(all[1]).toEqual(
      expect.arrayContaining(['2026-11-04 16:00:00', '充值', '收入', '500.00', 'REF-SECOND']),
    );
    expect(all[2]).toEqual(
      expect.arrayContaining(['2026-11-03 16:00:00', '订单支付', '支出', '-900.00', orderId]),
    );
  });

  it('English on request, and XLSX that reads back with the same rows', async () => {
    const en = parseCsv((await download('?lang=en')).raw.toString('utf8'));
    expect(en[0]?.[0]).toBe('Time (Asia/Shanghai)');
    expect(en[2]?.slice(1, 4)).toEqual(['Order payment', 'Out', '-900.00']);
    const x = await download('?format=xlsx&kind=topup');
    expect(x.status).toBe(200);
    expect(x.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.raw as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('收支明细');
    expect(ws.actualRowCount).toBe(3);
    expect(ws.getRow(2).getCell(4).value).toBe(500);
    expect(ws.getRow(3).getCell(5).value).toBe('REF-FIRST');
  });
});

describe('收支明细 access', () => {
  it('another org’s ledger is 404, list and export', async () => {
    expect((await list('', other.admin)).status).toBe(404);
    expect((await download('', other.admin)).status).toBe(404);
    expect((await list('', org.admin, 'org_nonexistent')).status).toBe(404);
    // and the other org's own ledger holds only its own entry
    expect((await list('', other.admin, other.id)).json.items).toHaveLength(1);
  });

  it('Org Admin and Billing Admin read it; an Org Member or a Project Admin gets 403', async () => {
    expect((await list('', roles.billingAdmin)).status).toBe(200);
    expect((await download('', roles.billingAdmin)).status).toBe(200);
    for (const m of [roles.orgMember, roles.p1Admin]) {
      const r = await list('', m);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('FORBIDDEN');
      expect((await download('', m)).status).toBe(403);
    }
  });
});

describe('order history names its actors by email', () => {
  it('the creator and the payer (API key) by email, the system with none', async () => {
    const r = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${orderId}`, { auth: org.admin.auth });
    expect(r.json.history.map((h: { to: string; by: unknown }) => [h.to, h.by])).toEqual([
      ['unpaid', { type: 'user', id: org.admin.id, email: org.admin.email }],
      ['paid', { type: 'user', id: org.admin.id, email: org.admin.email }],
    ]);
    const { order } = await buyCluster(t, org);
    t.clock.set(order.expiresAt);
    const timedOut = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${order.id}`, { auth: org.admin.auth });
    expect(timedOut.json.history.at(-1)).toMatchObject({
      to: 'timed_out',
      by: { type: 'system', id: null, email: null },
    });
    await t.jobs.runAllOnce();
    const swept = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${order.id}`, { auth: org.admin.auth });
    expect(swept.json.history.at(-1)).toMatchObject({ to: 'timed_out', by: { type: 'system', email: null } });
  });

  it('a step made in a console session shows the signed-in user’s email', async () => {
    const m = await addMember(t, org.id, 'org_admin', [], 'correct horse battery');
    const login = await api(t, 'POST', '/v1/auth/login', {
      body: { email: m.email, password: 'correct horse battery' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const { order } = await buyCluster(t, org);
    const cancel = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, {
      headers: { cookie, 'x-csrf-token': login.json.csrfToken },
    });
    expect(cancel.status).toBe(200);
    const r = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${order.id}`, { headers: { cookie } });
    expect(r.json.history.map((h: { by: { email: string | null } }) => h.by.email)).toEqual([
      org.admin.email,
      m.email,
    ]);
  });
});

describe('the server’s clock on every answer', () => {
  it('x-server-time is the server clock (the test clock), on successes and errors alike', async () => {
    t.clock.set('2027-01-15T03:04:05.678Z');
    expect((await list()).headers['x-server-time']).toBe('2027-01-15T03:04:05.678Z');
    t.clock.advance(3 * 3_600_000);
    const refused = await list('?kind=gift');
    expect(refused.status).toBe(400);
    expect(refused.headers['x-server-time']).toBe('2027-01-15T06:04:05.678Z');
  });
});
