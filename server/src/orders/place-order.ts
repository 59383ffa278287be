import type { OrderType } from '../../../contract/enums.js';
import type { OrderConfig } from '../../../contract/responses.js';
import type { Tx } from '../db/schema.js';
import { emit } from '../outbox/outbox.js';
import { newId } from '../platform/ids.js';
import type { PurchaseQuote, RenewalQuote, UpgradeQuote } from '../pricing/price.js';
import { getOrder, insertHistory, insertOrder, type OrderRow } from './orders.repository.js';

/** What every new order is made of; the caller has checked everything before. */
export interface NewOrder {
  orgId: string;
  projectId: string;
  clusterId: string;
  clusterName: string;
  type: OrderType;
  /** the quote made at this moment (SPEC §3: the order's amount equals it) */
  quote: PurchaseQuote | UpgradeQuote | RenewalQuote;
  config: OrderConfig;
  configBefore: OrderConfig | null;
  /** SPEC §8.1: when the system cancels it if unpaid (an upgrade at expiry, a renewal at recycle) */
  cancelAt: Date | null;
  /** the user, or null: the system (auto-renew) */
  createdBy: string | null;
  ttlHours: number;
  now: Date;
}

/**
 * An unpaid order, with its first history row and its `order.created` event, in the caller's transaction;
 * payable until `createdAt` + the order TTL (SPEC §2).
 */
export async function placeOrder(tx: Tx, o: NewOrder, orderId = newId('ord', o.now)): Promise<OrderRow> {
  const { now } = o;
  await insertOrder(tx, {
    org_id: o.orgId,
    id: orderId,
    project_id: o.projectId,
    cluster_id: o.clusterId,
    cluster_name: o.clusterName,
    type: o.type,
    status: 'unpaid',
    currency: o.quote.currency,
    amount: o.quote.amount,
    list_amount: o.quote.listAmount,
    discount_amount: o.quote.discountAmount,
    config: JSON.stringify(o.config),
    config_before: o.configBefore === null ? null : JSON.stringify(o.configBefore),
    pricing: JSON.stringify(o.quote),
    created_at: now,
    expires_at: new Date(now.getTime() + o.ttlHours * 3_600_000),
    cancel_at: o.cancelAt,
    paid_at: null,
    cancelled_at: null,
    timed_out_at: null,
    created_by: o.createdBy,
    paid_by: null,
    cancelled_by: null,
    bill_month: null,
  });
  await insertHistory(tx, {
    orgId: o.orgId,
    orderId,
    seq: 1,
    from: null,
    to: 'unpaid',
    actorType: o.createdBy === null ? 'system' : 'user',
    actorId: o.createdBy,
    at: now,
    recordedAt: now,
  });
  await emit(tx, {
    orgId: o.orgId,
    type: 'order.created',
    aggregateId: orderId,
    payload: { orderId, type: o.type, clusterId: o.clusterId, by: o.createdBy === null ? 'system' : 'user' },
    now,
  });
  return (await getOrder(tx, o.orgId, orderId))!;
}
