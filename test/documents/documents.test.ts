import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
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
import { BILLING_TEST_CATALOG, startTestTally, type TestTally } from '../harness.js';
import { pdfText } from '../pdf-text.js';

let t: TestTally;
let org: OrgFixture;
let paidOrderId: string;
let upgradeOrderId: string;

async function download(url: string, auth = org.admin.auth) {
  const res = await t.app.inject({ method: 'GET', url, headers: auth });
  return { status: res.statusCode, headers: res.headers, raw: res.rawPayload, body: res.body };
}

beforeAll(async () => {
  t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
  org = await createOrg(t, { timeZone: 'Asia/Shanghai' });
  const c = await runningCluster(t, org);
  const up = await api(t, 'POST', `/v1/orgs/${org.id}/clusters/${c.id}/upgrade`, {
    auth: org.admin.auth,
    body: { cuSize: 2 },
  });
  upgradeOrderId = up.json.order.id;
  const { order } = await buyCluster(t, org, org.admin, { term: { unit: 'year', count: 1 } });
  await topUp(t, org, order.amount);
  t.clock.advance(60_000);
  expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
  paidOrderId = order.id;
  const r = await api(t, 'POST', '/v1/internal/usage', {
    auth: t.op,
    body: {
      events: [
        {
          id: `doc-${org.id}`,
          orgId: org.id,
          clusterId: c.id,
          metric: 'storage',
          quantity: 123456.789,
          start: '2026-11-02T00:00:00Z',
          end: '2026-11-02T05:00:00Z',
        },
      ],
    },
  });
  expect(r.status, r.body).toBe(200);
});

describe('the order document (PDF)', () => {
  it('is a real PDF whose text extracts with the Chinese labels, amounts and times in the org’s zone', async () => {
    const r = await download(`/v1/orgs/${org.id}/orders/${paidOrderId}/document`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['content-disposition']).toContain(`order-${paidOrderId}.pdf`);
    expect(r.raw.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(r.raw);
    for (const label of [
      '订单号',
      '订单类型',
      '新购',
      '已支付',
      '购买配置',
      '购买时长',
      '原价',
      '优惠',
      '应付金额',
      '创建时间',
      '支付时间',
      '支付截止时间',
    ])
      expect(text).toContain(label);
    expect(text).toContain(paidOrderId);
    // 1 CU × 1 replica × ¥1.25 × 24 × 30 × 12 = ¥10,800.00 at list, 7折 = ¥7,560.00
    // each amount on its label's line
    expect(text).toMatch(/原价[ \t]+¥10,800\.00/);
    expect(text).toMatch(/优惠[ \t]+-¥3,240\.00/);
    expect(text).toMatch(/应付金额[ \t]+¥7,560\.00/);
    expect(text).toMatch(/购买时长[ \t]+1\s?年/);
    expect(text).toContain('阿里云 华东1（杭州）');
    // Created 2026-11-02T08:00:10Z or so: shown in Asia/Shanghai (+8)
    expect(text).toMatch(/创建时间[ \t]+2026-11-02 16:0\d:\d\d/);
    expect(text).toContain('Asia/Shanghai');
  });

  it('is deterministic for the same data', async () => {
    const a = await download(`/v1/orgs/${org.id}/orders/${paidOrderId}/document`);
    t.clock.advance(5_000);
    const b = await download(`/v1/orgs/${org.id}/orders/${paidOrderId}/document`);
    expect(Buffer.compare(a.raw, b.raw)).toBe(0);
  });

  it('speaks English with ?lang=en and shows the configuration before an upgrade', async () => {
    const r = await download(`/v1/orgs/${org.id}/orders/${upgradeOrderId}/document?lang=en`);
    expect(r.status).toBe(200);
    const text = await pdfText(r.raw);
    for (const label of [
      'Order ID',
      'Upgrade',
      'Unpaid',
      'Configuration before',
      'List price',
      'Amount due',
      'Payment deadline',
    ])
      expect(text).toContain(label);
    expect(text).toMatch(/CU size 1 CU/);
    expect(text).toMatch(/CU size 2 CU/);
  });

  it('is 404 for another org and 403 for a role that may not download', async () => {
    const other = await createOrg(t);
    expect(
      (await download(`/v1/orgs/${org.id}/orders/${paidOrderId}/document`, other.admin.auth)).status,
    ).toBe(404);
    const viewer = await addMember(t, org.id, 'org_member', [
      { projectId: org.projects[0]!.id, role: 'project_viewer' },
    ]);
    expect((await download(`/v1/orgs/${org.id}/orders/${paidOrderId}/document`, viewer.auth)).status).toBe(
      403,
    );
  });
});

describe('the bill document and spreadsheets', () => {
  it('renders the open month as a PDF with its lines and totals', async () => {
    const bill = (await api(t, 'GET', `/v1/orgs/${org.id}/bills/2026-11`, { auth: org.admin.auth })).json;
    const r = await download(`/v1/orgs/${org.id}/bills/2026-11/document`);
    expect(r.status).toBe(200);
    const text = await pdfText(r.raw);
    for (const label of [
      '账单',
      '账单月份',
      '未出账',
      '账单总额',
      '包年包月（已预付）',
      '按量付费',
      '优惠券抵扣',
      '账单明细',
      '存储',
    ])
      expect(text).toContain(label);
    expect(text).toContain('2026-11');
    // 123,456.789 GB × 5 hours
    expect(text).toContain('617283.945');
    const yuan = (f: number) =>
      `¥${Math.floor(f / 100).toLocaleString('en-US')}.${String(f % 100).padStart(2, '0')}`;
    expect(text).toContain(yuan(bill.totalAmount));
    expect(text).toContain(yuan(bill.usageAmount));
  });

  it('exports the bill as CSV with a BOM and as XLSX that reads back', async () => {
    const csv = await download(`/v1/orgs/${org.id}/bills/2026-11/export?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect([...csv.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.raw.toString('utf8')).toContain('账单月份');
    const x = await download(`/v1/orgs/${org.id}/bills/2026-11/export?format=xlsx`);
    expect(x.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.raw as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.getRow(1).getCell(1).value).toBe('账单月份');
    expect(ws.rowCount).toBeGreaterThanOrEqual(3);
  });
});

describe('the orders export', () => {
  it('streams the filtered list as CSV (BOM, Chinese headers) and XLSX', async () => {
    const all = await download(`/v1/orgs/${org.id}/orders/export?format=csv`);
    expect(all.status).toBe(200);
    expect([...all.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = all.raw.toString('utf8').slice(1).trim().split('\r\n');
    expect(lines[0]).toMatch(/^订单号,订单类型,订单状态/);
    expect(lines).toHaveLength(1 + 3);
    const paidOnly = await download(`/v1/orgs/${org.id}/orders/export?format=csv&status=paid`);
    const paidLines = paidOnly.raw.toString('utf8').trim().split('\r\n');
    expect(paidLines).toHaveLength(1 + 2);
    expect(paidOnly.raw.toString('utf8')).toContain(paidOrderId);
    const x = await download(`/v1/orgs/${org.id}/orders/export?format=xlsx&type=upgrade`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.raw as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.getRow(1).getCell(1).value).toBe('订单号');
    expect(ws.getRow(2).getCell(1).value).toBe(upgradeOrderId);
    expect(ws.getRow(2).getCell(2).value).toBe('升配');
    expect(ws.actualRowCount).toBe(2);
  });

  it('keeps the roles of the list: a billing admin may not export orders', async () => {
    const billing = await addMember(t, org.id, 'org_billing_admin');
    expect((await download(`/v1/orgs/${org.id}/orders/export`, billing.auth)).status).toBe(403);
  });
});
