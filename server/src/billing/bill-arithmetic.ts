import { roundHalfUp, toSafeNumber } from '../platform/money.js';

/**
 * The arithmetic of a bill, pure and exact, so that it can be property-tested apart from the database.
 * A bill is lines: subscription orders paid in the month (prepaid, already settled: nothing is due on them)
 * and pay-as-you-go usage per cluster and metric. Coupons pay usage lines only, earliest-expiring first,
 * never more than a line's amount; the cash balance then pays what is due.
 */

export interface ChargeLine {
  kind: 'subscription' | 'usage';
  /** fen, >= 0 */
  amount: number;
}

export interface CouponFunds {
  id: string;
  /** fen still on the coupon */
  remaining: number;
  expiresAt: Date;
}

export interface CouponApplication {
  couponId: string;
  /** 1-based */
  lineNo: number;
  amount: number;
}

export interface SettledLine<L extends ChargeLine> {
  line: L;
  lineNo: number;
  couponAmount: number;
  dueAmount: number;
}

export interface BillTotals {
  totalAmount: number;
  prepaidAmount: number;
  usageAmount: number;
  couponAmount: number;
  amountDue: number;
}

/** Usage is priced in billionths of a fen (milli-GB × units × micro-fen per unit): rounded once per line. */
export function nanosToFen(nanos: bigint): number {
  return toSafeNumber(roundHalfUp(nanos, 1_000_000_000n));
}

export function settleLines<L extends ChargeLine>(
  lines: L[],
  coupons: CouponFunds[],
): { lines: SettledLine<L>[]; applications: CouponApplication[]; totals: BillTotals } {
  for (const l of lines) {
    if (!Number.isSafeInteger(l.amount) || l.amount < 0) throw new RangeError(`bad line amount ${l.amount}`);
  }
  const order = [...coupons]
    .filter((c) => c.remaining > 0)
    .sort(
      (a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  const settled = lines.map((line, i) => ({ line, lineNo: i + 1, couponAmount: 0, dueAmount: 0 }));
  const applications: CouponApplication[] = [];
  let li = 0;
  for (const c of order) {
    let left = c.remaining;
    while (left > 0 && li < settled.length) {
      const s = settled[li]!;
      const open = s.line.kind === 'usage' ? s.line.amount - s.couponAmount : 0;
      if (open <= 0) {
        li++;
        continue;
      }
      const take = Math.min(open, left);
      s.couponAmount += take;
      left -= take;
      applications.push({ couponId: c.id, lineNo: s.lineNo, amount: take });
    }
  }
  const totals: BillTotals = {
    totalAmount: 0,
    prepaidAmount: 0,
    usageAmount: 0,
    couponAmount: 0,
    amountDue: 0,
  };
  for (const s of settled) {
    s.dueAmount = s.line.kind === 'usage' ? s.line.amount - s.couponAmount : 0;
    totals.totalAmount += s.line.amount;
    if (s.line.kind === 'subscription') totals.prepaidAmount += s.line.amount;
    else totals.usageAmount += s.line.amount;
    totals.couponAmount += s.couponAmount;
    totals.amountDue += s.dueAmount;
  }
  return { lines: settled, applications, totals };
}
