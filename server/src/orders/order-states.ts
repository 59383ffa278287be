import type { OrderEndReason, OrderStatus, OrderType } from '../../../contract/enums.js';

/**
 * The order state machine (SPEC §2) as one pure table. Every transition in the code is checked against it,
 * and performed as a compare-and-set on `status = 'unpaid'`.
 */
export type OrderEvent = 'pay' | 'cancel' | 'time_out';

export const TRANSITIONS: Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>> = {
  unpaid: { pay: 'paid', cancel: 'cancelled', time_out: 'timed_out' },
  paid: {},
  cancelled: {},
  timed_out: {},
};

export function nextStatus(from: OrderStatus, event: OrderEvent): OrderStatus | undefined {
  return TRANSITIONS[from][event];
}

/** What the system's end of an unpaid order depends on. */
export interface OrderDeadlines {
  type: OrderType;
  status: OrderStatus;
  expires_at: Date;
  /** SPEC §8.1: an upgrade's cluster expiry, a renewal's cluster recycle (fixed while the order is unpaid) */
  cancel_at: Date | null;
}

export interface SystemEnd {
  to: 'timed_out' | 'cancelled';
  at: Date;
  reason: OrderEndReason | null;
}

/**
 * How the system ends an unpaid order if nobody pays or cancels it: it times out at its deadline, or, when its
 * cluster expires (an upgrade) or is recycled (a renewal) before that, the system cancels it then (SPEC §8.1).
 * At a tie the deadline wins.
 */
export function systemEnd(o: OrderDeadlines): SystemEnd {
  if (o.cancel_at && o.cancel_at.getTime() < o.expires_at.getTime()) {
    return {
      to: 'cancelled',
      at: o.cancel_at,
      reason: o.type === 'renewal' ? 'cluster_recycled' : 'cluster_expired',
    };
  }
  return { to: 'timed_out', at: o.expires_at, reason: null };
}

/** The last instant (exclusive) at which the order can be paid or cancelled. */
export function payableUntil(o: OrderDeadlines): Date {
  return systemEnd(o).at;
}

/**
 * The deadlines are exact: at and after the system's end an unpaid order reads as timed out (or cancelled by
 * the system), whether or not the sweeper has persisted it yet. Every read and every guard goes through this.
 */
export function effectiveStatus(o: OrderDeadlines, now: Date): OrderStatus {
  if (o.status !== 'unpaid') return o.status;
  const end = systemEnd(o);
  return now.getTime() >= end.at.getTime() ? end.to : 'unpaid';
}

/**
 * Why the system cancelled the order, when it did (SPEC §8.2: a renewal refused once its cluster is recycled
 * says `cluster_recycled`): its cancel_at came, and it was not a user who cancelled it.
 */
export function systemReason(
  o: OrderDeadlines & { cancelled_by: string | null },
  now: Date,
): OrderEndReason | null {
  const end = systemEnd(o);
  if (end.to !== 'cancelled' || now.getTime() < end.at.getTime()) return null;
  if (o.status === 'cancelled' && o.cancelled_by !== null) return null;
  return effectiveStatus(o, now) === 'cancelled' ? end.reason : null;
}
