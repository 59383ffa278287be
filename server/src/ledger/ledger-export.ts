import type { Readable } from 'node:stream';
import type { LedgerEntryKind } from '../../../contract/enums.js';
import type { Lang } from '../documents/labels.js';
import { localTimeFormatter } from '../documents/local-time.js';
import { type Cell, csvStream, xlsxStream, yuanCell } from '../documents/spreadsheet.js';
import type { EntryRow } from './ledger.repository.js';

/** The export's words: the console's 收支明细 in Chinese first, English on request. */
const L = {
  'zh-CN': {
    sheet: '收支明细',
    time: '时间',
    kind: '类型',
    direction: '收支',
    amount: '金额',
    reference: '关联单据',
    orderId: '订单号',
    memo: '备注',
    entryId: '流水号',
    credit: '收入',
    debit: '支出',
    kinds: { topup: '充值', order_payment: '订单支付', bill_payment: '账单还款', reversal: '冲正' },
  },
  en: {
    sheet: 'Cash ledger',
    time: 'Time',
    kind: 'Type',
    direction: 'In/out',
    amount: 'Amount',
    reference: 'Reference',
    orderId: 'Order ID',
    memo: 'Memo',
    entryId: 'Entry ID',
    credit: 'In',
    debit: 'Out',
    kinds: {
      topup: 'Top-up',
      order_payment: 'Order payment',
      bill_payment: 'Bill payment',
      reversal: 'Reversal',
    },
  },
} as const satisfies Record<Lang, { kinds: Record<LedgerEntryKind, string> } & Record<string, unknown>>;

/**
 * The cash entries as CSV (UTF-8 with BOM) or XLSX, streamed row by row: times in the org's zone (named in the
 * header), amounts signed in yuan (a debit is negative), the same entries in the same order as the list.
 */
export function ledgerExport(
  rows: AsyncIterable<EntryRow>,
  ctx: { format: 'csv' | 'xlsx'; lang: Lang; timeZone: string },
): { body: Readable; contentType: string } {
  const l = L[ctx.lang];
  const local = localTimeFormatter(ctx.timeZone);
  const header = [
    `${l.time} (${ctx.timeZone})`,
    l.kind,
    l.direction,
    `${l.amount} (CNY)`,
    l.reference,
    l.orderId,
    l.memo,
    l.entryId,
  ];
  async function* cells(): AsyncIterable<Cell[]> {
    for await (const e of rows)
      yield [
        local(e.created_at),
        l.kinds[e.kind],
        e.amount > 0 ? l.credit : l.debit,
        yuanCell(e.amount),
        e.ref_id,
        e.order_id,
        e.memo,
        e.public_id,
      ];
  }
  if (ctx.format === 'csv')
    return { body: csvStream(header, cells()), contentType: 'text/csv; charset=utf-8' };
  return {
    body: xlsxStream(
      l.sheet,
      header.map((h, i) => ({ header: h, width: i === 4 || i === 5 || i === 7 ? 34 : 20 })),
      cells(),
    ),
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  };
}
