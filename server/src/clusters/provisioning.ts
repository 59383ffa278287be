import { sql } from 'kysely';
import { PREPARED } from '../db/prepared.js';
import type { Db, Tx } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, inBackoff } from '../isolation/job-failures.repository.js';
import { emitSql } from '../outbox/outbox.js';

export const OUTBOX_JOB = 'outbox';
export const PROVISIONING_JOB = 'provisioning';

/**
 * Provisioning, driven by the transactional outbox. A paid order's event (written in the payment's
 * transaction) is claimed here with SKIP LOCKED and handled in the claiming transaction, so each event
 * moves its cluster exactly once however many instances run:
 *   new purchase: pending_payment → creating, ready after TALLY_PROVISION_SECONDS, then → running;
 *   upgrade:      the payment made it upgrading (to the new size); here its readiness starts, then → running
 *                 with the new size;
 *   renewal:      nothing here (the payment itself moved the term end).
 *
 * One org's bad event never stops the others' (SPEC §11): a batch that fails is retried org by org (bisected),
 * the failing org is recorded in job_failures and its events are left alone until its backoff ends.
 */
export async function processOutbox(
  db: Db,
  now: Date,
  provisionSeconds: number,
  batch = 200,
): Promise<number> {
  try {
    return await db.transaction().execute((tx) => processOutboxBatch(tx, now, provisionSeconds, batch));
  } catch {
    const orgs = await db
      .selectFrom('outbox_events')
      .select('org_id')
      .distinct()
      .where('processed_at', 'is', null)
      .where(sql<boolean>`not ${inBackoff(OUTBOX_JOB, 'outbox_events.org_id', now)}`)
      .orderBy('org_id')
      .limit(batch)
      .execute();
    const r = await isolateOrgs(
      db,
      { name: OUTBOX_JOB, now },
      orgs.map((o) => o.org_id),
      async (ids) => [
        await db.transaction().execute((tx) => processOutboxBatch(tx, now, provisionSeconds, batch, ids)),
      ],
    );
    return r.results.reduce((a, b) => a + b, 0);
  }
}

async function processOutboxBatch(
  tx: Tx,
  now: Date,
  provisionSeconds: number,
  batch: number,
  orgIds?: string[],
): Promise<number> {
  let q = tx
    .selectFrom('outbox_events')
    .select(['org_id', 'id', 'type', 'payload'])
    .where('processed_at', 'is', null)
    .where(sql<boolean>`not ${inBackoff(OUTBOX_JOB, 'outbox_events.org_id', now)}`);
  if (orgIds) q = q.where('org_id', '=', sql<string>`any(${orgIds}::text[])`);
  const events = await q
    .orderBy('id')
    .limit(batch)
    .forUpdate()
    .skipLocked()
    .modifyEnd(sql.raw(PREPARED))
    .execute();
  if (events.length === 0) return 0;
  const paid = events.flatMap((e) =>
    e.type === 'order.paid' ? [{ orgId: e.org_id, ...(e.payload as PaidPayload) }] : [],
  );
  if (paid.length) await startProvisioning(tx, paid, now, provisionSeconds);
  await sql`update outbox_events e set processed_at = ${now}::timestamptz
    from unnest(${events.map((e) => e.org_id)}::text[], ${events.map((e) => String(e.id))}::bigint[]) as k(org_id, id)
    where e.org_id = k.org_id and e.id = k.id ${sql.raw(PREPARED)}`.execute(tx);
  await clearJobFailures(tx, OUTBOX_JOB, [...new Set(events.map((e) => e.org_id))]);
  return events.length;
}

interface PaidPayload {
  orderId: string;
  type: 'new_purchase' | 'upgrade' | 'renewal';
  clusterId: string;
  config: { cuSize: number; replicas: number };
}

/**
 * What the paid orders of a batch start, in one statement: a new purchase's cluster pending_payment → creating,
 * ready after the provisioning delay; an upgrade's cluster (the payment made it upgrading, to the size paid
 * for) gets its readiness now. Each a compare-and-set, each with its `cluster.state_changed` event. A renewal
 * changes only the term, in the payment's own statement (payInOneStatement).
 */
async function startProvisioning(
  tx: Tx,
  paid: (PaidPayload & { orgId: string })[],
  now: Date,
  provisionSeconds: number,
) {
  const readyAt = new Date(now.getTime() + provisionSeconds * 1000);
  const event = emitSql({
    source: 'changed',
    type: 'cluster.state_changed',
    orgId: sql.ref('changed.org_id'),
    aggregateId: sql.ref('changed.id'),
    payload: sql`jsonb_build_object('clusterId', changed.id, 'from', changed.from_state, 'to', changed.to_state,
      'orderId', changed.order_id)`,
    now,
  });
  await sql`
    with paid as (
      select * from unnest(${paid.map((p) => p.orgId)}::text[], ${paid.map((p) => p.clusterId)}::text[],
        ${paid.map((p) => p.orderId)}::text[], ${paid.map((p) => p.type)}::text[]) as paid(org_id, cluster_id, order_id, type)
    ), created as (
      update clusters c set state = 'creating', ready_at = ${readyAt}::timestamptz, updated_at = ${now}::timestamptz
      from paid where paid.type = 'new_purchase' and c.org_id = paid.org_id and c.id = paid.cluster_id
        and c.state = 'pending_payment'
      returning c.org_id, c.id, paid.order_id
    ), upgrading as (
      update clusters c set ready_at = ${readyAt}::timestamptz, updated_at = ${now}::timestamptz
      from paid where paid.type = 'upgrade' and c.org_id = paid.org_id and c.id = paid.cluster_id
        and c.state = 'upgrading' and c.ready_at is null
      returning c.org_id, c.id, paid.order_id
    ), changed as (
      select org_id, id, order_id, 'pending_payment' as from_state, 'creating' as to_state from created
      union all
      select org_id, id, order_id, 'running', 'upgrading' from upgrading
    )
    ${event} ${sql.raw(PREPARED)}`.execute(tx);
}

/**
 * Finishes provisioning whose time has come: creating/upgrading → running, each a compare-and-set. Isolated per
 * org as processOutbox is.
 */
export async function completeProvisioning(db: Db, now: Date, batch = 500): Promise<number> {
  try {
    return await db.transaction().execute((tx) => completeProvisioningBatch(tx, now, batch));
  } catch {
    const orgs = await db
      .selectFrom('clusters')
      .select('org_id')
      .distinct()
      .where('state', 'in', ['creating', 'upgrading'])
      .where('ready_at', '<=', now)
      .where(sql<boolean>`not ${inBackoff(PROVISIONING_JOB, 'clusters.org_id', now)}`)
      .orderBy('org_id')
      .limit(batch)
      .execute();
    const r = await isolateOrgs(
      db,
      { name: PROVISIONING_JOB, now },
      orgs.map((o) => o.org_id),
      async (ids) => [await db.transaction().execute((tx) => completeProvisioningBatch(tx, now, batch, ids))],
    );
    return r.results.reduce((a, b) => a + b, 0);
  }
}

async function completeProvisioningBatch(
  tx: Tx,
  now: Date,
  batch: number,
  orgIds?: string[],
): Promise<number> {
  const scope = orgIds ? sql`and org_id = any(${orgIds}::text[])` : sql``;
  const event = emitSql({
    source: 'done',
    type: 'cluster.state_changed',
    orgId: sql.ref('done.org_id'),
    aggregateId: sql.ref('done.id'),
    payload: sql`jsonb_build_object('clusterId', done.id, 'from', done.from_state, 'to', 'running')`,
    now,
  });
  // Each due cluster, locked, → running (an upgrade's with the size it was upgrading to), with its event.
  const r = await sql<{ due: number; org_ids: string[] | null }>`
    with due as (
      select org_id, id, state from clusters
      where state in ('creating', 'upgrading') and ready_at <= ${now}::timestamptz ${scope}
        and not ${inBackoff(PROVISIONING_JOB, 'clusters.org_id', now)}
      order by ready_at limit ${batch}
      for update skip locked
    ), done as (
      update clusters c set state = 'running', ready_at = null,
        cu_size = case when due.state = 'upgrading' then c.target_cu_size else c.cu_size end,
        replicas = case when due.state = 'upgrading' then c.target_replicas else c.replicas end,
        target_cu_size = case when due.state = 'upgrading' then null else c.target_cu_size end,
        target_replicas = case when due.state = 'upgrading' then null else c.target_replicas end,
        updated_at = ${now}::timestamptz
      from due where c.org_id = due.org_id and c.id = due.id and c.state = due.state
      returning c.org_id, c.id, due.state as from_state
    ), ev as (
      ${event}
    )
    select (select count(*) from due)::int as due, (select array_agg(distinct org_id) from due) as org_ids
    ${sql.raw(PREPARED)}`.execute(tx);
  const row = r.rows[0];
  await clearJobFailures(tx, PROVISIONING_JOB, row?.org_ids ?? []);
  return row?.due ?? 0;
}
