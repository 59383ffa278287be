import type { OrderType, UsageMetric } from '../../../contract/enums.js';
import type { Queryable } from '../db/schema.js';
import {
  type BillTotals,
  type ChargeLine,
  type CouponFunds,
  nanosToFen,
  type SettledLine,
  settleLines,
} from './bill-arithmetic.js';
import { couponsForPeriod, paidOrdersOfMonth, usageOfMonth } from './billing.repository.js';

export const USAGE_UNITS = { storage: 'GB-hour', backup: 'GB-day' } as const;

export interface DraftLine extends ChargeLine {
  orderId: string | null;
  orderType: OrderType | null;
  clusterId: string;
  clusterName: string;
  region: string | null;
  metric: UsageMetric | null;
  /** thousandths of a GB-hour / GB-day */
  quantityMilli: number | null;
  unit: string | null;
  microsPerUnit: number | null;
  at: Date | null;
}

export interface Draft {
  lines: SettledLine<DraftLine>[];
  applications: { couponId: string; lineNo: number; amount: number }[];
  totals: BillTotals;
}

/**
 * A month's bill as it stands: its lines from the database, coupons applied. Issuing stores exactly this
 * (with the coupons locked); the open month shows it as it grows.
 */
export async function draftBill(
  db: Queryable,
  orgId: string,
  month: string,
  periodEnd: Date,
  opts: { lockCoupons: boolean },
): Promise<Draft> {
  const drafts = await draftBills(db, [orgId], month, periodEnd, opts);
  return drafts.get(orgId)!;
}

/** draftBill for many orgs of one month: three queries whatever the count. */
export async function draftBills(
  db: Queryable,
  orgIds: string[],
  month: string,
  periodEnd: Date,
  opts: { lockCoupons: boolean },
): Promise<Map<string, Draft>> {
  if (orgIds.length === 0) return new Map();
  const lines = new Map<string, DraftLine[]>(orgIds.map((id) => [id, []]));
  const coupons = new Map<string, CouponFunds[]>(orgIds.map((id) => [id, []]));
  for (const o of await paidOrdersOfMonth(db, orgIds, month)) {
    lines.get(o.org_id)?.push({
      kind: 'subscription',
      amount: o.amount,
      orderId: o.id,
      orderType: o.type,
      clusterId: o.cluster_id,
      clusterName: o.cluster_name,
      region: (o.config as { region?: string } | null)?.region ?? null,
      metric: null,
      quantityMilli: null,
      unit: null,
      microsPerUnit: null,
      at: o.paid_at,
    });
  }
  for (const u of await usageOfMonth(db, orgIds, month)) {
    lines.get(u.org_id)?.push({
      kind: 'usage',
      amount: nanosToFen(BigInt(u.nanos)),
      orderId: null,
      orderType: null,
      clusterId: u.cluster_id,
      clusterName: u.cluster_name,
      region: u.region,
      metric: u.metric,
      quantityMilli: Number(u.quantity_milli),
      unit: USAGE_UNITS[u.metric],
      microsPerUnit: u.micros_per_unit,
      at: null,
    });
  }
  for (const c of await couponsForPeriod(db, orgIds, periodEnd, opts.lockCoupons)) {
    coupons.get(c.org_id)?.push({ id: c.id, remaining: c.remaining, expiresAt: c.expires_at });
  }
  const drafts = new Map<string, Draft>();
  for (const id of orgIds) drafts.set(id, settleLines(lines.get(id) ?? [], coupons.get(id) ?? []));
  return drafts;
}
