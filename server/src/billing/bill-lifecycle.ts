import { sql } from 'kysely';
import type { BillStatus } from '../../../contract/enums.js';
import type { Config } from '../config.js';
import type { Db, Queryable, Tx } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, failingOrgs, inBackoff } from '../isolation/job-failures.repository.js';
import { creditCash, debitCashMany, postTransactions } from '../ledger/ledger.repository.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { emit, emitSql } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { monthOf } from '../platform/time.js';
import { currentMonth, localDay, localMidnight } from './bill-period.js';
import type { BillRow } from './billing.repository.js';

/**
 * The bill's life after issue (SPEC §10.2, §10.3): pending for 3 business days (or until an admin confirms,
 * or disputed until an operator resolves it), charged at confirmation from cash as far as it goes, then
 * reminded daily while unpaid, overdue 14 days after confirmation, which freezes the org.
 *
 * Locks are always taken in the same order, the org's balance row first and then its bills, by every writer
 * (confirmation, dispute, resolution, top-up), so that they queue instead of deadlocking.
 */

/** Business days (Monday–Friday, no holiday calendar) a bill stays pending after issue. */
export const CONFIRM_BUSINESS_DAYS = 3;
/** Days of daily reminders after confirmation; then the unpaid bill is overdue and the org frozen. */
export const ARREARS_DAYS = 14;
const DAY_MS = 86_400_000;
export const BILLS_CONFIRM_JOB = 'bills-confirm';

/**
 * When a bill issued at `issuedAt` confirms by itself: the local day of issue counts as the first business day
 * if it is one (bills are issued at 00:00 on the 1st), and the bill confirms at 00:00 local after the third.
 * Issued on a Friday: Friday, Monday, Tuesday, so Wednesday 00:00; on a Saturday or Sunday: Thursday 00:00.
 */
export function confirmsAtFor(issuedAt: Date, timeZone: string): Date {
  const { y, m } = localDay(issuedAt, timeZone);
  let { d } = localDay(issuedAt, timeZone);
  let counted = 0;
  while (counted < CONFIRM_BUSINESS_DAYS) {
    const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    if (weekday !== 0 && weekday !== 6) counted++;
    d++;
  }
  return localMidnight(y, m, d, timeZone);
}

/** The org's balance row, locked first by every writer of bills (see above). */
async function lockBalance(tx: Tx, orgId: string): Promise<number> {
  const r = await sql<{ cash: string | number }>`
    select cash from balances where org_id = ${orgId} for update`.execute(tx);
  return Number(r.rows[0]?.cash ?? 0);
}

async function lockBill(tx: Tx, orgId: string, month: string): Promise<BillRow | undefined> {
  const r = await sql<BillRow>`
    select * from bills where org_id = ${orgId} and month = ${month} for update`.execute(tx);
  return r.rows[0] ? normalize(r.rows[0]) : undefined;
}

/** Raw rows read bigint columns as strings on some drivers: numbers here, as Kysely's typed reads give. */
function normalize(b: BillRow): BillRow {
  const n = (v: unknown) => Number(v);
  return {
    ...b,
    total_amount: n(b.total_amount),
    prepaid_amount: n(b.prepaid_amount),
    usage_amount: n(b.usage_amount),
    coupon_amount: n(b.coupon_amount),
    amount_due: n(b.amount_due),
    paid_amount: n(b.paid_amount),
    adjustment_amount: n(b.adjustment_amount),
    payments: n(b.payments),
    reminders_sent: n(b.reminders_sent),
  };
}

export type PaymentOutcome = { taken: number; paid: boolean };

/**
 * Pays a confirmed bill (the caller holds the balance and the bill) from cash as far as it goes: one
 * conditional debit and one ledger transaction per payment, unique per (org, bill_payment, reference): the
 * first payment is `bill:<month>` as before partial payments existed, the n-th `bill:<month>#<n>`. A
 * compare-and-set on the bill's paid amount; `bill.paid` when it is paid in full, `bill.partially_paid`
 * otherwise.
 */
export async function payBillFromCash(tx: Tx, b: BillRow, now: Date): Promise<PaymentOutcome> {
  const outstanding = b.amount_due - b.paid_amount;
  if (outstanding <= 0) {
    await setPaid(tx, b, 0, null, now);
    return { taken: 0, paid: true };
  }
  const cash = Number(
    (await sql<{ cash: string }>`select cash from balances where org_id = ${b.org_id}`.execute(tx)).rows[0]
      ?.cash ?? 0,
  );
  const take = Math.min(cash, outstanding);
  if (take <= 0) return { taken: 0, paid: false };
  const debited = await debitCashMany(tx, [{ orgId: b.org_id, amount: take }], now);
  if (!debited.has(b.org_id)) throw new Error(`the balance of ${b.org_id} changed under its lock`);
  const n = b.payments + 1;
  const txnId = newId('ltx', now);
  await postTransactions(tx, [
    {
      orgId: b.org_id,
      id: txnId,
      kind: 'bill_payment',
      refId: n === 1 ? `bill:${b.month}` : `bill:${b.month}#${n}`,
      memo: take === outstanding ? `bill ${b.month}` : `bill ${b.month} (partial)`,
      currency: b.currency,
      now,
      entries: [
        { account: 'cash', amount: -take },
        { account: 'payg_revenue', amount: take },
      ],
    },
  ]);
  const full = take === outstanding;
  await setPaid(tx, b, take, txnId, now, full);
  await emit(tx, {
    orgId: b.org_id,
    type: full ? 'bill.paid' : 'bill.partially_paid',
    aggregateId: b.month,
    payload: {
      month: b.month,
      amount: take,
      paidAmount: b.paid_amount + take,
      unpaidAmount: outstanding - take,
      currency: b.currency,
    },
    now,
  });
  return { taken: take, paid: full };
}

async function setPaid(
  tx: Tx,
  b: BillRow,
  take: number,
  txnId: string | null,
  now: Date,
  full = true,
): Promise<void> {
  const r = await sql`
    update bills set paid_amount = paid_amount + ${take}, payments = payments + ${take > 0 ? 1 : 0},
      ledger_txn_id = coalesce(${txnId}, ledger_txn_id),
      status = case when ${full} then 'paid' else status end,
      paid_at = case when ${full} then ${now}::timestamptz else null end,
      overdue_at = case when ${full} then null else overdue_at end
    where org_id = ${b.org_id} and month = ${b.month} and paid_amount = ${b.paid_amount}
      and status in ('unpaid', 'overdue')`.execute(tx);
  if (Number(r.numAffectedRows ?? 0) !== 1)
    throw new Error(`bill ${b.org_id}/${b.month} changed under its lock`);
}

/**
 * Confirms a pending or disputed bill the caller holds (balance and bill locked): `unpaid`, due (overdue)
 * 14 days from now, then charged from cash as far as it goes (coupons were applied at issue).
 */
async function confirmLocked(
  tx: Tx,
  b: BillRow,
  now: Date,
  by: 'user' | 'system' | 'operator',
): Promise<PaymentOutcome> {
  const dueAt = new Date(now.getTime() + ARREARS_DAYS * DAY_MS);
  const r = await sql`
    update bills set status = 'unpaid', confirmed_at = ${now}, due_at = ${dueAt}
    where org_id = ${b.org_id} and month = ${b.month} and status in ('pending_confirmation', 'disputed')`.execute(
    tx,
  );
  if (Number(r.numAffectedRows ?? 0) !== 1)
    throw new Error(`bill ${b.org_id}/${b.month} changed under its lock`);
  await emit(tx, {
    orgId: b.org_id,
    type: 'bill.confirmed',
    aggregateId: b.month,
    payload: {
      month: b.month,
      by,
      amountDue: b.amount_due,
      currency: b.currency,
      confirmedAt: now.toISOString(),
      overdueAt: dueAt.toISOString(),
    },
    now,
  });
  const paid = await payBillFromCash(tx, { ...b, status: 'unpaid', confirmed_at: now, due_at: dueAt }, now);
  if (!paid.paid) {
    // The first of the daily reminders (SPEC §10.3) is the confirmation's own: the job sends the next 13.
    await sql`update bills set reminders_sent = 1
      where org_id = ${b.org_id} and month = ${b.month} and reminders_sent = 0`.execute(tx);
    await emit(tx, {
      orgId: b.org_id,
      type: 'bill.unpaid',
      aggregateId: b.month,
      payload: {
        month: b.month,
        reminder: 1,
        unpaidAmount: b.amount_due - b.paid_amount - paid.taken,
        currency: b.currency,
        overdueAt: dueAt.toISOString(),
      },
      now,
    });
  }
  return paid;
}

/** The status a reader sees: an unpaid bill past its due time is overdue before the job says so. */
export function effectiveStatus(b: Pick<BillRow, 'status' | 'due_at'>, now: Date): BillStatus {
  if (b.status === 'unpaid' && now.getTime() >= b.due_at.getTime()) return 'overdue';
  return b.status;
}

/** The bill of a route: 404 outside the org's months, 409 (with status `open`) for the current month. */
async function lockIssuedBill(
  tx: Tx,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  month: string,
  now: Date,
  refusal: 'BILL_NOT_CONFIRMABLE' | 'BILL_NOT_DISPUTABLE',
): Promise<BillRow> {
  const org = await requireOrg(tx, orgId);
  await lockBalance(tx, orgId);
  const b = await lockBill(tx, orgId, month);
  if (b) return b;
  const first = monthOf(org.created_at, config.billingTimeZone);
  if (month < first || month > currentMonth(now, config.billingTimeZone))
    throw new AppError('NOT_FOUND', `no bill for ${month}`);
  throw new AppError(refusal, `the bill of ${month} is not issued yet`, { status: 'open' });
}

/** POST …/bills/{month}/confirm: an Org Admin or Org Billing Admin confirms a pending bill before its time. */
export async function confirmBill(
  tx: Tx,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  month: string,
  now: Date,
): Promise<void> {
  const b = await lockIssuedBill(tx, config, orgId, month, now, 'BILL_NOT_CONFIRMABLE');
  if (b.status !== 'pending_confirmation')
    throw new AppError('BILL_NOT_CONFIRMABLE', `the bill of ${month} is not pending confirmation`, {
      status: effectiveStatus(b, now),
    });
  await confirmLocked(tx, b, now, 'user');
}

/** POST …/bills/{month}/dispute {reason}: only while pending; nothing is charged until it is resolved. */
export async function disputeBill(
  tx: Tx,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  month: string,
  reason: string,
  now: Date,
): Promise<void> {
  const b = await lockIssuedBill(tx, config, orgId, month, now, 'BILL_NOT_DISPUTABLE');
  if (b.status !== 'pending_confirmation')
    throw new AppError('BILL_NOT_DISPUTABLE', `the bill of ${month} is not pending confirmation`, {
      status: effectiveStatus(b, now),
    });
  await sql`update bills set status = 'disputed', disputed_at = ${now}, dispute_reason = ${reason}
      where org_id = ${orgId} and month = ${month} and status = 'pending_confirmation'`.execute(tx);
  await emit(tx, {
    orgId,
    type: 'bill.disputed',
    aggregateId: month,
    payload: { month, reason, disputedAt: now.toISOString() },
    now,
  });
}

/**
 * POST /v1/internal/orgs/{orgId}/bills/{month}/resolve {adjustment}: the operator's answer to a dispute, a
 * credit of 0 up to the bill's total, shown as its own line (kind `adjustment`), which confirms the bill.
 * The credit first lowers what usage less coupons leaves due; what exceeds it (a credit on prepaid lines) is
 * returned to the cash balance (a `reversal` ledger transaction, reference `bill:<month>:adjustment`).
 */
export async function resolveBill(
  tx: Tx,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  month: string,
  adjustment: number,
  now: Date,
): Promise<void> {
  const b = await lockIssuedBill(tx, config, orgId, month, now, 'BILL_NOT_CONFIRMABLE');
  if (b.status !== 'disputed')
    throw new AppError('BILL_NOT_CONFIRMABLE', `the bill of ${month} is not disputed`, {
      status: effectiveStatus(b, now),
    });
  const total = b.prepaid_amount + b.usage_amount;
  if (adjustment > total)
    throw new AppError('VALIDATION_FAILED', `the adjustment exceeds the bill's total`, {
      fields: [{ path: 'adjustment', message: `at most ${total}` }],
    });
  let bill = b;
  if (adjustment > 0) {
    const dueBefore = b.usage_amount - b.coupon_amount;
    const amountDue = Math.max(0, dueBefore - adjustment);
    const refund = Math.max(0, adjustment - dueBefore);
    const last = await sql<{ n: number | null }>`
        select max(line_no)::int as n from bill_lines where org_id = ${orgId} and month = ${month}`.execute(
      tx,
    );
    await sql`insert into bill_lines (org_id, month, line_no, kind, order_id, order_type, cluster_id,
          cluster_name, region, metric, quantity_milli, unit, micros_per_unit, at, amount, coupon_amount, due_amount)
        values (${orgId}, ${month}, ${(last.rows[0]?.n ?? 0) + 1}, 'adjustment', null, null, null, null, null,
          null, null, null, null, ${now}, ${-adjustment}, 0, 0)`.execute(tx);
    await sql`update bills set adjustment_amount = ${adjustment}, total_amount = ${total - adjustment},
          amount_due = ${amountDue}
        where org_id = ${orgId} and month = ${month} and status = 'disputed'`.execute(tx);
    if (refund > 0) {
      await creditCash(tx, orgId, refund, now);
      await postTransactions(tx, [
        {
          orgId,
          id: newId('ltx', now),
          kind: 'reversal',
          refId: `bill:${month}:adjustment`,
          memo: `bill ${month} adjustment`,
          currency: b.currency,
          now,
          entries: [
            { account: 'cash', amount: refund },
            { account: 'subscription_revenue', amount: -refund },
          ],
        },
      ]);
    }
    bill = { ...b, adjustment_amount: adjustment, total_amount: total - adjustment, amount_due: amountDue };
  }
  await emit(tx, {
    orgId,
    type: 'bill.resolved',
    aggregateId: month,
    payload: { month, adjustment, currency: b.currency },
    now,
  });
  await confirmLocked(tx, bill, now, 'operator');
}

/**
 * After a top-up (in its transaction, the balance row already locked by its credit): the org's unpaid and
 * overdue bills, oldest first, each paid as far as the cash goes. Answers the months paid in full.
 */
export async function payOutstandingBills(tx: Tx, orgId: string, now: Date): Promise<string[]> {
  const paid: string[] = [];
  const r = await sql<BillRow>`
    select * from bills where org_id = ${orgId} and status in ('unpaid', 'overdue')
    order by month for update`.execute(tx);
  for (const row of r.rows) {
    const outcome = await payBillFromCash(tx, normalize(row), now);
    if (!outcome.paid) break;
    paid.push(row.month);
  }
  return paid;
}

/**
 * The confirmation job: every pending bill whose 3 business days are over, per org (one transaction per
 * batch of orgs; an org that fails is found by bisection, recorded and retried apart with a backoff, SPEC §11).
 * Bills are locked (after their org's balance) and their status checked again under the lock, so a bill is
 * confirmed and charged once, whoever (another instance, the admin's confirm, a dispute) gets there first.
 */
export async function confirmDueBills(
  db: Db,
  now: Date,
  opts: { batch?: number; maxOrgs?: number } = {},
): Promise<{ confirmed: number; paid: number; unpaid: number; failed: number }> {
  const totals = { confirmed: 0, paid: 0, unpaid: 0, failed: 0 };
  const orgs = await sql<{ org_id: string }>`
    select distinct org_id from bills
    where status = 'pending_confirmation' and confirms_at <= ${now}::timestamptz
      and not ${inBackoff(BILLS_CONFIRM_JOB, 'bills.org_id', now)}
    order by org_id limit ${opts.maxOrgs ?? 5000}`.execute(db);
  const ids = orgs.rows.map((o) => o.org_id);
  const failing = await failingOrgs(db, BILLS_CONFIRM_JOB);
  const batch = opts.batch ?? 100;
  for (let i = 0; i < ids.length; i += batch) {
    const r = await isolateOrgs(db, { name: BILLS_CONFIRM_JOB, now }, ids.slice(i, i + batch), (orgIds) =>
      db.transaction().execute(async (tx) => {
        const outcomes: PaymentOutcome[] = [];
        for (const orgId of orgIds) {
          await lockBalance(tx, orgId);
          const due = await sql<BillRow>`
            select * from bills where org_id = ${orgId} and status = 'pending_confirmation'
              and confirms_at <= ${now}::timestamptz
            order by month for update`.execute(tx);
          for (const b of due.rows) outcomes.push(await confirmLocked(tx, normalize(b), now, 'system'));
        }
        await clearJobFailures(
          tx,
          BILLS_CONFIRM_JOB,
          orgIds.filter((id) => failing.has(id)),
        );
        return outcomes;
      }),
    );
    totals.failed += r.failed.length;
    for (const o of r.results) {
      totals.confirmed++;
      if (o.paid) totals.paid++;
      else totals.unpaid++;
    }
  }
  return totals;
}

/**
 * The daily reminders of unpaid bills (SPEC §10.3, §9 `bill.unpaid`): reminder k + 1 (k = 0…13) is due at
 * confirmation + k days, while the bill is unpaid and not yet due (the first is written with the confirmation). One statement: a compare-and-set of
 * `reminders_sent` up to the number due now, with its outbox event, so each day's reminder is written once
 * however many instances or runs there are (a run that missed days sends one reminder, not a backlog).
 */
export async function sendBillReminders(db: Queryable, now: Date, opts: { orgIds?: string[] } = {}) {
  const t = sql`${now}::timestamptz`;
  const orgFilter = opts.orgIds ? sql`and org_id = any(${opts.orgIds}::text[])` : sql``;
  const event = emitSql({
    source: 'upd',
    type: 'bill.unpaid',
    orgId: sql.ref('upd.org_id'),
    aggregateId: sql.ref('upd.month'),
    payload: sql`jsonb_build_object('month', upd.month, 'reminder', upd.reminders_sent,
      'unpaidAmount', upd.amount_due - upd.paid_amount, 'currency', upd.currency,
      'overdueAt', to_char(upd.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
    now,
  });
  const r = await sql<{ n: number }>`
    with upd as (
      update bills set reminders_sent = least(${ARREARS_DAYS},
        floor(extract(epoch from (${t} - confirmed_at)) / 86400)::int + 1)
      where status = 'unpaid' and confirmed_at is not null and due_at > ${t} and confirmed_at <= ${t}
        and reminders_sent < least(${ARREARS_DAYS}, floor(extract(epoch from (${t} - confirmed_at)) / 86400)::int + 1)
        ${orgFilter}
      returning org_id, month, reminders_sent, amount_due, paid_amount, currency, due_at
    ), ev as (${event})
    select count(*)::int as n from upd`.execute(db);
  return r.rows[0]?.n ?? 0;
}
