import type { Config } from '../config.js';
import type { Db, Tx } from '../db/schema.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { addMonths, currentMonth, monthPeriod } from './bill-period.js';
import {
  billExists,
  insertBillIfAbsent,
  insertBillLines,
  insertCouponApplications,
  lockBillMonth,
  monthsToIssue,
  spendCoupon,
} from './billing.repository.js';
import { draftBill } from './draft-bill.js';
import { payBillFromCash } from './pay-bill.js';

/** A bill unpaid this long after issue is overdue. */
export const BILL_DUE_DAYS = 14;
/**
 * Bills are issued this long after the month ends, so that a payment whose clock read the last second of
 * the month but committed a moment later is still in the month's bill.
 */
export const ISSUE_GRACE_MS = 60_000;

export type IssueOutcome =
  | { outcome: 'issued'; orgId: string; month: string; status: 'paid' | 'unpaid'; amountDue: number }
  | { outcome: 'exists' | 'busy' | 'not_ended'; orgId: string; month: string };

/**
 * Issues one org's bill for one ended month, in the caller's transaction: at most once, however many
 * instances try at the same time (an advisory lock per org and month, then the unique key (org_id, month)).
 * The lines and coupon applications are frozen; coupons pay usage lines only, earliest-expiring first; the
 * cash balance pays what remains, or the bill waits (unpaid) for the next top-up.
 */
export async function issueBill(
  tx: Tx,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  month: string,
  now: Date,
): Promise<IssueOutcome> {
  const period = monthPeriod(month, config.billingTimeZone);
  if (now.getTime() < period.end.getTime()) return { outcome: 'not_ended', orgId, month };
  if (!(await lockBillMonth(tx, orgId, month, 'exclusive-try'))) return { outcome: 'busy', orgId, month };
  if (await billExists(tx, orgId, month)) return { outcome: 'exists', orgId, month };
  const org = await requireOrg(tx, orgId);
  const draft = await draftBill(tx, orgId, month, period.end, { lockCoupons: true });
  const inserted = await insertBillIfAbsent(tx, {
    org_id: orgId,
    month,
    currency: org.currency,
    status: 'unpaid',
    total_amount: draft.totals.totalAmount,
    prepaid_amount: draft.totals.prepaidAmount,
    usage_amount: draft.totals.usageAmount,
    coupon_amount: draft.totals.couponAmount,
    amount_due: draft.totals.amountDue,
    period_start: period.start,
    period_end: period.end,
    issued_at: now,
    due_at: new Date(now.getTime() + BILL_DUE_DAYS * 86_400_000),
    paid_at: null,
    overdue_at: null,
    ledger_txn_id: null,
  });
  if (!inserted) return { outcome: 'exists', orgId, month };
  await insertBillLines(
    tx,
    draft.lines.map((s) => ({
      org_id: orgId,
      month,
      line_no: s.lineNo,
      kind: s.line.kind,
      order_id: s.line.orderId,
      order_type: s.line.orderType,
      cluster_id: s.line.clusterId,
      cluster_name: s.line.clusterName,
      region: s.line.region,
      metric: s.line.metric,
      quantity_milli: s.line.quantityMilli,
      unit: s.line.unit,
      micros_per_unit: s.line.microsPerUnit,
      at: s.line.at,
      amount: s.line.amount,
      coupon_amount: s.couponAmount,
      due_amount: s.dueAmount,
    })),
  );
  const perCoupon = new Map<string, number>();
  for (const a of draft.applications) perCoupon.set(a.couponId, (perCoupon.get(a.couponId) ?? 0) + a.amount);
  for (const [couponId, amount] of perCoupon) {
    // The coupons are locked: a failed compare-and-set here is a bug, and rolls the whole bill back.
    if (!(await spendCoupon(tx, orgId, couponId, amount)))
      throw new Error(`coupon ${couponId} changed under its lock`);
  }
  await insertCouponApplications(
    tx,
    draft.applications.map((a) => ({
      org_id: orgId,
      month,
      coupon_id: a.couponId,
      line_no: a.lineNo,
      amount: a.amount,
    })),
  );
  const amountDue = draft.totals.amountDue;
  const paid = await payBillFromCash(
    tx,
    { org_id: orgId, month, amount_due: amountDue, currency: org.currency },
    now,
  );
  return { outcome: 'issued', orgId, month, status: paid ? 'paid' : 'unpaid', amountDue };
}

/** The last month whose bill may be issued at `now` (ended, plus the grace period). */
export function lastIssuableMonth(now: Date, timeZone: string): string {
  return addMonths(currentMonth(new Date(now.getTime() - ISSUE_GRACE_MS), timeZone), -1);
}

/**
 * The monthly job: every ended month of every org that has no bill yet, each in its own transaction.
 * Bounded per run; months another instance is issuing right now are skipped and picked up next time.
 */
export async function issueDueBills(
  db: Db,
  config: Pick<Config, 'billingTimeZone'>,
  now: Date,
  opts: {
    batch?: number;
    maxBatches?: number;
    orgId?: string;
    month?: string;
    onIssued?: (r: IssueOutcome) => void;
  } = {},
): Promise<{ issued: number; paid: number; unpaid: number; skipped: number }> {
  const totals = { issued: 0, paid: 0, unpaid: 0, skipped: 0 };
  const last = opts.month ?? lastIssuableMonth(now, config.billingTimeZone);
  const batch = opts.batch ?? 500;
  for (let i = 0; i < (opts.maxBatches ?? 100); i++) {
    const due = await monthsToIssue(db, config.billingTimeZone, last, batch, opts);
    let progressed = 0;
    for (const d of due) {
      const r = await db.transaction().execute((tx) => issueBill(tx, config, d.org_id, d.month, now));
      opts.onIssued?.(r);
      if (r.outcome === 'issued') {
        progressed++;
        totals.issued++;
        if (r.status === 'paid') totals.paid++;
        else totals.unpaid++;
      } else totals.skipped++;
    }
    if (due.length < batch || progressed === 0) break;
  }
  return totals;
}
