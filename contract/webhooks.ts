import { z } from 'zod';

/**
 * Webhooks (SPEC §9): the request bodies and the response schemas of the webhook routes, by "METHOD url";
 * contract/responses.ts merges the responses into responseOf. (This file imports nothing from
 * responses.ts, which imports it.)
 */

/** The event types an endpoint may subscribe to (SPEC §9), in the SPEC's order. */
export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.cancelled',
  'order.timed_out',
  'topup.credited',
  'bill.issued',
  'bill.overdue',
  'cluster.expiring',
  'cluster.expired',
  'cluster.renewed',
  'auto_renew.failed',
  'balance.low',
] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export const WebhookDeliveryStatus = z.enum(WEBHOOK_DELIVERY_STATUSES);
export type WebhookDeliveryStatus = z.infer<typeof WebhookDeliveryStatus>;

/** How many endpoints one org may register. */
export const WEBHOOK_ENDPOINTS_PER_ORG = 10;

// ——— Requests ———

/**
 * POST /v1/orgs/{orgId}/webhooks. The URL's scheme and address are checked by the server (https and a public
 * address unless the operator allows others); the schema checks only its shape.
 */
export const CreateWebhookBody = z.strictObject({
  url: z.string().trim().min(1).max(2048),
  events: z
    .array(WebhookEventType)
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .refine((a) => new Set(a).size === a.length, 'each event type at most once'),
});
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

const Limit = z.coerce.number().int().min(1).max(100).default(20);
const Cursor = z.string().max(200).optional();

/** GET /v1/internal/webhook-deliveries */
export const InternalWebhookDeliveriesQuery = z.strictObject({
  status: WebhookDeliveryStatus.default('failed'),
  limit: Limit,
  cursor: Cursor,
});

// ——— Responses ———

const Instant = z.iso.datetime();
const Id = z.string().min(1);
function Page<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** An endpoint as listed: never its secret. */
export const Webhook = z.strictObject({
  id: Id,
  url: z.string(),
  events: z.array(WebhookEventType),
  createdAt: Instant,
  secretRotatedAt: Instant.nullable(),
});
export type Webhook = z.infer<typeof Webhook>;
/** POST .../webhooks (201) and POST .../rotate-secret: the signing secret, answered this once. */
export const WebhookWithSecret = Webhook.extend({ secret: z.string().min(1) });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;
export const WebhookDeleted = z.strictObject({ id: Id, deleted: z.literal(true) });

export const WebhookAttempt = z.strictObject({
  at: Instant,
  /** the receiver's HTTP status, or null when none came (timeout, refused connection, refused address) */
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int().nonnegative(),
});
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

export const WebhookDelivery = z.strictObject({
  id: Id,
  /** the event's id: the `id` of the body, the same on every attempt */
  eventId: z.string(),
  type: WebhookEventType,
  status: WebhookDeliveryStatus,
  /** oldest first */
  attempts: z.array(WebhookAttempt),
  /** when the next attempt is due (pending only) */
  nextAttemptAt: Instant.nullable(),
  createdAt: Instant,
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** The operator's view: which org and endpoint a delivery is for. */
export const InternalWebhookDelivery = WebhookDelivery.extend({
  orgId: Id,
  webhookId: Id,
  url: z.string(),
});
export type InternalWebhookDelivery = z.infer<typeof InternalWebhookDelivery>;

export const webhookResponses = {
  'GET /v1/orgs/:orgId/webhooks': Page(Webhook),
  'POST /v1/orgs/:orgId/webhooks': WebhookWithSecret,
  'DELETE /v1/orgs/:orgId/webhooks/:webhookId': WebhookDeleted,
  'POST /v1/orgs/:orgId/webhooks/:webhookId/rotate-secret': WebhookWithSecret,
  'GET /v1/orgs/:orgId/webhooks/:webhookId/deliveries': Page(WebhookDelivery),
  'POST /v1/orgs/:orgId/webhooks/:webhookId/deliveries/:deliveryId/redeliver': WebhookDelivery,
  'GET /v1/internal/webhook-deliveries': Page(InternalWebhookDelivery),
  'POST /v1/internal/webhook-deliveries/:deliveryId/retry': InternalWebhookDelivery,
} satisfies Record<string, z.ZodType>;
