import { type Selectable, sql } from 'kysely';
import type { InvoiceItemKind } from '../../../contract/invoices.js';
import type { InvoiceItemsTable, InvoicesTable, Queryable, Tx } from '../db/schema.js';

/**
 * The SQL of invoices (SPEC §10.4). What may be invoiced is read from the bills and orders as they are:
 * - a bill when issued and fully paid (`status = 'paid'`), for what the customer paid for it: its pay-as-you-go
 *   total less what coupons paid and less an operator's adjustment (`amount_due`, which migration 0012's checks
 *   tie to usage_amount − coupon_amount − adjustment_amount, never below zero, and a paid bill's paid_amount to
 *   it); its prepaid lines are the orders, invoiced as orders;
 * - an order when paid, for its amount (the whole of it came from the cash balance: coupons never pay orders);
 * - never an amount of 0, never an item held by a request that has not failed (invoice_items.active).
 * Top-ups are not items at all, and the current month has no bill until it is issued.
 */

export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceItemRow = Selectable<InvoiceItemsTable>;

/** A bill or order as invoicing sees it, whether eligible or not. */
export interface ItemFacts {
  kind: InvoiceItemKind;
  id: string;
  currency: string;
  /** the invoiceable amount, fen */
  amount: number;
  paid: boolean;
  paidAt: Date | null;
  orderType: 'new_purchase' | 'upgrade' | 'renewal' | null;
  clusterName: string | null;
}

const billAmount = sql<number>`b.amount_due`;

/** The named bills of an org (missing months are simply absent). */
export async function billFacts(db: Queryable, orgId: string, months: string[]): Promise<ItemFacts[]> {
  if (months.length === 0) return [];
  const rows = await db
    .selectFrom('bills as b')
    .select(['b.month', 'b.currency', 'b.status', 'b.paid_at', billAmount.as('amount')])
    .where('b.org_id', '=', orgId)
    .where('b.month', 'in', months)
    .execute();
  return rows.map((r) => ({
    kind: 'bill',
    id: r.month,
    currency: r.currency,
    amount: Number(r.amount),
    paid: r.status === 'paid',
    paidAt: r.paid_at,
    orderType: null,
    clusterName: null,
  }));
}

/** The named orders of an org (unknown ids are simply absent). */
export async function orderFacts(db: Queryable, orgId: string, ids: string[]): Promise<ItemFacts[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('orders')
    .select(['id', 'currency', 'status', 'paid_at', 'amount', 'type', 'cluster_name'])
    .where('org_id', '=', orgId)
    .where('id', 'in', ids)
    .execute();
  return rows.map((r) => ({
    kind: 'order',
    id: r.id,
    currency: r.currency,
    amount: r.amount,
    paid: r.status === 'paid',
    paidAt: r.paid_at,
    orderType: r.type,
    clusterName: r.cluster_name,
  }));
}

/** The items among those named that a request not failed holds, with that request's status. */
export async function heldItems(
  db: Queryable,
  orgId: string,
  items: { kind: InvoiceItemKind; id: string }[],
): Promise<Map<string, 'requested' | 'issued'>> {
  const held = new Map<string, 'requested' | 'issued'>();
  for (const kind of ['bill', 'order'] as const) {
    const ids = items.filter((i) => i.kind === kind).map((i) => i.id);
    if (ids.length === 0) continue;
    const rows = await db
      .selectFrom('invoice_items as it')
      .innerJoin('invoices as inv', (j) =>
        j.onRef('inv.org_id', '=', 'it.org_id').onRef('inv.id', '=', 'it.invoice_id'),
      )
      .select(['it.item_id', 'inv.status'])
      .where('it.org_id', '=', orgId)
      .where('it.kind', '=', kind)
      .where('it.item_id', 'in', ids)
      .where('it.active', '=', true)
      .execute();
    for (const r of rows) held.set(`${kind}:${r.item_id}`, r.status === 'issued' ? 'issued' : 'requested');
  }
  return held;
}

const notHeld = (kind: InvoiceItemKind, idColumn: string, orgColumn = 'x.org_id') =>
  sql<boolean>`not exists (select 1 from invoice_items it where it.org_id = ${sql.ref(orgColumn)}
    and it.kind = ${kind} and it.item_id = ${sql.ref(idColumn)} and it.active)`;

/**
 * One page of what the org may invoice now, newest payment first: eligible bills and orders merged, at most
 * `limit` + 1 rows (the extra says there is a next page), after the cursor (paidAt, kind, id) when given.
 */
export async function invoiceablePage(
  db: Queryable,
  orgId: string,
  limit: number,
  after?: { paidAt: Date; kind: InvoiceItemKind; id: string },
): Promise<ItemFacts[]> {
  const before = (kind: InvoiceItemKind, idColumn: string) =>
    after
      ? sql<boolean>`(x.paid_at, ${kind}::text collate "C", ${sql.ref(idColumn)} collate "C") < (${after.paidAt}::timestamptz, ${after.kind}::text collate "C", ${after.id}::text collate "C")`
      : sql<boolean>`true`;
  const bills = await db
    .selectFrom('bills as x')
    .select(['x.month as id', 'x.currency', 'x.paid_at', sql<number>`x.amount_due`.as('amount')])
    .where('x.org_id', '=', orgId)
    .where('x.status', '=', 'paid')
    .where(sql<boolean>`x.amount_due > 0`)
    .where(notHeld('bill', 'x.month'))
    .where(before('bill', 'x.month'))
    .orderBy('x.paid_at', 'desc')
    .orderBy(sql`x.month collate "C"`, 'desc')
    .limit(limit + 1)
    .execute();
  const orders = await db
    .selectFrom('orders as x')
    .select(['x.id', 'x.currency', 'x.paid_at', 'x.amount', 'x.type', 'x.cluster_name'])
    .where('x.org_id', '=', orgId)
    .where('x.status', '=', 'paid')
    .where('x.amount', '>', 0)
    .where(notHeld('order', 'x.id'))
    .where(before('order', 'x.id'))
    .orderBy('x.paid_at', 'desc')
    .orderBy(sql`x.id collate "C"`, 'desc')
    .limit(limit + 1)
    .execute();
  const all: ItemFacts[] = [
    ...bills.map(
      (b): ItemFacts => ({
        kind: 'bill',
        id: b.id,
        currency: b.currency,
        amount: Number(b.amount),
        paid: true,
        paidAt: b.paid_at,
        orderType: null,
        clusterName: null,
      }),
    ),
    ...orders.map(
      (o): ItemFacts => ({
        kind: 'order',
        id: o.id,
        currency: o.currency,
        amount: o.amount,
        paid: true,
        paidAt: o.paid_at,
        orderType: o.type,
        clusterName: o.cluster_name,
      }),
    ),
  ];
  // The same order as the SQL: (paidAt, kind, id) descending, text compared byte by byte (collate "C").
  const key = (i: ItemFacts) => [i.paidAt!.getTime(), i.kind, i.id] as const;
  all.sort((a, b) => {
    const [ta, ka, ia] = key(a);
    const [tb, kb, ib] = key(b);
    if (ta !== tb) return tb - ta;
    if (ka !== kb) return ka < kb ? 1 : -1;
    return ia === ib ? 0 : ia < ib ? 1 : -1;
  });
  return all.slice(0, limit + 1);
}

export async function insertInvoice(tx: Tx, row: InvoiceRow): Promise<void> {
  await tx
    .insertInto('invoices')
    .values({ ...row, emails: JSON.stringify(row.emails) })
    .execute();
}

/**
 * Inserts a request's items; an item that another request (not failed) holds is skipped by the partial
 * unique index, so of concurrent requests naming one item exactly one commits it. Answers the items
 * inserted, as "kind:id".
 */
export async function insertItemsOnce(tx: Tx, rows: InvoiceItemRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const r = await tx
    .insertInto('invoice_items')
    .values(rows)
    .onConflict((oc) => oc.columns(['org_id', 'kind', 'item_id']).where(sql<boolean>`active`).doNothing())
    .returning(['kind', 'item_id'])
    .execute();
  return new Set(r.map((x) => `${x.kind}:${x.item_id}`));
}

export async function getInvoice(db: Queryable, orgId: string, id: string) {
  return db
    .selectFrom('invoices')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** By id alone, for the operator (ids are unique across orgs: newId). */
export async function findInvoice(db: Queryable, id: string) {
  return db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function itemsOf(db: Queryable, invoices: { org_id: string; id: string }[]) {
  if (invoices.length === 0) return new Map<string, InvoiceItemRow[]>();
  const rows = await db
    .selectFrom('invoice_items')
    .selectAll()
    .where((eb) =>
      eb.or(invoices.map((i) => eb.and([eb('org_id', '=', i.org_id), eb('invoice_id', '=', i.id)]))),
    )
    .orderBy('kind')
    .orderBy('item_id')
    .execute();
  const by = new Map<string, InvoiceItemRow[]>();
  for (const r of rows) by.set(r.invoice_id, [...(by.get(r.invoice_id) ?? []), r]);
  return by;
}

/** An org's invoices, newest request first, after the cursor (requestedAt, id). */
export async function listInvoices(
  db: Queryable,
  orgId: string,
  opts: { limit: number; status?: InvoiceRow['status'] | undefined; before?: { at: Date; id: string } },
) {
  let q = db.selectFrom('invoices').selectAll().where('org_id', '=', orgId);
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.before) {
    q = q.where(sql<boolean>`(requested_at, id) < (${opts.before.at}::timestamptz, ${opts.before.id}::text)`);
  }
  return q
    .orderBy('requested_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.limit + 1)
    .execute();
}

/** Every org's invoices in one status, oldest request first (the operator's queue). */
export async function listInvoicesForOperator(
  db: Queryable,
  opts: { limit: number; status: InvoiceRow['status']; after?: { at: Date; id: string } },
) {
  let q = db.selectFrom('invoices').selectAll().where('status', '=', opts.status);
  if (opts.after) {
    q = q.where(sql<boolean>`(requested_at, id) > (${opts.after.at}::timestamptz, ${opts.after.id}::text)`);
  }
  return q
    .orderBy('requested_at')
    .orderBy('id')
    .limit(opts.limit + 1)
    .execute();
}

/** requested → issued, compare-and-set: answers the row when this call made the change. */
export async function markIssued(
  tx: Tx,
  inv: { org_id: string; id: string },
  issued: { number: string; issuedAt: Date; now: Date },
) {
  return tx
    .updateTable('invoices')
    .set({ status: 'issued', number: issued.number, issued_at: issued.issuedAt, updated_at: issued.now })
    .where('org_id', '=', inv.org_id)
    .where('id', '=', inv.id)
    .where('status', '=', 'requested')
    .returningAll()
    .executeTakeFirst();
}

/** requested → failed, compare-and-set; the items are released in the same transaction. */
export async function markFailed(tx: Tx, inv: { org_id: string; id: string }, reason: string, now: Date) {
  const row = await tx
    .updateTable('invoices')
    .set({ status: 'failed', failed_at: now, failure_reason: reason, updated_at: now })
    .where('org_id', '=', inv.org_id)
    .where('id', '=', inv.id)
    .where('status', '=', 'requested')
    .returningAll()
    .executeTakeFirst();
  if (row) {
    await tx
      .updateTable('invoice_items')
      .set({ active: false })
      .where('org_id', '=', inv.org_id)
      .where('invoice_id', '=', inv.id)
      .execute();
  }
  return row;
}

export async function insertDocument(
  tx: Tx,
  d: { orgId: string; invoiceId: string; pdf: Uint8Array; now: Date },
): Promise<void> {
  await tx
    .insertInto('invoice_documents')
    .values({ org_id: d.orgId, invoice_id: d.invoiceId, pdf: d.pdf, uploaded_at: d.now })
    .execute();
}

export async function getDocument(db: Queryable, orgId: string, invoiceId: string) {
  return db
    .selectFrom('invoice_documents')
    .select(['pdf'])
    .where('org_id', '=', orgId)
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirst();
}

export async function getSettings(db: Queryable, orgId: string) {
  return db.selectFrom('invoice_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();
}

export async function upsertSettings(
  tx: Tx,
  s: { orgId: string; enabled: boolean; emails: string[]; enabledAt: Date | null; now: Date; by: string },
) {
  const values = {
    enabled: s.enabled,
    emails: JSON.stringify(s.emails),
    enabled_at: s.enabledAt,
    updated_at: s.now,
    updated_by: s.by,
  };
  await tx
    .insertInto('invoice_settings')
    .values({ org_id: s.orgId, ...values })
    .onConflict((oc) => oc.column('org_id').doUpdateSet(values))
    .execute();
}

/**
 * Bills due for an automatic request: of orgs with it on, paid at least `delayMs` ago and no earlier than
 * `delayMs` before it was turned on, with something to invoice, and never requested automatically before.
 * A bill the org has invoiced by hand (or has in an open request) is left out.
 */
export async function billsDueForAutoInvoice(db: Queryable, now: Date, delayMs: number, limit: number) {
  const dueBy = new Date(now.getTime() - delayMs);
  return db
    .selectFrom('bills as b')
    .innerJoin('invoice_settings as s', 's.org_id', 'b.org_id')
    .select(['b.org_id', 'b.month', 's.emails'])
    .where('s.enabled', '=', true)
    .where('b.status', '=', 'paid')
    .where('b.paid_at', '<=', dueBy)
    .where(sql<boolean>`b.paid_at + ${`${delayMs} milliseconds`}::interval >= s.enabled_at`)
    .where(sql<boolean>`b.amount_due > 0`)
    .where(notHeld('bill', 'b.month', 'b.org_id'))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('invoices as i')
            .select('i.id')
            .whereRef('i.org_id', '=', 'b.org_id')
            .whereRef('i.auto_bill_month', '=', 'b.month'),
        ),
      ),
    )
    .orderBy('b.paid_at')
    .orderBy('b.org_id')
    .limit(limit)
    .execute();
}
