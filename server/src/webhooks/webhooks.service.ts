import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import {
  type CreateWebhookBody,
  type InternalWebhookDeliveriesQuery,
  type InternalWebhookDelivery,
  WEBHOOK_ENDPOINTS_PER_ORG,
  type Webhook,
  type WebhookDelivery,
  WebhookEventType,
  type WebhookWithSecret,
} from '../../../contract/webhooks.js';
import { authorizeOrg } from '../access/policy.js';
import type { Config } from '../config.js';
import type { Queryable, Tx, WebhookAttemptsTable, WebhookEndpointsTable } from '../db/schema.js';
import type { UserPrincipal } from '../http/principal.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { decodeCursor, decodeTimeCursor, type Page, pageOf, timeCursorOf } from '../platform/pagination.js';
import { addressProblem, hostOf, urlProblem } from './webhook-address.js';
import {
  attemptsOf,
  countEndpoints,
  type DeliveryRow,
  deleteEndpoint,
  findEndpoint,
  type InternalDeliveryRow,
  insertEndpoint,
  listDeliveries,
  listDeliveriesByStatus,
  listEndpoints,
  lockOrg,
  restartDelivery,
  setSecret,
} from './webhooks.repository.js';

/** Webhook endpoints are the Org Admin's alone (SPEC §9): another org is 404, a lesser role 403. */
function requireOrgAdmin(p: UserPrincipal, orgId: string): void {
  authorizeOrg(p, orgId, 'webhook.manage');
}

function refuseUrl(message: string): AppError {
  return new AppError('VALIDATION_FAILED', `url: ${message}`, {
    in: 'body',
    issues: [{ field: 'url', message }],
  });
}

/**
 * A new endpoint's URL: https and a public address, unless the operator allows others
 * (TALLY_WEBHOOK_ALLOW_PRIVATE). It may resolve a name, so the route runs it before its transaction (precheck),
 * after the same authorization as createWebhook.
 */
export async function checkWebhookUrl(
  config: Config,
  principal: UserPrincipal,
  orgId: string,
  raw: string,
): Promise<void> {
  requireOrgAdmin(principal, orgId);
  await checkUrl(config, raw);
}

async function checkUrl(config: Config, raw: string): Promise<void> {
  const problem = urlProblem(raw, config.webhookAllowPrivate);
  if (problem) throw refuseUrl(problem);
  if (config.webhookAllowPrivate) return;
  const address = await addressProblem(hostOf(new URL(raw)));
  if (address) throw refuseUrl(address);
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

function present(w: WebhookEndpointsTable): Webhook {
  return {
    id: w.id,
    url: w.url,
    events: w.events.map((e) => WebhookEventType.parse(e)),
    createdAt: w.created_at.toISOString(),
    secretRotatedAt: w.secret_rotated_at?.toISOString() ?? null,
  };
}

async function requireEndpoint(db: Queryable, orgId: string, id: string): Promise<WebhookEndpointsTable> {
  const w = await findEndpoint(db, orgId, id);
  if (!w) throw new AppError('NOT_FOUND', 'webhook not found');
  return w;
}

export async function createWebhook(
  tx: Tx,
  principal: UserPrincipal,
  orgId: string,
  body: CreateWebhookBody,
  now: Date,
): Promise<WebhookWithSecret> {
  requireOrgAdmin(principal, orgId);
  if (!(await lockOrg(tx, orgId))) throw new AppError('NOT_FOUND', 'organization not found');
  if ((await countEndpoints(tx, orgId)) >= WEBHOOK_ENDPOINTS_PER_ORG) {
    throw new AppError('VALIDATION_FAILED', `an org may have at most ${WEBHOOK_ENDPOINTS_PER_ORG} webhooks`, {
      in: 'body',
      issues: [
        { field: 'url', message: `at most ${WEBHOOK_ENDPOINTS_PER_ORG} webhooks per org; delete one first` },
      ],
      limit: WEBHOOK_ENDPOINTS_PER_ORG,
    });
  }
  const w = await insertEndpoint(tx, {
    org_id: orgId,
    id: newId('wh', now),
    url: body.url,
    events: body.events,
    secret: newSecret(),
    created_by: principal.id,
    created_at: now,
    secret_rotated_at: null,
  });
  return { ...present(w), secret: w.secret };
}

export async function listWebhooks(
  db: Queryable,
  principal: UserPrincipal,
  orgId: string,
  query: { limit: number; cursor?: string },
): Promise<Page<Webhook>> {
  requireOrgAdmin(principal, orgId);
  const rows = await listEndpoints(db, orgId, query.limit + 1, decodeTimeCursor(query.cursor));
  return pageOf(rows, query.limit, present, timeCursorOf);
}

export async function removeWebhook(tx: Tx, principal: UserPrincipal, orgId: string, id: string) {
  requireOrgAdmin(principal, orgId);
  if (!(await deleteEndpoint(tx, orgId, id))) throw new AppError('NOT_FOUND', 'webhook not found');
  return { id, deleted: true as const };
}

/** A new secret at once: the old one signs nothing from now on. */
export async function rotateWebhookSecret(
  tx: Tx,
  principal: UserPrincipal,
  orgId: string,
  id: string,
  now: Date,
): Promise<WebhookWithSecret> {
  requireOrgAdmin(principal, orgId);
  const w = await setSecret(tx, orgId, id, newSecret(), now);
  if (!w) throw new AppError('NOT_FOUND', 'webhook not found');
  return { ...present(w), secret: w.secret };
}

function presentDelivery(d: DeliveryRow, attempts: WebhookAttemptsTable[]): WebhookDelivery {
  return {
    id: d.id,
    eventId: d.event_id,
    type: WebhookEventType.parse(d.event_type),
    status: d.status,
    attempts: attempts.map((a) => ({
      at: a.at.toISOString(),
      statusCode: a.status_code,
      error: a.error,
      durationMs: a.duration_ms,
    })),
    nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
    createdAt: d.created_at.toISOString(),
  };
}

async function presentDeliveries<R extends DeliveryRow, T>(
  db: Queryable,
  rows: R[],
  limit: number,
  present: (r: R, attempts: WebhookAttemptsTable[]) => T,
  cursorOf: (r: R) => (string | number)[],
): Promise<Page<T>> {
  const page = rows.slice(0, limit);
  const attempts = await attemptsOf(db, page);
  return pageOf(rows, limit, (r) => present(r, attempts.get(`${r.org_id}/${r.id}`) ?? []), cursorOf);
}

export async function listWebhookDeliveries(
  db: Queryable,
  principal: UserPrincipal,
  orgId: string,
  webhookId: string,
  query: { limit: number; cursor?: string },
): Promise<Page<WebhookDelivery>> {
  requireOrgAdmin(principal, orgId);
  await requireEndpoint(db, orgId, webhookId);
  const rows = await listDeliveries(db, orgId, webhookId, query.limit + 1, decodeTimeCursor(query.cursor));
  return presentDeliveries(db, rows, query.limit, presentDelivery, timeCursorOf);
}

/** Redeliver: pending again and due now, sent by the webhook job (never in this request). */
export async function redeliver(
  tx: Tx,
  principal: UserPrincipal,
  orgId: string,
  webhookId: string,
  deliveryId: string,
  now: Date,
): Promise<WebhookDelivery> {
  requireOrgAdmin(principal, orgId);
  const d = await restartDelivery(tx, { orgId, endpointId: webhookId, id: deliveryId }, now);
  if (!d) throw new AppError('NOT_FOUND', 'delivery not found');
  const attempts = await attemptsOf(tx, [d]);
  return presentDelivery(d, attempts.get(`${d.org_id}/${d.id}`) ?? []);
}

function presentInternal(d: InternalDeliveryRow, attempts: WebhookAttemptsTable[]): InternalWebhookDelivery {
  return { ...presentDelivery(d, attempts), orgId: d.org_id, webhookId: d.endpoint_id, url: d.url };
}

/** The operator's list of deliveries by status (failed ones by default), most recently changed first. */
export async function listDeliveriesForOperator(
  db: Queryable,
  query: z.infer<typeof InternalWebhookDeliveriesQuery>,
): Promise<Page<InternalWebhookDelivery>> {
  let after: { updatedAt: Date; id: string } | undefined;
  if (query.cursor) {
    const [at, id] = decodeCursor<[string, string]>(query.cursor, ['date', 'string']);
    after = { updatedAt: new Date(at), id };
  }
  const rows = await listDeliveriesByStatus(db, query.status, query.limit + 1, after);
  return presentDeliveries(db, rows, query.limit, presentInternal, (r) => [r.updated_at.toISOString(), r.id]);
}

/** The operator sends a delivery again, with a new retry window. */
export async function retryDeliveryForOperator(
  tx: Tx,
  deliveryId: string,
  now: Date,
): Promise<InternalWebhookDelivery> {
  const d = await restartDelivery(tx, { id: deliveryId }, now);
  if (!d) throw new AppError('NOT_FOUND', 'delivery not found');
  const w = await requireEndpoint(tx, d.org_id, d.endpoint_id);
  const attempts = await attemptsOf(tx, [d]);
  return presentInternal({ ...d, url: w.url }, attempts.get(`${d.org_id}/${d.id}`) ?? []);
}
