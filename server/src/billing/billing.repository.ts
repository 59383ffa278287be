import { type Insertable, sql } from 'kysely';
import type { BillCouponApplicationsTable, BillLinesTable, BillsTable, Queryable, Tx } from '../db/schema.js';

/**
 * One advisory lock per (org, month) orders usage ingestion against bill issue: ingestion holds it shared
 * while it decides which month an event belongs to, issue holds it exclusively while it reads the month.
 * So a usage event is either in the issued bill or in a later, open month; never lost between the two.
 */
export async function lockBillMonth(
  tx: Tx,
  orgId: string,
  month: string,
  mode: 'shared' | 'exclusive-try',
): Promise<boolean> {
  const key = `bill:${orgId}:${month}`;
  if (mode === 'shared') {
    await sql`select pg_advisory_xact_lock_shared(hashtextextended(${key}, 0))`.execute(tx);
    return true;
  }
  const r = await sql<{
    ok: boolean;
  }>`select pg_try_advisory_xact_lock(hashtextextended(${key}, 0)) as ok`.execute(tx);
  return r.rows[0]?.ok === true;
}

/**
 * The shared side of lockBillMonth for many (org, month) pairs in one statement, in a fixed order, then which
 * of them already have a bill (one round trip each, whatever the batch).
 */
export async function lockBillMonthsShared(
  tx: Tx,
  pairs: { orgId: string; month: string }[],
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const keys = [...new Set(pairs.map((p) => `bill:${p.orgId}:${p.month}`))].sort();
  await sql`select pg_advisory_xact_lock_shared(hashtextextended(k, 0))
    from unnest(${keys}::text[]) with ordinality as u(k, n) order by n`.execute(tx);
  const r = await sql<{ org_id: string; month: string }>`
    select b.org_id, b.month from bills b
    join unnest(${pairs.map((p) => p.orgId)}::text[], ${pairs.map((p) => p.month)}::text[]) as q(org_id, month)
      on b.org_id = q.org_id and b.month = q.month`.execute(tx);
  return new Set(r.rows.map((x) => `${x.org_id}\u0000${x.month}`));
}

export async function billExists(db: Queryable, orgId: string, month: string): Promise<boolean> {
  const r = await db
    .selectFrom('bills')
    .select('month')
    .where('org_id', '=', orgId)
    .where('month', '=', month)
    .executeTakeFirst();
  return !!r;
}

export async function getBill(db: Queryable, orgId: string, month: string) {
  return db
    .selectFrom('bills')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('month', '=', month)
    .executeTakeFirst();
}

export type BillRow = NonNullable<Awaited<ReturnType<typeof getBill>>>;

export async function getBills(db: Queryable, orgId: string, months: string[]) {
  if (months.length === 0) return [];
  return db
    .selectFrom('bills')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('month', 'in', months)
    .execute();
}

export async function getBillLines(db: Queryable, orgId: string, month: string) {
  return db
    .selectFrom('bill_lines')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('month', '=', month)
    .orderBy('line_no')
    .execute();
}

export async function getCouponApplications(db: Queryable, orgId: string, month: string) {
  return db
    .selectFrom('bill_coupon_applications')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('month', '=', month)
    .orderBy('line_no')
    .orderBy('coupon_id')
    .execute();
}

/** Subscription orders paid in the month, in the order they were paid. */
export async function paidOrdersOfMonth(db: Queryable, orgId: string, month: string) {
  return db
    .selectFrom('orders')
    .select(['id', 'type', 'cluster_id', 'cluster_name', 'amount', 'paid_at', 'config'])
    .where('org_id', '=', orgId)
    .where('bill_month', '=', month)
    .where('status', '=', 'paid')
    .orderBy('paid_at')
    .orderBy('id')
    .execute();
}

/** Usage of the month per cluster, metric and unit price, as exact sums (billionths of a fen). */
export async function usageOfMonth(db: Queryable, orgId: string, month: string) {
  const r = await sql<{
    cluster_id: string;
    cluster_name: string;
    region: string;
    metric: 'storage' | 'backup';
    micros_per_unit: number;
    quantity_milli: string;
    nanos: string;
  }>`
    select u.cluster_id, c.name as cluster_name, c.region, u.metric, u.micros_per_unit,
      sum(u.quantity_milli * u.units)::text as quantity_milli,
      sum(u.quantity_milli::numeric * u.units * u.micros_per_unit)::text as nanos
    from usage_events u
    join clusters c on c.org_id = u.org_id and c.id = u.cluster_id
    where u.org_id = ${orgId} and u.bill_month = ${month}
    group by u.cluster_id, c.name, c.region, u.metric, u.micros_per_unit
    order by c.name, u.cluster_id, u.metric, u.micros_per_unit`.execute(db);
  return r.rows;
}

/**
 * Coupons that may pay a month's bill: granted before the month ended and still valid at its end (so the
 * result does not depend on when the issuing job happens to run). Locked when issuing.
 */
export async function couponsForPeriod(db: Queryable, orgId: string, periodEnd: Date, lock: boolean) {
  let q = db
    .selectFrom('coupons')
    .select(['id', 'remaining', 'expires_at'])
    .where('org_id', '=', orgId)
    .where('created_at', '<', periodEnd)
    .where('expires_at', '>', periodEnd)
    .where('remaining', '>', 0)
    .orderBy('expires_at')
    .orderBy('id');
  if (lock) q = q.forUpdate();
  return q.execute();
}

/** The unique key (org_id, month) decides which instance issues a bill: the loser inserts nothing. */
export async function insertBillIfAbsent(tx: Tx, row: Insertable<BillsTable>): Promise<boolean> {
  const r = await tx
    .insertInto('bills')
    .values(row)
    .onConflict((oc) => oc.columns(['org_id', 'month']).doNothing())
    .returning('month')
    .executeTakeFirst();
  return !!r;
}

export async function insertBillLines(tx: Tx, rows: Insertable<BillLinesTable>[]) {
  for (let i = 0; i < rows.length; i += 1000) {
    await tx
      .insertInto('bill_lines')
      .values(rows.slice(i, i + 1000))
      .execute();
  }
}

export async function insertCouponApplications(tx: Tx, rows: Insertable<BillCouponApplicationsTable>[]) {
  if (rows.length) await tx.insertInto('bill_coupon_applications').values(rows).execute();
}

/** Takes `amount` from a coupon only if it is still there (compare-and-set). */
export async function spendCoupon(tx: Tx, orgId: string, couponId: string, amount: number): Promise<boolean> {
  const r = await tx
    .updateTable('coupons')
    .set({ remaining: sql`remaining - ${amount}` })
    .where('org_id', '=', orgId)
    .where('id', '=', couponId)
    .where('remaining', '>=', amount)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Unpaid (or overdue) bills of an org, oldest first, locked: the next top-up pays them. */
export async function lockOutstandingBills(tx: Tx, orgId: string) {
  return tx
    .selectFrom('bills')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('status', 'in', ['unpaid', 'overdue'])
    .orderBy('month')
    .forUpdate()
    .execute();
}

export async function markBillPaid(
  tx: Tx,
  orgId: string,
  month: string,
  now: Date,
  ledgerTxnId: string | null,
): Promise<boolean> {
  const r = await tx
    .updateTable('bills')
    .set({
      status: 'paid',
      paid_at: now,
      paid_amount: sql`amount_due`,
      overdue_at: null,
      ledger_txn_id: ledgerTxnId,
    })
    .where('org_id', '=', orgId)
    .where('month', '=', month)
    .where('status', 'in', ['unpaid', 'overdue'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** One statement, safe from any number of instances: unpaid bills past their due time become overdue. */
export async function markOverdue(db: Queryable, now: Date): Promise<number> {
  const r = await db
    .updateTable('bills')
    .set({ status: 'overdue', overdue_at: sql`due_at` })
    .where('status', '=', 'unpaid')
    .where('due_at', '<=', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * (org, month) pairs whose month has ended (before `lastEndedMonth` inclusive) and that have no bill yet:
 * one per month from the org's first month. Bounded.
 */
export async function monthsToIssue(
  db: Queryable,
  timeZone: string,
  lastEndedMonth: string,
  limit: number,
  only: { orgId?: string | undefined; month?: string | undefined } = {},
) {
  const scope = sql`${only.orgId ? sql`and o.id = ${only.orgId}` : sql``} ${
    only.month ? sql`and to_char(m, 'YYYY-MM') = ${only.month}` : sql``
  }`;
  const r = await sql<{ org_id: string; month: string }>`
    select o.id as org_id, to_char(m, 'YYYY-MM') as month
    from orgs o
    cross join lateral generate_series(
      date_trunc('month', o.created_at at time zone ${timeZone}),
      to_date(${lastEndedMonth}, 'YYYY-MM')::timestamp,
      interval '1 month') as m
    where not exists (
      select 1 from bills b where b.org_id = o.id and b.month = to_char(m, 'YYYY-MM')) ${scope}
    order by m, o.id
    limit ${limit}`.execute(db);
  return r.rows;
}
