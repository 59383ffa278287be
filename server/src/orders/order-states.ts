import type { OrderStatus } from '../../../contract/enums.js';

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

/**
 * The deadline is exact: at and after `expiresAt` an unpaid order is timed out, whether or not the sweeper
 * has persisted it yet. Every read and every guard goes through this.
 */
export function effectiveStatus(o: { status: OrderStatus; expires_at: Date }, now: Date): OrderStatus {
  if (o.status === 'unpaid' && now.getTime() >= o.expires_at.getTime()) return 'timed_out';
  return o.status;
}
