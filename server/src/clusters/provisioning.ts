import { sql } from 'kysely';
import { PREPARED } from '../db/prepared.js';
import type { Db, Queryable } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailuresSql, inBackoff } from '../isolation/job-failures.repository.js';
import { markConsumedSql } from '../outbox/consumers.js';
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
  batch = 1_000,
): Promise<number> {
  try {
    return await processOutboxBatch(db, now, provisionSeconds, batch);
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
      async (ids) => [await processOutboxBatch(db, now, provisionSeconds, batch, ids)],
    );
    return r.results.reduce((a, b) => a + b, 0);
  }
}

/**
 * One batch of the outbox, in one statement (its own transaction): the events claimed with SKIP LOCKED, what
 * their paid orders start, each event marked processed, and the batch's orgs' failures of this job cleared.
 */
async function processOutboxBatch(
  db: Queryable,
  now: Date,
  provisionSeconds: number,
  batch: number,
  orgIds?: string[],
): Promise<number> {
  const scope = orgIds ? sql`and org_id = any(${orgIds}::text[])` : sql``;
  const r = await sql<{ n: number }>`
    with claimed as (
      select org_id, id, type, payload from outbox_events
      where processed_at is null ${scope} and not ${inBackoff(OUTBOX_JOB, 'outbox_events.org_id', now)}
      order by id limit ${batch}
      for update skip locked
    ), paid as (
      select org_id, payload->>'clusterId' as cluster_id, payload->>'orderId' as order_id, payload->>'type' as type
      from claimed where type = 'order.paid'
    ), ${startProvisioningSql(now, provisionSeconds)}, marked as (
      ${markConsumedSql('outbox', 'claimed', now)}
    ), cleared as (
      ${clearJobFailuresSql(OUTBOX_JOB, 'claimed')}
    )
    select count(*)::int as n from claimed ${sql.raw(PREPARED)}`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/**
 * What the paid orders of CTE `paid` (org_id, cluster_id, order_id, type) start, as common table expressions:
 * a new purchase's cluster pending_payment → creating, ready after the provisioning delay; an upgrade's cluster
 * (the payment made it upgrading, to the size paid for) gets its readiness now. Each a compare-and-set, each
 * with its `cluster.state_changed` event. A renewal changes only the term, in the payment's own statement
 * (payInOneStatement).
 */
function startProvisioningSql(now: Date, provisionSeconds: number) {
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
  return sql`created as (
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
    ), started as (
      ${event}
    )`;
}

/**
 * Finishes provisioning whose time has come: creating/upgrading → running, each a compare-and-set. Isolated per
 * org as processOutbox is.
 */
export async function completeProvisioning(db: Db, now: Date, batch = 500): Promise<number> {
  try {
    return await completeProvisioningBatch(db, now, batch);
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
      async (ids) => [await completeProvisioningBatch(db, now, batch, ids)],
    );
    return r.results.reduce((a, b) => a + b, 0);
  }
}

async function completeProvisioningBatch(
  db: Queryable,
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
  const r = await sql<{ due: number }>`
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
    ), cleared as (
      ${clearJobFailuresSql(PROVISIONING_JOB, 'due')}
    )
    select count(*)::int as due from due ${sql.raw(PREPARED)}`.execute(db);
  return r.rows[0]?.due ?? 0;
}
