import type { WebhookEventType } from '../../../../contract/webhooks.js';

/**
 * The event types in the SPEC's order, as a Record over the contract's type so that a new type fails the type
 * check until the console offers it (its words are in i18n/parts/notifications.ts). The console keeps this copy
 * rather than importing the contract's values, which would bring its schema library into the bundle; a unit
 * test compares the two.
 */
const EVENT_ORDER = {
  'order.created': 0,
  'order.paid': 1,
  'order.cancelled': 2,
  'order.timed_out': 3,
  'topup.credited': 4,
  'bill.issued': 5,
  'bill.overdue': 6,
  'cluster.expiring': 7,
  'cluster.expired': 8,
  'cluster.renewed': 9,
  'auto_renew.failed': 10,
  'balance.low': 11,
} as const satisfies Record<WebhookEventType, number>;

export const EVENT_TYPES = (Object.keys(EVENT_ORDER) as WebhookEventType[]).sort(
  (a, b) => EVENT_ORDER[a] - EVENT_ORDER[b],
);

/** How many endpoints one org may have (WEBHOOK_ENDPOINTS_PER_ORG in the contract; the unit test compares). */
export const ENDPOINTS_PER_ORG = 10;
