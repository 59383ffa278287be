import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../csv.js';
import { buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * CSV/XLSX formula injection (SPEC §11): text a spreadsheet would run goes out with a leading apostrophe,
 * whatever follows the first character (`-2+3+cmd|…` looks like a number to a guesser), and amounts are
 * numbers because the row model says so.
 */
const PAYLOADS = ["-2+3+cmd|' /C calc'!A0", '=HYPERLINK("http://x")', '+1+1', '@SUM(A1)', '-1.50'];

let t: TestTally;
let org: OrgFixture;
const orders: { id: string; name: string; amount: number }[] = [];

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  for (const name of PAYLOADS) {
    const { order } = await buyCluster(t, org, org.admin, { name });
    orders.push({ id: order.id, name, amount: order.amount });
  }
});

async function download(format: 'csv' | 'xlsx') {
  const res = await t.app.inject({
    method: 'GET',
    url: `/v1/orgs/${org.id}/orders/export?format=${format}`,
    headers: org.admin.auth,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.rawPayload;
}

describe('order exports neutralize formula text', () => {
  it('CSV: every payload cluster name starts with an apostrophe; amounts stay plain numbers', async () => {
    const rows = parseCsv((await download('csv')).toString('utf8').replace(/^\uFEFF/, ''));
    const header = rows[0]!;
    const nameCol = header.indexOf('集群');
    const amountCol = header.findIndex((h) => h.startsWith('应付金额'));
    expect(nameCol).toBe(4);
    expect(amountCol).toBeGreaterThan(0);
    for (const o of orders) {
      const row = rows.find((r) => r[0] === o.id);
      expect(row, o.id).toBeDefined();
      expect(row![nameCol]).toBe(`'${o.name}`);
      expect(row![amountCol]).toBe((o.amount / 100).toFixed(2));
    }
    // No cell anywhere begins with a formula character.
    for (const r of rows) for (const c of r) expect(c, c).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('XLSX: the payload is a string cell with the apostrophe; the amount is a number cell', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await download('xlsx')) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    // exceljs row values are 1-based: index i is column i.
    const header = Array.from(ws.getRow(1).values as unknown[], (v) => String(v ?? ''));
    const amountCol = header.findIndex((h) => h.startsWith('应付金额'));
    expect(amountCol).toBeGreaterThan(0);
    const seen = new Set<string>();
    ws.eachRow((row, n) => {
      if (n === 1) return;
      const id = row.getCell(1).value as string;
      const o = orders.find((x) => x.id === id);
      if (!o) return;
      seen.add(id);
      const name = row.getCell(5);
      expect(name.type).toBe(ExcelJS.ValueType.String);
      expect(name.value).toBe(`'${o.name}`);
      const amount = row.getCell(amountCol);
      expect(amount.type).toBe(ExcelJS.ValueType.Number);
      expect(amount.value).toBe(o.amount / 100);
      row.eachCell((c) => {
        if (c.type === ExcelJS.ValueType.String) expect(String(c.value)).not.toMatch(/^[=+\-@\t\r]/);
        expect(c.type).not.toBe(ExcelJS.ValueType.Formula);
      });
    });
    expect(seen.size).toBe(orders.length);
  });
});
