import { sql } from 'kysely';
import type { Db, Tx } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, inBackoff } from '../isolation/job-failures.repository.js';
import { emit } from '../outbox/outbox.js';
import { transitionCluster } from './clusters.repository.js';

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
  {
    let q = tx
      .selectFrom('outbox_events')
      .select(['org_id', 'id', 'type', 'payload'])
      .where('processed_at', 'is', null)
      .where(sql<boolean>`not ${inBackoff(OUTBOX_JOB, 'outbox_events.org_id', now)}`);
    if (orgIds) q = q.where('org_id', '=', sql<string>`any(${orgIds}::text[])`);
    const events = await q.orderBy('id').limit(batch).forUpdate().skipLocked().execute();
    for (const e of events) {
      if (e.type === 'order.paid')
        await startProvisioning(tx, e.org_id, e.payload as PaidPayload, now, provisionSeconds);
    }
    if (events.length) {
      await tx
        .updateTable('outbox_events')
        .set({ processed_at: now })
        .where(sql`(org_id, id)`, 'in', sql`(${sql.join(events.map((e) => sql`(${e.org_id}, ${e.id})`))})`)
        .execute();
      await clearJobFailures(tx, OUTBOX_JOB, [...new Set(events.map((e) => e.org_id))]);
    }
    return events.length;
  }
}

interface PaidPayload {
  orderId: string;
  type: 'new_purchase' | 'upgrade' | 'renewal';
  clusterId: string;
  config: { cuSize: number; replicas: number };
}

async function startProvisioning(tx: Tx, orgId: string, p: PaidPayload, now: Date, provisionSeconds: number) {
  const readyAt = new Date(now.getTime() + provisionSeconds * 1000);
  if (p.type === 'new_purchase') {
    const c = await transitionCluster(tx, orgId, p.clusterId, 'pending_payment', {
      state: 'creating',
      ready_at: readyAt,
      updated_at: now,
    });
    if (c) await stateChanged(tx, orgId, p.clusterId, 'pending_payment', 'creating', now, p.orderId);
  } else if (p.type === 'upgrade') {
    // The payment set the cluster upgrading towards the size paid for (payInOneStatement); its readiness
    // starts now.
    const c = await tx
      .updateTable('clusters')
      .set({ ready_at: readyAt, updated_at: now })
      .where('org_id', '=', orgId)
      .where('id', '=', p.clusterId)
      .where('state', '=', 'upgrading')
      .where('ready_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (c) await stateChanged(tx, orgId, p.clusterId, 'running', 'upgrading', now, p.orderId);
  }
  // A renewal changes only the term, in the payment's own statement (payInOneStatement).
}

async function stateChanged(
  tx: Tx,
  orgId: string,
  clusterId: string,
  from: string,
  to: string,
  now: Date,
  orderId?: string,
) {
  await emit(tx, {
    orgId,
    type: 'cluster.state_changed',
    aggregateId: clusterId,
    payload: { clusterId, from, to, orderId },
    now,
  });
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
  {
    let q = tx
      .selectFrom('clusters')
      .select(['org_id', 'id', 'state', 'target_cu_size', 'target_replicas'])
      .where('state', 'in', ['creating', 'upgrading'])
      .where('ready_at', '<=', now)
      .where(sql<boolean>`not ${inBackoff(PROVISIONING_JOB, 'clusters.org_id', now)}`);
    if (orgIds) q = q.where('org_id', '=', sql<string>`any(${orgIds}::text[])`);
    const due = await q.orderBy('ready_at').limit(batch).forUpdate().skipLocked().execute();
    for (const c of due) {
      const upgrading = c.state === 'upgrading';
      const done = await transitionCluster(tx, c.org_id, c.id, c.state, {
        state: 'running',
        ready_at: null,
        ...(upgrading
          ? {
              cu_size: c.target_cu_size!,
              replicas: c.target_replicas!,
              target_cu_size: null,
              target_replicas: null,
            }
          : {}),
        updated_at: now,
      });
      if (done) await stateChanged(tx, c.org_id, c.id, c.state, 'running', now);
    }
    await clearJobFailures(tx, PROVISIONING_JOB, [...new Set(due.map((c) => c.org_id))]);
    return due.length;
  }
}
