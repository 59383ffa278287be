import type { Readable } from 'node:stream';
import { type SqlBool, sql } from 'kysely';
import type { Queryable } from '../db/schema.js';
import { type Lang, labels } from '../documents/labels.js';
import { localTimeFormatter } from '../documents/local-time.js';
import { type Cell, csvStream, xlsxStream, yuanCell } from '../documents/spreadsheet.js';
import type { Catalog } from '../pricing/catalog.js';
import { orderLabels } from './order-labels.js';
import { type OrderFilters, type OrderRow, ordersQuery } from './orders.repository.js';

export const EXPORT_BATCH = 2_000;

const EXPORT_COLUMNS = [
  'id',
  'org_id',
  'project_id',
  'cluster_id',
  'cluster_name',
  'type',
  'status',
  'amount',
  'list_amount',
  'discount_amount',
  'config',
  'config_before',
  'created_at',
  'expires_at',
  'cancel_at',
  'paid_at',
  'bill_month',
] as const;
export type ExportRow = Pick<OrderRow, (typeof EXPORT_COLUMNS)[number]>;

/**
 * Every order matching the list's filters, newest first, read in keyset-paginated batches: memory stays
 * at one batch whatever the count (100,000 orders export without holding them).
 */
export async function* ordersInBatches(
  db: Queryable,
  orgId: string,
  f: OrderFilters,
  now: Date,
  batch = EXPORT_BATCH,
): AsyncIterable<ExportRow> {
  let after: { createdAt: Date; id: string } | undefined;
  for (;;) {
    let q = ordersQuery(db, orgId, f, now);
    if (after) q = q.where(sql<SqlBool>`(created_at, id) < (${after.createdAt}, ${after.id})`);
    // Only what the export shows (not the pricing breakdown): fewer bytes per row from the database.
    const rows = (await q
      .clearSelect()
      .select(EXPORT_COLUMNS)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(batch)
      .execute()) as ExportRow[];
    for (const r of rows) yield r;
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return;
    after = { createdAt: last.created_at, id: last.id };
  }
}

export function ordersExport(
  rows: AsyncIterable<ExportRow>,
  ctx: { format: 'csv' | 'xlsx'; lang: Lang; timeZone: string; now: Date; catalog: Catalog },
): { body: Readable; contentType: string } {
  const l = labels(ctx.lang);
  const local = localTimeFormatter(ctx.timeZone);
  const at = (d: Date | null) => (d ? local(d) : null);
  const header = [
    l.orderId,
    l.type,
    l.status,
    l.project,
    l.cluster,
    l.clusterId,
    l.config,
    l.configBefore,
    l.term,
    `${l.listPrice} (CNY)`,
    `${l.discount} (CNY)`,
    `${l.amountDue} (CNY)`,
    `${l.createdAt} (${ctx.timeZone})`,
    `${l.deadline} (${ctx.timeZone})`,
    `${l.paidAt} (${ctx.timeZone})`,
    l.month,
  ];
  async function* cells(): AsyncIterable<Cell[]> {
    for await (const o of rows) {
      const shown = orderLabels(o, ctx);
      yield [
        o.id,
        shown.type,
        shown.status,
        o.project_id,
        o.cluster_name,
        o.cluster_id,
        shown.config,
        o.config_before ? shown.configBefore : null,
        shown.term,
        yuanCell(o.list_amount),
        yuanCell(o.discount_amount),
        yuanCell(o.amount),
        at(o.created_at),
        at(o.expires_at),
        at(o.paid_at),
        o.bill_month,
      ];
    }
  }
  if (ctx.format === 'csv')
    return { body: csvStream(header, cells()), contentType: 'text/csv; charset=utf-8' };
  return {
    body: xlsxStream(
      l.exportedOrders,
      header.map((h, i) => ({ header: h, width: i === 0 ? 34 : i === 6 || i === 7 ? 56 : 18 })),
      cells(),
    ),
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  };
}
