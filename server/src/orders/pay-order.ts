import { authorizeProject, orgAccess, projectScope } from '../access/policy.js';
import type { Queryable } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { AppError } from '../platform/errors.js';
import { effectiveStatus, nextStatus, systemReason } from './order-states.js';
import { presentOrder } from './orders.presenter.js';
import { getOrder } from './orders.repository.js';
import { payAlone, payBatcher } from './pay-batcher.js';

/**
 * 支付: the whole amount, in one go, from the org's cash balance, before the deadline; coupons never apply.
 * The caller is authorized before anything is written: an org-wide role that may pay needs nothing read
 * (the hot path stays one statement); any other caller's permission depends on the order's project, which
 * is read, not locked, first. The payment itself changes everything or nothing: alone, one statement
 * (`payInOneStatement`); without an Idempotency-Key, in the process's batch of payments (`pay-batcher.ts`),
 * which decides it exactly as that statement would at its place in the batch. The reason for a refusal is
 * read from the order as it was when locked.
 */
export async function payOrder(
  deps: Deps,
  db: Queryable,
  p: UserPrincipal,
  orgId: string,
  orderId: string,
  input: { couponId?: string | undefined },
  now: Date,
) {
  const access = orgAccess(p, orgId);
  const scope = payScope(p, orgId);
  if (!scope.all || input.couponId !== undefined) {
    const order = await getOrder(db, orgId, orderId);
    if (!order) throw new AppError('NOT_FOUND', 'order not found');
    authorizeProject(p, orgId, order.project_id, 'order.pay', 'order');
  }
  if (input.couponId !== undefined) {
    throw new AppError(
      'COUPON_NOT_APPLICABLE',
      'coupons cannot pay subscription orders; pay from the cash balance',
      {
        couponId: input.couponId,
      },
    );
  }
  // Without an Idempotency-Key the payment runs on the database itself: it joins the process's batch
  // (pay-batcher.ts), answered after the batch's commit. With a key, alone inside the key's transaction.
  const projectIds = scope.all ? null : scope.projectIds;
  const r =
    db === deps.db
      ? await payBatcher(deps).pay({ orgId, orderId, payerId: p.id, projectIds, now })
      : await payAlone(deps, db, { orgId, orderId, payerId: p.id, projectIds, now });
  // The instant it was paid at (or refused): the batch's, which no payment of it had passed its deadline at.
  const { billMonth, at } = r;
  if (!r.before) throw new AppError('NOT_FOUND', 'order not found');
  const order = r.before;
  if (!r.paid) {
    const status = effectiveStatus(order, at);
    if (!nextStatus(status, 'pay')) {
      const reason = systemReason(order, at);
      throw new AppError('ORDER_NOT_PAYABLE', `the order is ${status} and cannot be paid`, {
        status,
        orderId,
        ...(reason ? { reason } : {}),
      });
    }
    throw new AppError(
      'INSUFFICIENT_BALANCE',
      'the cash balance is short; top up by bank transfer, then pay',
      {
        balance: r.cashBefore,
        amount: order.amount,
        shortfall: Math.max(order.amount - r.cashBefore, 0),
        currency: order.currency,
      },
    );
  }
  deps.metrics.orderTransitions.inc({ to: 'paid' });
  const paid = {
    ...order,
    status: 'paid' as const,
    paid_at: at,
    paid_by: p.id,
    bill_month: billMonth,
  };
  return {
    order: presentOrder(paid, access, at),
    balance: { cash: r.cashAfter ?? 0, currency: order.currency },
  };
}

/**
 * The projects whose orders this caller may pay (an org-wide role: all of them). None is not yet a refusal:
 * whether the caller hears 404 or 403 depends on the order's project (SPEC §1), decided by authorizeProject.
 */
function payScope(p: UserPrincipal, orgId: string): { all: true } | { all: false; projectIds: string[] } {
  try {
    return projectScope(p, orgId, 'order.pay');
  } catch {
    return { all: false, projectIds: [] };
  }
}
