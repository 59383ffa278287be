import type { Db } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { markOverdue, orgsWithBillsOverdue } from './billing.repository.js';

export const BILLS_OVERDUE_JOB = 'bills-overdue';
const MAX_ORGS_PER_RETRY = 10_000;

/**
 * Unpaid bills past their due time become overdue: one statement for every org (orgs waiting out a failure are
 * left out). If it fails, the orgs are retried in bisected batches so the failing ones are found, recorded and
 * retried with backoff while the others' bills move on. An org whose retry comes due is in the next statement;
 * when that succeeds its failure is cleared.
 */
export async function markBillsOverdue(db: Db, now: Date): Promise<{ overdue: number; failed: number }> {
  try {
    const overdue = await markOverdue(db, now, { skipJob: BILLS_OVERDUE_JOB });
    await clearRetried(db, now);
    return { overdue, failed: 0 };
  } catch {
    const orgs = await orgsWithBillsOverdue(db, now, MAX_ORGS_PER_RETRY);
    const r = await isolateOrgs(db, { name: BILLS_OVERDUE_JOB, now }, orgs, async (ids) => [
      await markOverdue(db, now, { skipJob: BILLS_OVERDUE_JOB, orgIds: ids }),
    ]);
    await clearRetried(db, now, new Set(r.failed.map((f) => f.orgId)));
    return { overdue: r.results.reduce((a, b) => a + b, 0), failed: r.failed.length };
  }
}

/** Failures whose retry was due were part of the run that just succeeded (except those that failed again). */
async function clearRetried(db: Db, now: Date, failedAgain = new Set<string>()): Promise<void> {
  let q = db
    .deleteFrom('job_failures')
    .where('job', '=', BILLS_OVERDUE_JOB)
    .where('next_attempt_at', '<=', now)
    .where('last_failed_at', '<', now);
  if (failedAgain.size) q = q.where('org_id', 'not in', [...failedAgain]);
  await q.execute();
}
