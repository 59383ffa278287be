import { sql } from 'kysely';
import type { OrderStatus } from '../../../contract/enums.js';
import { authorizeProject, orgAccess } from '../access/policy.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { monthOf } from '../platform/time.js';
import { effectiveStatus, systemReason } from './order-states.js';
import { presentOrder } from './orders.presenter.js';
import { getOrder, type OrderRow } from './orders.repository.js';
import { payInOneStatement } from './pay.repository.js';

/**
 * 合并支付 (SPEC §10.1): 1–30 unpaid orders at once, all or nothing, with one `paidAt`; each order gets its own
 * debit, history and event exactly as if paid alone (the same one statement, payInOneStatement, in one
 * transaction). Every order is authorized before anything is locked (404 / 403 as for one). The orders are
 * then locked in id order (two merged payments that share orders cannot deadlock), then the balance: a
 * refusal names every order that is not payable, or the whole total's shortfall, and pays nothing.
 */
export async function payOrders(
  deps: Deps,
  tx: Tx,
  p: UserPrincipal,
  orgId: string,
  orderIds: string[],
  now: Date,
) {
  const access = orgAccess(p, orgId);
  for (const id of orderIds) {
    const seen = await getOrder(tx, orgId, id);
    if (!seen) throw new AppError('NOT_FOUND', `order ${id} not found`, { orderId: id });
    authorizeProject(p, orgId, seen.project_id, 'order.pay', 'order');
  }
  const ids = [...orderIds].sort();
  const locked = await tx
    .selectFrom('orders')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', sql<string>`any(${ids}::text[])`)
    .orderBy('id')
    .forUpdate()
    .execute();
  const byId = new Map<string, OrderRow>(locked.map((o) => [o.id, o]));
  const notPayable: { id: string; status: OrderStatus; reason?: string }[] = [];
  for (const id of orderIds) {
    const o = byId.get(id)!;
    const status = effectiveStatus(o, now);
    const reason = systemReason(o, now);
    if (status !== 'unpaid') notPayable.push({ id, status, ...(reason ? { reason } : {}) });
  }
  if (notPayable.length) {
    throw new AppError('ORDER_NOT_PAYABLE', `${notPayable.length} of the orders cannot be paid`, {
      orders: notPayable,
    });
  }
  const balance = await tx
    .selectFrom('balances')
    .select(['cash', 'currency'])
    .where('org_id', '=', orgId)
    .forUpdate()
    .executeTakeFirst();
  const cash = balance?.cash ?? 0;
  const total = orderIds.reduce((sum, id) => sum + byId.get(id)!.amount, 0);
  const currency = balance?.currency ?? byId.get(orderIds[0]!)!.currency;
  if (cash < total) {
    throw new AppError('INSUFFICIENT_BALANCE', 'the cash balance is short of the total; top up, then pay', {
      balance: cash,
      amount: total,
      shortfall: total - cash,
      currency,
    });
  }
  const billMonth = monthOf(now, deps.config.billingTimeZone);
  let cashAfter = cash;
  const paid: OrderRow[] = [];
  for (const id of orderIds) {
    const r = await payInOneStatement(tx, {
      orgId,
      orderId: id,
      now,
      payerId: p.id,
      billMonth,
      ledgerTxnId: newId('ltx', now),
      projectIds: null,
      catalog: deps.catalog,
    });
    // Locked and checked above: a refusal here is a broken invariant, and the transaction rolls back.
    if (!r.paid || r.cashAfter === null) throw new Error(`order ${id} could not be paid under its lock`);
    cashAfter = r.cashAfter;
    paid.push({ ...r.before!, status: 'paid', paid_at: now, paid_by: p.id, bill_month: billMonth });
  }
  deps.metrics.orderTransitions.inc({ to: 'paid' }, paid.length);
  return {
    orders: paid.map((o) => presentOrder(o, access, now)),
    total,
    balance: { cash: cashAfter, currency },
  };
}
