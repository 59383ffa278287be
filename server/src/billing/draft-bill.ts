import type { OrderType, UsageMetric } from '../../../contract/enums.js';
import type { Queryable } from '../db/schema.js';
import { AppError } from '../platform/errors.js';
import { roundHalfUp } from '../platform/money.js';
import {
  type BillTotals,
  type ChargeLine,
  type CouponFunds,
  type SettledLine,
  settleLines,
} from './bill-arithmetic.js';
import {
  couponsForPeriod,
  paidOrdersOfMonth,
  usageEventIdsOfLines,
  usageOfMonth,
} from './billing.repository.js';

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
  const usage = await usageOfMonth(db, orgIds, month);
  await refuseUnsafeUsage(db, month, usage, lines);
  for (const u of usage) {
    lines.get(u.org_id)?.push({
      kind: 'usage',
      amount: Number(roundHalfUp(BigInt(u.nanos), NANOS_PER_FEN)),
      orderId: null,
      orderType: null,
      clusterId: u.cluster_id,
      clusterName: u.cluster_name,
      region: u.region,
      metric: u.metric,
      quantityMilli: Number(u.quantity_milli),
      unit: USAGE_UNITS[u.metric],
      microsPerUnit: Number(u.micros_per_unit),
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

const NANOS_PER_FEN = 1_000_000_000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** How many event ids a BILL_DATA_INVALID names at most. */
const MAX_NAMED_EVENTS = 100;

/**
 * Usage priced in billionths of a fen (milli-GB × units × micro-fen per unit) is rounded once per line. Within
 * the usage bounds no line can pass 2^53 fen at a catalog price, but a row stored before the bounds may carry a
 * frozen price that makes its line (or its bill's total) do so, or a price past 2^53 itself. Such a month cannot
 * be billed or shown: 409 BILL_DATA_INVALID naming the events (the bills job isolates the org until an operator
 * corrects the rows), instead of a wrong total or a 500. `subscriptions` holds each org's lines so far.
 */
async function refuseUnsafeUsage(
  db: Queryable,
  month: string,
  usage: Awaited<ReturnType<typeof usageOfMonth>>,
  subscriptions: Map<string, DraftLine[]>,
): Promise<void> {
  const total = new Map<string, bigint>();
  for (const [orgId, ls] of subscriptions)
    total.set(
      orgId,
      ls.reduce((sum, l) => sum + BigInt(l.amount), 0n),
    );
  const badLines = new Set<(typeof usage)[number]>();
  for (const u of usage) {
    const fen = roundHalfUp(BigInt(u.nanos), NANOS_PER_FEN);
    total.set(u.org_id, (total.get(u.org_id) ?? 0n) + fen);
    const unsafe =
      fen > MAX_SAFE || BigInt(u.micros_per_unit) > MAX_SAFE || BigInt(u.quantity_milli) > MAX_SAFE;
    if (unsafe) badLines.add(u);
  }
  // A total past 2^53 with every line safe: all of that org's usage lines make it.
  const withBadLine = new Set([...badLines].map((u) => u.org_id));
  for (const u of usage) {
    if (!withBadLine.has(u.org_id) && (total.get(u.org_id) ?? 0n) > MAX_SAFE) badLines.add(u);
  }
  if (badLines.size === 0) return;
  const bad = [...badLines];
  const eventIds = await usageEventIdsOfLines(
    db,
    month,
    bad.map((u) => ({
      orgId: u.org_id,
      clusterId: u.cluster_id,
      metric: u.metric,
      microsPerUnit: u.micros_per_unit,
    })),
    MAX_NAMED_EVENTS,
  );
  const orgIds = [...new Set(bad.map((u) => u.org_id))].sort();
  throw new AppError(
    'BILL_DATA_INVALID',
    `the bill of ${month} cannot be made: its stored usage makes a line or the total exceed the safe integer ` +
      `range of amounts (2^53 fen); correct or remove the usage events ${eventIds.join(', ')}`,
    { month, orgIds, eventIds },
  );
}
