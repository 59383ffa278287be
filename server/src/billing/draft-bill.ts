import type { Queryable } from '../db/schema.js';
import {
  type BillTotals,
  type ChargeLine,
  nanosToFen,
  type SettledLine,
  settleLines,
} from './bill-arithmetic.js';
import { couponsForPeriod, paidOrdersOfMonth, usageOfMonth } from './billing.repository.js';

export const USAGE_UNITS = { storage: 'GB-hour', backup: 'GB-day' } as const;

export interface DraftLine extends ChargeLine {
  orderId: string | null;
  orderType: string | null;
  clusterId: string;
  clusterName: string;
  region: string | null;
  metric: 'storage' | 'backup' | null;
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
  const orders = await paidOrdersOfMonth(db, orgId, month);
  const usage = await usageOfMonth(db, orgId, month);
  const lines: DraftLine[] = [
    ...orders.map(
      (o): DraftLine => ({
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
      }),
    ),
    ...usage.map(
      (u): DraftLine => ({
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
      }),
    ),
  ];
  const coupons = await couponsForPeriod(db, orgId, periodEnd, opts.lockCoupons);
  return settleLines(
    lines,
    coupons.map((c) => ({ id: c.id, remaining: c.remaining, expiresAt: c.expires_at })),
  );
}
