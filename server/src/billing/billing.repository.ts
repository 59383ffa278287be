import { type Insertable, sql } from 'kysely';
import type { BillCouponApplicationsTable, BillLinesTable, BillsTable, Queryable, Tx } from '../db/schema.js';
import { MAX_EVENT_SPAN_MS, MAX_QUANTITY_MILLI, MAX_UNITS } from './usage-units.js';

/**
 * One advisory lock per (org, month) orders usage ingestion against bill issue: ingestion holds it shared
 * while it decides which month an event belongs to, issue holds it exclusively while it reads the month.
 * So a usage event is either in the issued bill or in a later, open month; never lost between the two.
 */
const billLockKey = (orgId: string, month: string) => `bill:${orgId}:${month}`;

/** The exclusive side, tried (never waited for) for many orgs of one month: answers the orgs now held. */
export async function tryLockBillMonths(tx: Tx, month: string, orgIds: string[]): Promise<Set<string>> {
  if (orgIds.length === 0) return new Set();
  const r = await sql<{ org_id: string; ok: boolean }>`
    select q.org_id, pg_try_advisory_xact_lock(hashtextextended(q.k, 0)) as ok
    from unnest(${orgIds}::text[], ${orgIds.map((o) => billLockKey(o, month))}::text[]) as q(org_id, k)`.execute(
    tx,
  );
  return new Set(r.rows.filter((x) => x.ok === true).map((x) => x.org_id));
}

/**
 * The shared side of tryLockBillMonths for many (org, month) pairs in one statement, in a fixed order, then which
 * of them already have a bill (one round trip each, whatever the batch).
 */
export async function lockBillMonthsShared(
  tx: Tx,
  pairs: { orgId: string; month: string }[],
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const keys = [...new Set(pairs.map((p) => billLockKey(p.orgId, p.month)))].sort();
  await sql`select pg_advisory_xact_lock_shared(hashtextextended(k, 0))
    from unnest(${keys}::text[]) with ordinality as u(k, n) order by n`.execute(tx);
  const r = await sql<{ org_id: string; month: string }>`
    select b.org_id, b.month from bills b
    join unnest(${pairs.map((p) => p.orgId)}::text[], ${pairs.map((p) => p.month)}::text[]) as q(org_id, month)
      on b.org_id = q.org_id and b.month = q.month`.execute(tx);
  return new Set(r.rows.map((x) => `${x.org_id}\u0000${x.month}`));
}

/** Which of these orgs already have a bill for the month. */
export async function billsExisting(db: Queryable, month: string, orgIds: string[]): Promise<Set<string>> {
  if (orgIds.length === 0) return new Set();
  const r = await db
    .selectFrom('bills')
    .select('org_id')
    .where('month', '=', month)
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .execute();
  return new Set(r.map((x) => x.org_id));
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

/** Subscription orders paid in the month, per org in the order they were paid. */
export async function paidOrdersOfMonth(db: Queryable, orgIds: string[], month: string) {
  return db
    .selectFrom('orders')
    .select(['org_id', 'id', 'type', 'cluster_id', 'cluster_name', 'amount', 'paid_at', 'config'])
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .where('bill_month', '=', month)
    .where('status', '=', 'paid')
    .orderBy('org_id')
    .orderBy('paid_at')
    .orderBy('id')
    .execute();
}

/** The rows of usage_events (as `u`) that bills count: within the ingest bounds (usage-units.ts). */
const withinUsageBounds = sql<boolean>`u.quantity_milli <= ${MAX_QUANTITY_MILLI}
      and u.units <= ${MAX_UNITS.storage}
      and u.end_at - u.start_at <= make_interval(secs => ${MAX_EVENT_SPAN_MS / 1000})`;

/**
 * Usage of the month per org, cluster, metric and unit price, as exact sums (billionths of a fen), in numeric so
 * that no sum can overflow. Only events within the ingest bounds (usage-units.ts) count: a row outside them can
 * only predate those bounds (written before they were enforced); it is left out of every bill, open or issued,
 * rather than letting one absurd event fail a whole month's bills. The unit price is answered as text: a frozen
 * price stored before the bounds may be past 2^53 (int8 holds it), and the caller decides what such a line is.
 */
export async function usageOfMonth(db: Queryable, orgIds: string[], month: string) {
  const r = await sql<{
    org_id: string;
    cluster_id: string;
    cluster_name: string;
    region: string;
    metric: 'storage' | 'backup';
    micros_per_unit: string;
    quantity_milli: string;
    nanos: string;
  }>`
    select u.org_id, u.cluster_id, c.name as cluster_name, c.region, u.metric, u.micros_per_unit::text,
      sum(u.quantity_milli::numeric * u.units)::text as quantity_milli,
      sum(u.quantity_milli::numeric * u.units * u.micros_per_unit)::text as nanos
    from usage_events u
    join clusters c on c.org_id = u.org_id and c.id = u.cluster_id
    where u.org_id = any(${orgIds}::text[]) and u.bill_month = ${month} and ${withinUsageBounds}
    group by u.org_id, u.cluster_id, c.name, c.region, u.metric, u.micros_per_unit
    order by u.org_id, c.name, u.cluster_id, u.metric, u.micros_per_unit`.execute(db);
  return r.rows;
}

/**
 * The ids of the counted events behind some lines of usageOfMonth (org, cluster, metric, unit price as text),
 * by id, at most `limit`: to name the data a bill cannot be made of.
 */
export async function usageEventIdsOfLines(
  db: Queryable,
  month: string,
  lines: { orgId: string; clusterId: string; metric: 'storage' | 'backup'; microsPerUnit: string }[],
  limit: number,
): Promise<string[]> {
  if (lines.length === 0) return [];
  const r = await sql<{ id: string }>`
    select u.id from usage_events u
    join unnest(${lines.map((l) => l.orgId)}::text[], ${lines.map((l) => l.clusterId)}::text[],
      ${lines.map((l) => l.metric)}::text[], ${lines.map((l) => l.microsPerUnit)}::bigint[])
      as q(org_id, cluster_id, metric, micros_per_unit)
      on u.org_id = q.org_id and u.cluster_id = q.cluster_id and u.metric::text = q.metric
        and u.micros_per_unit = q.micros_per_unit
    where u.bill_month = ${month} and ${withinUsageBounds}
    order by u.id
    limit ${limit}`.execute(db);
  return r.rows.map((x) => x.id);
}

/**
 * Coupons that may pay a month's bill: granted before the month ended and still valid at its end (so the
 * result does not depend on when the issuing job happens to run). Locked when issuing.
 */
export async function couponsForPeriod(db: Queryable, orgIds: string[], periodEnd: Date, lock: boolean) {
  let q = db
    .selectFrom('coupons')
    .select(['org_id', 'id', 'remaining', 'expires_at'])
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .where('created_at', '<', periodEnd)
    .where('expires_at', '>', periodEnd)
    .where('remaining', '>', 0)
    .orderBy('org_id')
    .orderBy('expires_at')
    .orderBy('id');
  if (lock) q = q.forUpdate();
  return q.execute();
}

/** The unique key (org_id, month) decides which instance issues a bill: the loser inserts nothing. */
export async function insertBillsIfAbsent(tx: Tx, rows: Insertable<BillsTable>[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < rows.length; i += 1000) {
    const r = await tx
      .insertInto('bills')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) => oc.columns(['org_id', 'month']).doNothing())
      .returning(['org_id', 'month'])
      .execute();
    for (const x of r) inserted.add(`${x.org_id}\u0000${x.month}`);
  }
  return inserted;
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
  for (let i = 0; i < rows.length; i += 1000) {
    await tx
      .insertInto('bill_coupon_applications')
      .values(rows.slice(i, i + 1000))
      .execute();
  }
}

/** Takes each amount from its coupon only if it is still there (compare-and-set); answers how many were. */
export async function spendCoupons(
  tx: Tx,
  spends: { orgId: string; couponId: string; amount: number }[],
): Promise<number> {
  if (spends.length === 0) return 0;
  const r = await sql`
    update coupons c set remaining = c.remaining - q.amount
    from unnest(${spends.map((x) => x.orgId)}::text[], ${spends.map((x) => x.couponId)}::text[],
      ${spends.map((x) => x.amount)}::bigint[]) as q(org_id, id, amount)
    where c.org_id = q.org_id and c.id = q.id and c.remaining >= q.amount`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
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

/** Compare-and-set of many bills to paid (each with its ledger transaction, or none when nothing was due). */
export async function markBillsPaid(
  tx: Tx,
  bills: { orgId: string; month: string; ledgerTxnId: string | null }[],
  now: Date,
): Promise<number> {
  if (bills.length === 0) return 0;
  const r = await sql`
    update bills b set status = 'paid', paid_at = ${now}, paid_amount = b.amount_due, overdue_at = null,
      ledger_txn_id = q.txn
    from unnest(${bills.map((x) => x.orgId)}::text[], ${bills.map((x) => x.month)}::text[],
      ${bills.map((x) => x.ledgerTxnId)}::text[]) as q(org_id, month, txn)
    where b.org_id = q.org_id and b.month = q.month and b.status in ('unpaid', 'overdue')`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}

/** Orgs with a bill to mark overdue (for the per-org retry when the one statement fails), bounded. */
export async function orgsWithBillsOverdue(db: Queryable, now: Date, limit: number): Promise<string[]> {
  const r = await db
    .selectFrom('bills')
    .select('org_id')
    .distinct()
    .where('status', '=', 'unpaid')
    .where('due_at', '<=', now)
    .orderBy('org_id')
    .limit(limit)
    .execute();
  return r.map((x) => x.org_id);
}

/**
 * Orgs that existed before the month ended (`periodEnd`) and have no bill for it yet, by id after `afterOrgId`.
 * Bounded; the primary key walks the orgs, one index probe each into bills.
 */
export async function orgsToBill(
  db: Queryable,
  month: string,
  periodEnd: Date,
  opts: {
    afterOrgId: string;
    limit: number;
    orgId?: string | undefined;
    /**
     * Leaves out orgs whose bill failed in this job: for an earlier month (their months stay in order), or for
     * this one while its backoff lasts.
     */
    skipFailing?: { job: string; now: Date };
  },
): Promise<string[]> {
  let q = db
    .selectFrom('orgs as o')
    .select('o.id')
    .where('o.created_at', '<', periodEnd)
    .where('o.id', '>', opts.afterOrgId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('bills as b')
            .select('b.month')
            .whereRef('b.org_id', '=', 'o.id')
            .where('b.month', '=', month),
        ),
      ),
    )
    .orderBy('o.id')
    .limit(opts.limit);
  if (opts.orgId) q = q.where('o.id', '=', opts.orgId);
  const skip = opts.skipFailing;
  if (skip) {
    q = q.where(
      sql<boolean>`not exists (select 1 from job_failures f where f.job = ${skip.job} and f.org_id = o.id
        and (f.key < ${month} or (f.key = ${month} and f.next_attempt_at > ${skip.now}::timestamptz)))`,
    );
  }
  return (await q.execute()).map((r) => r.id);
}

/** The month of the earliest org, in the billing time zone: where issuing starts. */
export async function firstOrgMonth(db: Queryable, timeZone: string): Promise<string | null> {
  const r = await sql<{ month: string | null }>`
    select to_char(min(created_at) at time zone ${timeZone}, 'YYYY-MM') as month from orgs`.execute(db);
  return r.rows[0]?.month ?? null;
}
