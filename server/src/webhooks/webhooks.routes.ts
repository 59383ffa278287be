import { z } from 'zod';
import { EmptyBody, ListQuery } from '../../../contract/api.js';
import { CreateWebhookBody, InternalWebhookDeliveriesQuery } from '../../../contract/webhooks.js';
import { defineRoute, Id, type RouteSpec } from '../http/route.js';
import {
  checkWebhookUrl,
  createWebhook,
  listDeliveriesForOperator,
  listWebhookDeliveries,
  listWebhooks,
  redeliver,
  removeWebhook,
  retryDeliveryForOperator,
  rotateWebhookSecret,
} from './webhooks.service.js';

const OrgParams = z.object({ orgId: Id });
const WebhookParams = z.object({ orgId: Id, webhookId: Id });
const DeliveryParams = z.object({ orgId: Id, webhookId: Id, deliveryId: Id });

/** Webhook endpoints and their deliveries (SPEC §9): Org Admin only; the operator sees failed deliveries. */
export const webhookRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/webhooks',
    summary: "The org's webhook endpoints, newest first (never their secrets)",
    tags: ['webhooks'],
    auth: 'user',
    params: OrgParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query }) => ({
      body: await listWebhooks(deps.db, principal, params.orgId, query),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/webhooks',
    summary:
      'Register a webhook endpoint {url, events} (Org Admin): https to a public address; the signing secret is answered this once',
    tags: ['webhooks'],
    // Never stored for an Idempotency-Key replay: a replay is 409 IDEMPOTENT_REPLAY_UNAVAILABLE.
    secretAnswer: true,
    auth: 'user',
    params: OrgParams,
    body: CreateWebhookBody,
    successStatus: 201,
    // The URL's name is resolved before the transaction: no connection waits on DNS.
    precheck: ({ deps, principal, params, body }) =>
      checkWebhookUrl(deps.config, principal, params.orgId, body.url),
    handler: async ({ principal, params, body, now }, tx) => ({
      status: 201,
      body: await createWebhook(tx, principal, params.orgId, body, now),
    }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/orgs/:orgId/webhooks/:webhookId',
    summary: 'Delete a webhook endpoint (Org Admin), with its deliveries: nothing more is sent to it',
    tags: ['webhooks'],
    auth: 'user',
    params: WebhookParams,
    handler: async ({ principal, params }, tx) => ({
      body: await removeWebhook(tx, principal, params.orgId, params.webhookId),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/webhooks/:webhookId/rotate-secret',
    summary:
      'A new signing secret (Org Admin), answered this once; every attempt from now on is signed with it',
    tags: ['webhooks'],
    secretAnswer: true,
    auth: 'user',
    params: WebhookParams,
    body: EmptyBody,
    handler: async ({ principal, params, now }, tx) => ({
      body: await rotateWebhookSecret(tx, principal, params.orgId, params.webhookId, now),
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/webhooks/:webhookId/deliveries',
    summary: "The endpoint's delivery log, newest first: status, attempts with response codes, next attempt",
    tags: ['webhooks'],
    auth: 'user',
    params: WebhookParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query }) => ({
      body: await listWebhookDeliveries(deps.db, principal, params.orgId, params.webhookId, query),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
    summary:
      'Send a delivery again, succeeded or not (Org Admin): pending and due now, with a new 3-day retry window',
    tags: ['webhooks'],
    auth: 'user',
    params: DeliveryParams,
    body: EmptyBody,
    handler: async ({ deps, principal, params, now }, tx) => {
      const body = await redeliver(tx, principal, params.orgId, params.webhookId, params.deliveryId, now);
      deps.kick('webhooks');
      return { body };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/internal/webhook-deliveries',
    summary: 'Webhook deliveries of every org by status (failed by default), most recently changed first',
    tags: ['internal'],
    auth: 'operator',
    query: InternalWebhookDeliveriesQuery,
    handler: async ({ deps, query }) => ({ body: await listDeliveriesForOperator(deps.db, query) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/webhook-deliveries/:deliveryId/retry',
    summary:
      'Send a delivery again (failed ones above all): pending and due now, with a new 3-day retry window',
    tags: ['internal'],
    auth: 'operator',
    params: z.object({ deliveryId: Id }),
    body: EmptyBody,
    handler: async ({ params, now }, tx) => ({
      body: await retryDeliveryForOperator(tx, params.deliveryId, now),
    }),
  }),
];
