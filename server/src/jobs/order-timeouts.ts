import type { Db } from '../db/schema.js';
import { timeOutDue } from '../orders/orders.repository.js';

export const SWEEP_BATCH = 5_000;

/**
 * Persists timed_out for every overdue unpaid order, in bounded batches. Safe with any number of instances:
 * each batch claims its rows with SKIP LOCKED and the update is conditional on status = 'unpaid'. Reads
 * and pays already treat a past-deadline order as timed out, so this only makes the fact durable.
 * `workers` claim loops run at once (disjoint by SKIP LOCKED) so that a large backlog uses every core of
 * PostgreSQL; on the embedded database they simply take turns on its one connection.
 */
export async function sweepOrderTimeouts(
  db: Db,
  now: Date,
  opts: { batch?: number; maxBatches?: number; workers?: number } = {},
): Promise<{ timedOut: number; worstLatenessMs: number }> {
  const batch = opts.batch ?? SWEEP_BATCH;
  const maxBatches = opts.maxBatches ?? 1_000;
  let total = 0;
  let worst = 0;
  let batches = 0;
  const worker = async () => {
    while (batches < maxBatches) {
      batches++;
      const r = await db.transaction().execute((tx) => timeOutDue(tx, now, batch));
      total += r.count;
      worst = Math.max(worst, r.worstLatenessMs);
      if (r.count < batch) return;
    }
  };
  await Promise.all(Array.from({ length: opts.workers ?? 2 }, worker));
  return { timedOut: total, worstLatenessMs: worst };
}
