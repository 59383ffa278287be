import type { Order, OrderAction, OrderStatus } from '../../api/types.js';

type Deadlines = Pick<Order, 'expiresAt' | 'cancelsAt'>;

/**
 * When an unpaid order stops being payable: its payment deadline, or earlier, the instant the system cancels it
 * (an upgrade at its cluster's expiry, a renewal at its cluster's recycle).
 */
export function deadlineOf(order: Deadlines): { at: string; by: 'timeout' | 'system' } {
  if (order.cancelsAt && new Date(order.cancelsAt).getTime() < new Date(order.expiresAt).getTime())
    return { at: order.cancelsAt, by: 'system' };
  return { at: order.expiresAt, by: 'timeout' };
}

/**
 * The status the user should see now: an unpaid order whose deadline passed while the page was open is timed out
 * or cancelled by the system (the server says the same on the next read), and can no longer be paid or cancelled.
 */
export function effective(
  order: Deadlines & Pick<Order, 'status' | 'availableActions'>,
  nowMs: number,
): { status: OrderStatus; actions: OrderAction[] } {
  const deadline = deadlineOf(order);
  if (order.status === 'unpaid' && new Date(deadline.at).getTime() <= nowMs) {
    return {
      status: deadline.by === 'system' ? 'cancelled' : 'timed_out',
      actions: order.availableActions.filter((a) => a === 'download'),
    };
  }
  return { status: order.status, actions: order.availableActions };
}
