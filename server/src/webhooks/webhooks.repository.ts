import { sql } from 'kysely';
import { PREPARED } from '../db/prepared.js';
import type {
  Queryable,
  Tx,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookDeliveryStatus,
  WebhookEndpointsTable,
} from '../db/schema.js';
import { inBackoff } from '../isolation/job-failures.repository.js';

/** Webhook endpoints, deliveries and attempts: all of their SQL. */

export const WEBHOOKS_JOB = 'webhooks';

// ——— Endpoints ———

/** Locks the org's row, so that the endpoint limit holds against concurrent registrations. */
export async function lockOrg(tx: Tx, orgId: string): Promise<boolean> {
  const r = await tx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().executeTakeFirst();
  return r !== undefined;
}

export async function countEndpoints(db: Queryable, orgId: string): Promise<number> {
  const r = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertEndpoint(tx: Tx, row: WebhookEndpointsTable): Promise<WebhookEndpointsTable> {
  return tx.insertInto('webhook_endpoints').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findEndpoint(
  db: Queryable,
  orgId: string,
  id: string,
): Promise<WebhookEndpointsTable | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listEndpoints(
  db: Queryable,
  orgId: string,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<WebhookEndpointsTable[]> {
  let q = db.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after.createdAt}::timestamptz, ${after.id})`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function deleteEndpoint(tx: Tx, orgId: string, id: string): Promise<boolean> {
  const r = await tx
    .deleteFrom('webhook_endpoints')
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

export async function setSecret(
  tx: Tx,
  orgId: string,
  id: string,
  secret: string,
  now: Date,
): Promise<WebhookEndpointsTable | undefined> {
  return tx
    .updateTable('webhook_endpoints')
    .set({ secret, secret_rotated_at: now })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

// ——— Fan-out: outbox events into deliveries ———

export interface UnsentEvent {
  org_id: string;
  id: number;
  type: string;
  payload: unknown;
  created_at: Date;
  currency: string;
}

/** Claims outbox events this consumer has not seen (its own progress column, SKIP LOCKED). */
export async function claimUnsentEvents(
  tx: Tx,
  now: Date,
  limit: number,
  orgIds?: string[],
): Promise<UnsentEvent[]> {
  let q = tx
    .selectFrom('outbox_events as e')
    .innerJoin('orgs as o', 'o.id', 'e.org_id')
    .select(['e.org_id', 'e.id', 'e.type', 'e.payload', 'e.created_at', 'o.currency'])
    .where(sql<boolean>`e.webhooked_at is null`)
    .where(sql<boolean>`not ${inBackoff(WEBHOOKS_JOB, 'e.org_id', now)}`);
  if (orgIds) q = q.where('e.org_id', '=', sql<string>`any(${orgIds}::text[])`);
  return q.orderBy('e.id').limit(limit).forUpdate(['e']).skipLocked().modifyEnd(sql.raw(PREPARED)).execute();
}

/** Orgs with events this consumer has not seen (for the per-org retry after a failed batch). */
export async function orgsWithUnsentEvents(db: Queryable, now: Date, limit: number): Promise<string[]> {
  const r = await db
    .selectFrom('outbox_events as e')
    .select('e.org_id')
    .distinct()
    .where(sql<boolean>`e.webhooked_at is null`)
    .where(sql<boolean>`not ${inBackoff(WEBHOOKS_JOB, 'e.org_id', now)}`)
    .orderBy('e.org_id')
    .limit(limit)
    .execute();
  return r.map((x) => x.org_id);
}

export async function endpointsOfOrgs(db: Queryable, orgIds: string[]): Promise<WebhookEndpointsTable[]> {
  if (orgIds.length === 0) return [];
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .execute();
}

type NewDelivery = Omit<WebhookDeliveriesTable, 'attempt_count'>;

/** One delivery per (event, endpoint): a second insert of the same pair is nothing. */
export async function insertDeliveries(tx: Tx, rows: NewDelivery[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await tx
      .insertInto('webhook_deliveries')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['org_id', 'endpoint_id', 'event_id']).doNothing())
      .execute();
  }
}

// ——— Sending ———

export interface DueDelivery {
  org_id: string;
  id: string;
  endpoint_id: string;
  body: string;
  attempt_count: number;
  first_attempt_at: Date | null;
  url: string;
  secret: string;
}

/**
 * Deliveries due now, locked for this transaction (SKIP LOCKED): the caller takes some of them by moving
 * their next attempt a lease ahead (takeDeliveries), which is what other instances then see.
 */
export async function lockDueDeliveries(tx: Tx, now: Date, limit: number): Promise<DueDelivery[]> {
  return tx
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', (j) =>
      j.onRef('w.org_id', '=', 'd.org_id').onRef('w.id', '=', 'd.endpoint_id'),
    )
    .select([
      'd.org_id',
      'd.id',
      'd.endpoint_id',
      'd.body',
      'd.attempt_count',
      'd.first_attempt_at',
      'w.url',
      'w.secret',
    ])
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .orderBy('d.next_attempt_at')
    .orderBy('d.id')
    .limit(limit)
    .forUpdate(['d'])
    .skipLocked()
    .execute();
}

export async function takeDeliveries(tx: Tx, taken: DueDelivery[], leaseUntil: Date): Promise<void> {
  if (taken.length === 0) return;
  await sql`update webhook_deliveries d set next_attempt_at = ${leaseUntil}::timestamptz
    from unnest(${taken.map((d) => d.org_id)}::text[], ${taken.map((d) => d.id)}::text[]) as k(org_id, id)
    where d.org_id = k.org_id and d.id = k.id`.execute(tx);
}

/**
 * Records one attempt and what follows it, if the delivery is still as it was taken (nobody recorded an
 * attempt since, it was not deleted): compare-and-set on the attempt count.
 */
export async function recordAttempt(
  tx: Tx,
  d: { org_id: string; id: string; attempt_count: number },
  a: Omit<WebhookAttemptsTable, 'org_id' | 'delivery_id' | 'n'>,
  next: { status: WebhookDeliveryStatus; nextAttemptAt: Date | null; firstAttemptAt: Date },
  now: Date,
): Promise<boolean> {
  const r = await tx
    .updateTable('webhook_deliveries')
    .set({
      attempt_count: d.attempt_count + 1,
      status: next.status,
      next_attempt_at: next.nextAttemptAt,
      first_attempt_at: next.firstAttemptAt,
      updated_at: now,
    })
    .where('org_id', '=', d.org_id)
    .where('id', '=', d.id)
    .where('status', '=', 'pending')
    .where('attempt_count', '=', d.attempt_count)
    .executeTakeFirst();
  if (r.numUpdatedRows === 0n) return false;
  await tx
    .insertInto('webhook_attempts')
    .values({ org_id: d.org_id, delivery_id: d.id, n: d.attempt_count + 1, ...a })
    .execute();
  return true;
}

// ——— Reading and retrying deliveries ———

export type DeliveryRow = Omit<WebhookDeliveriesTable, 'attempt_count'> & { attempt_count: number };

export async function listDeliveries(
  db: Queryable,
  orgId: string,
  endpointId: string,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<DeliveryRow[]> {
  let q = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('endpoint_id', '=', endpointId);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after.createdAt}::timestamptz, ${after.id})`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export type InternalDeliveryRow = DeliveryRow & { url: string };

export async function listDeliveriesByStatus(
  db: Queryable,
  status: WebhookDeliveryStatus,
  limit: number,
  after?: { updatedAt: Date; id: string },
): Promise<InternalDeliveryRow[]> {
  let q = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', (j) =>
      j.onRef('w.org_id', '=', 'd.org_id').onRef('w.id', '=', 'd.endpoint_id'),
    )
    .selectAll('d')
    .select('w.url')
    .where('d.status', '=', status);
  if (after) q = q.where(sql<boolean>`(d.updated_at, d.id) < (${after.updatedAt}::timestamptz, ${after.id})`);
  return q.orderBy('d.updated_at', 'desc').orderBy('d.id', 'desc').limit(limit).execute();
}

export async function attemptsOf(
  db: Queryable,
  deliveries: { org_id: string; id: string }[],
): Promise<Map<string, WebhookAttemptsTable[]>> {
  const out = new Map<string, WebhookAttemptsTable[]>();
  if (deliveries.length === 0) return out;
  const rows = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where(
      sql<boolean>`(org_id, delivery_id) in (select * from unnest(${deliveries.map((d) => d.org_id)}::text[],
        ${deliveries.map((d) => d.id)}::text[]))`,
    )
    .orderBy('n')
    .execute();
  for (const r of rows) {
    const key = `${r.org_id}/${r.delivery_id}`;
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}

/**
 * Sends a delivery again from now: pending, due at once, with a new retry window (redeliver, the operator's
 * retry). Its attempts so far stay in its log. `where` narrows which delivery (org and endpoint, or none).
 */
export async function restartDelivery(
  tx: Tx,
  where: { orgId?: string; endpointId?: string; id: string },
  now: Date,
): Promise<DeliveryRow | undefined> {
  let q = tx
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, first_attempt_at: null, updated_at: now })
    .where('id', '=', where.id);
  if (where.orgId !== undefined) q = q.where('org_id', '=', where.orgId);
  if (where.endpointId !== undefined) q = q.where('endpoint_id', '=', where.endpointId);
  return q.returningAll().executeTakeFirst();
}

/** Pending and failed deliveries, for /metrics (SPEC §9: visible to the operator). */
export async function deliveryGauges(db: Queryable): Promise<{ pending: number; failed: number }> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['pending', 'failed'])
    .groupBy('status')
    .execute();
  const out = { pending: 0, failed: 0 };
  for (const r of rows) out[r.status as 'pending' | 'failed'] = Number(r.n);
  return out;
}
