import { authorizeProject } from '../access/policy.js';
import type { UserPrincipal } from '../access/roles.js';
import { transitionCluster } from '../clusters/clusters.repository.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { debitCash, getCash, postTransaction } from '../ledger/ledger.repository.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { monthOf } from '../platform/time.js';
import { termDays } from '../pricing/catalog.js';
import { effectiveStatus, nextStatus } from './order-states.js';
import { presentOrder } from './orders.presenter.js';
import { insertHistory, lockOrder, transitionFromUnpaid } from './orders.repository.js';

/**
 * 支付: the whole amount, in one go, from the org's cash balance, before the deadline. In one transaction:
 * lock the order (so pay, cancel and the sweeper serialize on it), take the money with a conditional update
 * of the balance, append the ledger entries, compare-and-set the order, record the history, emit the
 * provisioning event. Any failure rolls all of it back.
 */
export async function payOrder(
  deps: Deps,
  tx: Tx,
  p: UserPrincipal,
  orgId: string,
  orderId: string,
  input: { couponId?: string | undefined },
  now: Date,
) {
  const order = await lockOrder(tx, orgId, orderId);
  if (!order) throw new AppError('NOT_FOUND', 'order not found');
  const access = authorizeProject(p, orgId, order.project_id, 'order.pay', 'order');
  if (input.couponId !== undefined) {
    throw new AppError(
      'COUPON_NOT_APPLICABLE',
      'coupons cannot pay subscription orders; pay from the cash balance',
      {
        couponId: input.couponId,
      },
    );
  }
  const status = effectiveStatus(order, now);
  const to = nextStatus(status, 'pay');
  if (!to) {
    throw new AppError('ORDER_NOT_PAYABLE', `the order is ${status} and cannot be paid`, { status, orderId });
  }
  const balanceAfter = await debitCash(tx, orgId, order.amount, now);
  if (balanceAfter === undefined) {
    const balance = (await getCash(tx, orgId))?.cash ?? 0;
    throw new AppError(
      'INSUFFICIENT_BALANCE',
      'the cash balance is short; top up by bank transfer, then pay',
      {
        balance,
        amount: order.amount,
        shortfall: order.amount - balance,
        currency: order.currency,
      },
    );
  }
  const billMonth = monthOf(now, deps.config.billingTimeZone);
  const paid = await transitionFromUnpaid(
    tx,
    orgId,
    orderId,
    now,
    { status: to, paid_at: now, paid_by: p.id, bill_month: billMonth },
    true,
  );
  // The row is locked and was unpaid before its deadline: losing the compare-and-set here is a bug.
  if (!paid) throw new Error(`order ${orderId} changed under its lock`);
  await postTransaction(tx, {
    orgId,
    id: newId('ltx', now),
    kind: 'order_payment',
    refId: orderId,
    memo: `order ${orderId}`,
    currency: order.currency,
    now,
    entries: [
      { account: 'cash', amount: -order.amount, orderId },
      { account: 'subscription_revenue', amount: order.amount, orderId },
    ],
  });
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
    const config = order.config as { term: { unit: 'month' | 'year'; count: number } };
    const termEndsAt = new Date(now.getTime() + termDays(deps.catalog, config.term) * 86_400_000);
    // The term starts at payment; provisioning starts from the outbox event.
    await transitionCluster(tx, orgId, order.cluster_id, 'pending_payment', {
      term_ends_at: termEndsAt,
      payment_deadline: null,
      updated_at: now,
    });
  }
  await emit(tx, {
    orgId,
    type: 'order.paid',
    aggregateId: orderId,
    payload: {
      orderId,
      type: order.type,
      clusterId: order.cluster_id,
      amount: order.amount,
      config: order.config,
    },
    now,
  });
  deps.metrics.orderTransitions.inc({ to });
  return {
    order: presentOrder(paid, access, now),
    balance: { cash: balanceAfter, currency: order.currency },
  };
}
