import { createHash } from 'node:crypto';
import type { WebhookEventType } from '../../../contract/webhooks.js';
import { actsOn } from '../outbox/consumers.js';

/**
 * Which webhook events (SPEC §9's names) an outbox event is. Most keep their name and payload; some are told
 * under the name a receiver knows (a paid renewal is also `cluster.renewed`, a cluster reaching `expired` is
 * `cluster.expired`), and most outbox events are nobody's webhook (an empty list).
 */
export interface WebhookEvent {
  type: WebhookEventType;
  data: Record<string, unknown>;
}

type Payload = Record<string, unknown>;

const SAME_NAME: ReadonlySet<string> = new Set<WebhookEventType>([
  'order.created',
  'order.paid',
  'order.cancelled',
  'order.timed_out',
  'topup.credited',
  'bill.issued',
  'bill.overdue',
]);

/** Payload fields in minor units: a receiver is told their currency beside them. */
const MONEY_FIELDS = ['amount', 'shortfall', 'cash', 'threshold', 'amountDue'];

export function webhookEventsOf(outboxType: string, payload: Payload, currency: string): WebhookEvent[] {
  const withCurrency = (data: Payload): Payload =>
    MONEY_FIELDS.some((f) => f in data) && !('currency' in data) ? { ...data, currency } : data;
  const out: WebhookEvent[] = [];
  // What this job acts on is declared with the outbox's other consumers: the rest is born delivered.
  if (!actsOn('webhooks', outboxType, payload)) return out;
  if (SAME_NAME.has(outboxType))
    out.push({ type: outboxType as WebhookEventType, data: withCurrency(payload) });
  if (outboxType === 'order.paid' && payload.type === 'renewal') {
    out.push({
      type: 'cluster.renewed',
      data: withCurrency({ clusterId: payload.clusterId, orderId: payload.orderId, amount: payload.amount }),
    });
  }
  if (outboxType === 'cluster.state_changed' && payload.to === 'expired') {
    out.push({ type: 'cluster.expired', data: { clusterId: payload.clusterId } });
  }
  if (outboxType === 'renewal.attempted' && payload.outcome === 'failed') {
    out.push({ type: 'auto_renew.failed', data: withCurrency(payload) });
  }
  if (outboxType === 'alert.cluster_expiring') out.push({ type: 'cluster.expiring', data: payload });
  if (outboxType === 'alert.balance_low') out.push({ type: 'balance.low', data: withCurrency(payload) });
  return out;
}

/**
 * The event's id in webhook bodies: derived from the outbox row and the type, so it is the same on every
 * attempt and for every endpoint, and tells nothing of other orgs (the outbox numbers all orgs' events).
 */
export function webhookEventId(orgId: string, outboxId: number, type: WebhookEventType): string {
  return `evt_${createHash('sha256').update(`${orgId}\n${outboxId}\n${type}`).digest('hex').slice(0, 32)}`;
}

/** The body of every delivery of one event: `{id, type, createdAt, orgId, data}` (SPEC §9), as sent. */
export function webhookBody(e: {
  id: string;
  type: WebhookEventType;
  createdAt: Date;
  orgId: string;
  data: Payload;
}): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    createdAt: e.createdAt.toISOString(),
    orgId: e.orgId,
    data: e.data,
  });
}
