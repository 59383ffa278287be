import type {
  Webhook,
  WebhookDelivery,
  WebhookEventType,
  WebhookWithSecret,
} from '../../../../contract/webhooks.js';
import { del, get, post, qs } from '../../api/client.js';
import type { Page } from '../../api/types.js';

const hooks = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/webhooks`;
const hook = (orgId: string, id: string) => `${hooks(orgId)}/${encodeURIComponent(id)}`;

/**
 * The calls of the Webhook page (SPEC §9, Org Admin). Creating and rotating send no Idempotency-Key: their
 * answers carry the secret, which the server never keeps for a replay; the dialogs block a second click instead.
 */
export const webhooksApi = {
  list: (orgId: string, signal?: AbortSignal) =>
    get<Page<Webhook>>(`${hooks(orgId)}${qs({ limit: 100 })}`, signal),
  create: (orgId: string, body: { url: string; events: WebhookEventType[] }) =>
    post<WebhookWithSecret>(hooks(orgId), body),
  remove: (orgId: string, id: string) => del<{ id: string; deleted: true }>(hook(orgId, id)),
  rotateSecret: (orgId: string, id: string) => post<WebhookWithSecret>(`${hook(orgId, id)}/rotate-secret`),
  deliveries: (orgId: string, id: string, opts: { cursor?: string; limit?: number }, signal?: AbortSignal) =>
    get<Page<WebhookDelivery>>(
      `${hook(orgId, id)}/deliveries${qs({ limit: opts.limit ?? 20, cursor: opts.cursor })}`,
      signal,
    ),
  redeliver: (orgId: string, id: string, deliveryId: string) =>
    post<WebhookDelivery>(`${hook(orgId, id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`),
};
