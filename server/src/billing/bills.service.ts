import type { BillLineKind, BillStatus } from '../../../contract/enums.js';
import type { Config } from '../config.js';
import type { Queryable } from '../db/schema.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { AppError } from '../platform/errors.js';
import { monthOf } from '../platform/time.js';
import { effectiveStatus } from './bill-lifecycle.js';
import { currentMonth, monthPeriod, monthsDesc } from './bill-period.js';
import {
  type BillRow,
  getBill,
  getBillLines,
  getBills,
  getCouponApplications,
} from './billing.repository.js';
import { type DraftLine, draftBill } from './draft-bill.js';

/** A bill's line as readers see it: a draft line, or (issued bills only) the adjustment of a resolved dispute. */
export interface BillLineView extends Omit<DraftLine, 'kind' | 'clusterId' | 'clusterName'> {
  kind: BillLineKind;
  /** null on an adjustment line */
  clusterId: string | null;
  clusterName: string | null;
  lineNo: number;
  couponAmount: number;
  dueAmount: number;
}

/** A bill as every reader sees it (API, PDF, spreadsheets): issued and frozen, or the open month live. */
export interface BillView {
  orgId: string;
  orgName: string;
  orgTimeZone: string;
  month: string;
  currency: string;
  status: BillStatus;
  periodStart: Date;
  periodEnd: Date;
  issuedAt: Date | null;
  dueAt: Date | null;
  paidAt: Date | null;
  overdueAt: Date | null;
  totalAmount: number;
  prepaidAmount: number;
  usageAmount: number;
  couponAmount: number;
  amountDue: number;
  paidAmount: number;
  /** SPEC §10.2: while pending, when it confirms by itself; null otherwise */
  confirmsAt: Date | null;
  confirmedAt: Date | null;
  disputedAt: Date | null;
  disputeReason: string | null;
  adjustmentAmount: number;
  lines: BillLineView[];
  couponApplications: { couponId: string; lineNo: number; amount: number }[];
}

/** The deadline is exact, as for orders: an unpaid bill past its due time reads as overdue before the job runs. */
export const effectiveBillStatus: (b: Pick<BillRow, 'status' | 'due_at'>, now: Date) => BillStatus =
  effectiveStatus;

async function orgMonths(db: Queryable, config: Pick<Config, 'billingTimeZone'>, orgId: string, now: Date) {
  const org = await requireOrg(db, orgId);
  const first = monthOf(org.created_at, config.billingTimeZone);
  // A clock before the org's creation (never in practice) still yields its first month.
  const [, last] = [first, currentMonth(now, config.billingTimeZone)].sort() as [string, string];
  return { org, first, last };
}

function fromRow(
  org: { id: string; name: string; time_zone: string },
  b: BillRow,
  now: Date,
): Omit<BillView, 'lines' | 'couponApplications'> {
  return {
    orgId: org.id,
    orgName: org.name,
    orgTimeZone: org.time_zone,
    month: b.month,
    currency: b.currency,
    status: effectiveBillStatus(b, now),
    periodStart: b.period_start,
    periodEnd: b.period_end,
    issuedAt: b.issued_at,
    dueAt: b.due_at,
    paidAt: b.paid_at,
    // When it becomes (or became) overdue: confirmation + 14 days; for a pending bill, if it confirms by
    // itself; none while disputed (no date until it is resolved) or once paid.
    overdueAt:
      b.status === 'overdue'
        ? b.overdue_at
        : b.status === 'unpaid' || b.status === 'pending_confirmation'
          ? b.due_at
          : null,
    totalAmount: b.total_amount,
    prepaidAmount: b.prepaid_amount,
    usageAmount: b.usage_amount,
    couponAmount: b.coupon_amount,
    amountDue: b.amount_due,
    paidAmount: b.paid_amount,
    confirmsAt: b.status === 'pending_confirmation' ? b.confirms_at : null,
    confirmedAt: b.confirmed_at,
    disputedAt: b.disputed_at,
    disputeReason: b.dispute_reason,
    adjustmentAmount: Number(b.adjustment_amount),
  };
}

async function openBill(
  db: Queryable,
  config: Pick<Config, 'billingTimeZone'>,
  org: { id: string; name: string; time_zone: string; currency: string },
  month: string,
): Promise<BillView> {
  const period = monthPeriod(month, config.billingTimeZone);
  const draft = await draftBill(db, org.id, month, period.end, { lockCoupons: false });
  return {
    orgId: org.id,
    orgName: org.name,
    orgTimeZone: org.time_zone,
    month,
    currency: org.currency,
    status: 'open',
    periodStart: period.start,
    periodEnd: period.end,
    issuedAt: null,
    dueAt: null,
    paidAt: null,
    overdueAt: null,
    ...draft.totals,
    paidAmount: 0,
    confirmsAt: null,
    confirmedAt: null,
    disputedAt: null,
    disputeReason: null,
    adjustmentAmount: 0,
    lines: draft.lines.map((s) => ({
      ...s.line,
      lineNo: s.lineNo,
      couponAmount: s.couponAmount,
      dueAmount: s.dueAmount,
    })),
    couponApplications: draft.applications,
  };
}

/** One month's bill with its lines; 404 for a month before the org existed or not yet begun. */
export async function loadBill(
  db: Queryable,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  month: string,
  now: Date,
): Promise<BillView> {
  const { org, first, last } = await orgMonths(db, config, orgId, now);
  if (month < first || month > last) throw new AppError('NOT_FOUND', `no bill for ${month}`);
  const row = await getBill(db, orgId, month);
  if (!row) return openBill(db, config, org, month);
  const lines = await getBillLines(db, orgId, month);
  const apps = await getCouponApplications(db, orgId, month);
  return {
    ...fromRow(org, row, now),
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      kind: l.kind,
      amount: l.amount,
      orderId: l.order_id,
      orderType: l.order_type,
      clusterId: l.cluster_id,
      clusterName: l.cluster_name,
      region: l.region,
      metric: l.metric,
      quantityMilli: l.quantity_milli,
      unit: l.unit,
      microsPerUnit: l.micros_per_unit,
      at: l.at,
      couponAmount: l.coupon_amount,
      dueAmount: l.due_amount,
    })),
    couponApplications: apps.map((a) => ({ couponId: a.coupon_id, lineNo: a.line_no, amount: a.amount })),
  };
}

/** Bills newest first: the open month on top, then issued months; keyset-paginated by month. */
export async function listBills(
  db: Queryable,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  now: Date,
  page: { limit: number; beforeMonth?: string | undefined },
): Promise<{ items: Omit<BillView, 'lines' | 'couponApplications'>[]; nextMonth: string | null }> {
  const { org, first, last } = await orgMonths(db, config, orgId, now);
  const all = monthsDesc(first, last).filter((m) => !page.beforeMonth || m < page.beforeMonth);
  const months = all.slice(0, page.limit);
  const rows = new Map((await getBills(db, orgId, months)).map((b) => [b.month, b]));
  const items = [];
  for (const m of months) {
    const row = rows.get(m);
    if (row) items.push(fromRow(org, row, now));
    else {
      const { lines: _l, couponApplications: _c, ...summary } = await openBill(db, config, org, m);
      items.push(summary);
    }
  }
  return { items, nextMonth: all.length > page.limit ? (months[months.length - 1] ?? null) : null };
}
