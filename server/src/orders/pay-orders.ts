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
import { payBatchStatement } from './pay.repository.js';

/**
 * 合并支付 (SPEC §10.1): 1–30 unpaid orders at once, all or nothing, with one `paidAt`; each order gets its own
 * ledger transaction, history and event exactly as if paid alone, all written by one statement
 * (payBatchStatement, as for a batch of payments) with one debit of the total. Every order is authorized
 * before anything is locked (404 / 403 as for one). The orders are then locked in id order (two merged payments that share orders cannot deadlock), then the balance: a
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
  // Every order paid by one statement (as a batch of payments is), with one debit of the total; a cluster
  // changes once per statement, so orders of one cluster (none today: one unpaid change per cluster) take turns.
  const rounds: string[][] = [];
  for (const id of orderIds) {
    const cluster = byId.get(id)!.cluster_id;
    let round = rounds.find((r) => !r.some((x) => byId.get(x)!.cluster_id === cluster));
    if (!round) {
      round = [];
      rounds.push(round);
    }
    round.push(id);
  }
  for (const ids of rounds) {
    const done = await payBatchStatement(tx, {
      now,
      billMonth,
      catalog: deps.catalog,
      payments: ids.map((id) => ({ orgId, orderId: id, payerId: p.id, ledgerTxnId: newId('ltx', now) })),
      debits: [{ orgId, amount: ids.reduce((sum, id) => sum + byId.get(id)!.amount, 0) }],
    });
    // Locked and checked above: a refusal here is a broken invariant, and the transaction rolls back.
    if (done.paid !== ids.length || done.debited !== 1) {
      throw new Error(`${done.paid} of ${ids.length} orders could be paid under their locks`);
    }
  }
  const cashAfter = cash - total;
  const paid: OrderRow[] = orderIds.map((id) => ({
    ...byId.get(id)!,
    status: 'paid',
    paid_at: now,
    paid_by: p.id,
    bill_month: billMonth,
  }));
  deps.metrics.orderTransitions.inc({ to: 'paid' }, paid.length);
  return {
    orders: paid.map((o) => presentOrder(o, access, now)),
    total,
    balance: { cash: cashAfter, currency },
  };
}
