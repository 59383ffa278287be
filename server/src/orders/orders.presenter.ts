import type { Selectable } from 'kysely';
import { Currency } from '../../../contract/enums.js';
import type { Order, OrderConfig, OrderHistoryEntry, OrderPricing } from '../../../contract/responses.js';
import { canProject } from '../access/policy.js';
import type { OrderHistoryTable } from '../db/schema.js';
import type { OrgAccess } from '../http/principal.js';
import { effectiveStatus, systemEnd } from './order-states.js';
import type { OrderRow } from './orders.repository.js';

/** The buttons the console shows: what this caller may do to this order now. */
export function availableActions(
  o: OrderRow,
  access: OrgAccess,
  now: Date,
): ('pay' | 'cancel' | 'download')[] {
  const actions: ('pay' | 'cancel' | 'download')[] = [];
  const unpaid = effectiveStatus(o, now) === 'unpaid';
  if (unpaid && canProject(access, o.project_id, 'order.pay')) actions.push('pay');
  if (unpaid && canProject(access, o.project_id, 'order.cancel')) actions.push('cancel');
  if (canProject(access, o.project_id, 'order.download')) actions.push('download');
  return actions;
}

export function presentOrder(o: OrderRow, access: OrgAccess | null, now: Date): Order {
  const status = effectiveStatus(o, now);
  const end = systemEnd(o);
  // Ended by the system but not yet swept: it ended at that instant already.
  const endedUnswept = o.status === 'unpaid' && status !== 'unpaid';
  return {
    id: o.id,
    orgId: o.org_id,
    projectId: o.project_id,
    clusterId: o.cluster_id,
    clusterName: o.cluster_name,
    type: o.type,
    status,
    currency: Currency.parse(o.currency),
    amount: o.amount,
    listAmount: o.list_amount,
    discountAmount: o.discount_amount,
    // JSON columns: written from these very types when the order was created (create-cluster, upgrade-cluster)
    config: o.config as OrderConfig,
    configBefore: o.config_before as OrderConfig | null,
    pricing: o.pricing as OrderPricing,
    createdAt: o.created_at.toISOString(),
    expiresAt: o.expires_at.toISOString(),
    cancelsAt: end.to === 'cancelled' ? end.at.toISOString() : null,
    paidAt: o.paid_at?.toISOString() ?? null,
    cancelledAt:
      (o.cancelled_at ?? (endedUnswept && end.to === 'cancelled' ? end.at : null))?.toISOString() ?? null,
    timedOutAt:
      (o.timed_out_at ?? (endedUnswept && end.to === 'timed_out' ? end.at : null))?.toISOString() ?? null,
    createdBy: o.created_by,
    paidBy: o.paid_by,
    cancelledBy: o.cancelled_by,
    billMonth: o.bill_month,
    availableActions: access ? availableActions(o, access, now) : [],
  };
}

export function presentHistory(
  rows: (Selectable<OrderHistoryTable> & { actor_email: string | null })[],
  o: OrderRow,
  now: Date,
): OrderHistoryEntry[] {
  const history: OrderHistoryEntry[] = rows.map((h) => ({
    from: h.from_status,
    to: h.to_status,
    at: h.at.toISOString(),
    by: { type: h.actor_type, id: h.actor_id, email: h.actor_email },
    reason: h.reason,
  }));
  // The system's end has come and the sweeper has not written it yet: the history says so already.
  if (o.status === 'unpaid' && effectiveStatus(o, now) !== 'unpaid') {
    const end = systemEnd(o);
    history.push({
      from: 'unpaid',
      to: end.to,
      at: end.at.toISOString(),
      by: { type: 'system', id: null, email: null },
      reason: end.reason,
    });
  }
  return history;
}
