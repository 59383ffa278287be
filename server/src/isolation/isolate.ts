import type { Db } from '../db/schema.js';
import { errorText, recordJobFailure } from './job-failures.repository.js';

export interface Isolated<T> {
  /** what the successful runs answered, in no particular order */
  results: T[];
  /** the orgs whose work failed alone, each now recorded in job_failures */
  failed: { orgId: string; error: string }[];
}

/**
 * Runs a job's work for many orgs as one batch (the fast path), and only when the batch fails bisects it, so
 * that each failing org is found in O(log n) more runs, recorded with its error for a retry with backoff, and
 * never holds back the others (SPEC §11). `run` must be all-or-nothing for the orgs it is given (one
 * transaction).
 */
export async function isolateOrgs<T>(
  db: Db,
  job: { name: string; key?: string; now: Date },
  orgIds: string[],
  run: (orgIds: string[]) => Promise<T[]>,
): Promise<Isolated<T>> {
  const out: Isolated<T> = { results: [], failed: [] };
  const attempt = async (ids: string[]): Promise<void> => {
    if (ids.length === 0) return;
    try {
      out.results.push(...(await run(ids)));
    } catch (err) {
      if (ids.length === 1) {
        const error = errorText(err);
        await recordJobFailure(db, {
          job: job.name,
          orgId: ids[0]!,
          key: job.key ?? '',
          error,
          now: job.now,
        });
        out.failed.push({ orgId: ids[0]!, error });
        return;
      }
      const half = Math.ceil(ids.length / 2);
      await attempt(ids.slice(0, half));
      await attempt(ids.slice(half));
    }
  };
  await attempt(orgIds);
  return out;
}
