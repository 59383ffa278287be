import type { Readable } from 'node:stream';
import { type Lang, labels } from '../documents/labels.js';
import { type Cell, csvStream, Decimal, fromArray, xlsxStream, yuanCell } from '../documents/spreadsheet.js';
import type { Catalog } from '../pricing/catalog.js';
import { lineItem, lineUnitPrice } from './bill-rows.js';
import type { BillView } from './bills.service.js';

/** A bill's lines as CSV or XLSX: one row per line, amounts in yuan (exact, from fen), then the totals. */
export async function billSpreadsheet(
  b: BillView,
  format: 'csv' | 'xlsx',
  lang: Lang,
  catalog: Catalog,
): Promise<{ body: Readable; contentType: string }> {
  const l = labels(lang);
  const header = [
    l.month,
    l.lineNo,
    l.item,
    l.orderId,
    l.cluster,
    l.quantity,
    l.unit,
    l.unitPrice,
    `${l.amount} (CNY)`,
    `${l.coupon} (CNY)`,
    `${l.due} (CNY)`,
  ];
  const rows: Cell[][] = b.lines.map((x) => [
    b.month,
    x.lineNo,
    lineItem(x, lang, catalog),
    x.orderId,
    x.clusterId,
    x.quantityMilli === null ? null : new Decimal(x.quantityMilli, 3),
    x.unit,
    lineUnitPrice(x),
    yuanCell(x.amount),
    yuanCell(x.couponAmount),
    yuanCell(x.dueAmount),
  ]);
  rows.push([
    b.month,
    null,
    l.totalAmount,
    null,
    null,
    null,
    null,
    null,
    yuanCell(b.totalAmount),
    yuanCell(b.couponAmount),
    yuanCell(b.amountDue),
  ]);
  if (format === 'csv')
    return { body: csvStream(header, fromArray(rows)), contentType: 'text/csv; charset=utf-8' };
  return {
    body: xlsxStream(
      `${l.bill} ${b.month}`,
      header.map((h) => ({ header: h, width: h === l.item ? 48 : 16 })),
      fromArray(rows),
    ),
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  };
}
