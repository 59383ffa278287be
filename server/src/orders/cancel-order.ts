import { authorizeProject } from '../access/policy.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { effectiveStatus, nextStatus, systemReason } from './order-states.js';
import { presentOrder } from './orders.presenter.js';
import {
  cancelPendingCluster,
  getOrder,
  insertHistory,
  lockOrder,
  transitionFromUnpaid,
} from './orders.repository.js';

/**
 * 取消订单 → 确定取消: irreversible. A cancelled new purchase leaves no cluster (its record ends as
 * cancelled); a cancelled upgrade leaves the cluster as it was.
 */
export async function cancelOrder(
  deps: Deps,
  tx: Tx,
  p: UserPrincipal,
  orgId: string,
  orderId: string,
  now: Date,
) {
  // Authorize before any write or row lock: a refused caller must not even queue behind a payment.
  const seen = await getOrder(tx, orgId, orderId);
  if (!seen) throw new AppError('NOT_FOUND', 'order not found');
  const access = authorizeProject(p, orgId, seen.project_id, 'order.cancel', 'order');
  const order = await lockOrder(tx, orgId, orderId);
  if (!order) throw new AppError('NOT_FOUND', 'order not found');
  const status = effectiveStatus(order, now);
  const to = nextStatus(status, 'cancel');
  if (!to) {
    const reason = systemReason(order, now);
    throw new AppError('ORDER_NOT_CANCELLABLE', `the order is ${status} and cannot be cancelled`, {
      status,
      orderId,
      ...(reason ? { reason } : {}),
    });
  }
  const cancelled = await transitionFromUnpaid(tx, orgId, orderId, now, {
    status: to,
    cancelled_at: now,
    cancelled_by: p.id,
  });
  if (!cancelled) throw new Error(`order ${orderId} changed under its lock`);
  await insertHistory(tx, {
    orgId,
    orderId,
    seq: 2,
    from: 'unpaid',
    to,
    actorType: 'user',
    actorId: p.id,
    at: now,
    recordedAt: now,
  });
  if (order.type === 'new_purchase') {
    const c = await cancelPendingCluster(tx, orgId, order.cluster_id, now);
    if (c) {
      await emit(tx, {
        orgId,
        type: 'cluster.state_changed',
        aggregateId: c.id,
        payload: { clusterId: c.id, from: 'pending_payment', to: 'cancelled' },
        now,
      });
    }
  }
  await emit(tx, {
    orgId,
    type: 'order.cancelled',
    aggregateId: orderId,
    payload: { orderId, type: order.type, clusterId: order.cluster_id },
    now,
  });
  deps.metrics.orderTransitions.inc({ to });
  return { order: presentOrder(cancelled, access, now) };
}
