import { sql } from 'kysely';
import type { Db } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, inBackoff } from '../isolation/job-failures.repository.js';
import { timeOutDue } from './orders.repository.js';

export const SWEEP_BATCH = 5_000;
export const SWEEPER_JOB = 'sweeper';

/**
 * Persists the system's end of every unpaid order whose end has come (timed_out at its deadline, or cancelled
 * at its cluster's expiry or recycle: timeOutDue), in bounded batches. Safe with any number of instances:
 * each batch claims its rows with SKIP LOCKED and the update is conditional on status = 'unpaid'. Reads
 * and pays already treat a past-deadline order as timed out, so this only makes the fact durable.
 * `workers` claim loops run at once (disjoint by SKIP LOCKED) so that a large backlog uses every core of
 * PostgreSQL; on the embedded database they simply take turns on its one connection.
 *
 * One org's bad order never stops the others' (SPEC §11): when a batch fails, the due orders are retried per
 * org (bisected), each org's clusters one statement each; a failing org is recorded in job_failures and left
 * out of the retries until its backoff ends. The batch statement itself cannot leave it out, so while it
 * fails each run pays one failed batch before the per-org retry. A sweep that drains every due order
 * clears the sweeper's failures: their orders were in it.
 */
export async function sweepOrderTimeouts(
  db: Db,
  now: Date,
  opts: { batch?: number; maxBatches?: number; workers?: number } = {},
): Promise<{ timedOut: number; worstLatenessMs: number; failed: number }> {
  const batch = opts.batch ?? SWEEP_BATCH;
  const maxBatches = opts.maxBatches ?? 1_000;
  let total = 0;
  let worst = 0;
  let batches = 0;
  let failed = 0;
  let drained = false;
  let fellBack = false;
  const worker = async () => {
    while (batches < maxBatches && !fellBack) {
      batches++;
      let r: { count: number; worstLatenessMs: number };
      try {
        r = await db.transaction().execute((tx) => timeOutDue(tx, now, batch));
      } catch {
        if (fellBack) return;
        fellBack = true;
        const f = await sweepPerOrg(db, now, batch);
        total += f.timedOut;
        worst = Math.max(worst, f.worstLatenessMs);
        failed += f.failed;
        return;
      }
      total += r.count;
      worst = Math.max(worst, r.worstLatenessMs);
      if (r.count < batch) {
        drained = true;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.workers ?? 2 }, worker));
  if (drained && !fellBack) await db.deleteFrom('job_failures').where('job', '=', SWEEPER_JOB).execute();
  return { timedOut: total, worstLatenessMs: worst, failed };
}

async function sweepPerOrg(db: Db, now: Date, batch: number) {
  const due = await db
    .selectFrom('orders')
    .select(['org_id', 'cluster_id'])
    .distinct()
    .where('status', '=', 'unpaid')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('cancel_at', '<=', now)]))
    .where(sql<boolean>`not ${inBackoff(SWEEPER_JOB, 'orders.org_id', now)}`)
    .orderBy('org_id')
    .limit(batch)
    .execute();
  const clustersOf = new Map<string, string[]>();
  for (const d of due) clustersOf.set(d.org_id, [...(clustersOf.get(d.org_id) ?? []), d.cluster_id]);
  const r = await isolateOrgs(db, { name: SWEEPER_JOB, now }, [...clustersOf.keys()], (ids) =>
    db.transaction().execute(async (tx) => {
      const out = [];
      for (const orgId of ids)
        for (const clusterId of clustersOf.get(orgId) ?? [])
          out.push(await timeOutDue(tx, now, batch, { orgId, clusterId }));
      await clearJobFailures(tx, SWEEPER_JOB, ids);
      return out;
    }),
  );
  return {
    timedOut: r.results.reduce((n, x) => n + x.count, 0),
    worstLatenessMs: r.results.reduce((w, x) => Math.max(w, x.worstLatenessMs), 0),
    failed: r.failed.length,
  };
}
