import { sql } from 'kysely';
import type { Db, Queryable } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { emitSql } from '../outbox/outbox.js';
import { sendBillReminders } from './bill-lifecycle.js';
import { orgsWithBillsOverdue } from './billing.repository.js';

export const BILLS_OVERDUE_JOB = 'bills-overdue';
const MAX_ORGS_PER_RETRY = 10_000;

/**
 * Unpaid bills past their due time become overdue: one statement for every org (orgs waiting out a failure are
 * left out). If it fails, the orgs are retried in bisected batches so the failing ones are found, recorded and
 * retried with backoff while the others' bills move on. An org whose retry comes due is in the next statement;
 * when that succeeds its failure is cleared.
 */
export async function markBillsOverdue(
  db: Db,
  now: Date,
): Promise<{ overdue: number; reminded: number; failed: number }> {
  // SPEC §10.3: the daily reminders of unpaid bills first (one statement, each day's reminder once), then
  // the bills whose 14 days are over become overdue.
  const reminded = await sendBillReminders(db, now);
  try {
    const overdue = await markOverdue(db, now, { skipJob: BILLS_OVERDUE_JOB });
    await clearRetried(db, now);
    return { overdue, reminded, failed: 0 };
  } catch {
    const orgs = await orgsWithBillsOverdue(db, now, MAX_ORGS_PER_RETRY);
    const r = await isolateOrgs(db, { name: BILLS_OVERDUE_JOB, now }, orgs, async (ids) => [
      await markOverdue(db, now, { skipJob: BILLS_OVERDUE_JOB, orgIds: ids }),
    ]);
    await clearRetried(db, now, new Set(r.failed.map((f) => f.orgId)));
    return { overdue: r.results.reduce((a, b) => a + b, 0), reminded, failed: r.failed.length };
  }
}

/**
 * Unpaid bills past their due time become overdue, each with its `bill.overdue` outbox event in the same
 * statement (SPEC §9: the admins are told, and the org's webhooks), so the event exists if and only if the
 * bill moved. Orgs waiting out a failure of this job are left out; `orgIds` limits it to those orgs.
 */
export async function markOverdue(
  db: Queryable,
  now: Date,
  opts: { skipJob?: string; orgIds?: string[] } = {},
): Promise<number> {
  const t = sql`${now}::timestamptz`;
  const orgFilter = opts.orgIds ? sql`and org_id = any(${opts.orgIds}::text[])` : sql``;
  const backoffFilter = opts.skipJob
    ? sql`and not exists (select 1 from job_failures f where f.job = ${opts.skipJob}
        and f.org_id = bills.org_id and f.next_attempt_at > ${t})`
    : sql``;
  const event = emitSql({
    source: 'upd',
    type: 'bill.overdue',
    orgId: sql.ref('upd.org_id'),
    aggregateId: sql.ref('upd.month'),
    payload: sql`jsonb_build_object('month', upd.month, 'amountDue', upd.amount_due,
      'unpaidAmount', upd.amount_due - upd.paid_amount, 'currency', upd.currency,
      'overdueAt', to_char(upd.overdue_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
    now,
  });
  const r = await sql<{ n: number }>`
    with upd as (
      update bills set status = 'overdue', overdue_at = due_at
      where status = 'unpaid' and due_at <= ${t} ${orgFilter} ${backoffFilter}
      returning org_id, month, amount_due, paid_amount, currency, overdue_at
    ), ev as (${event})
    select count(*)::int as n from upd`.execute(db);
  return r.rows[0]?.n ?? 0;
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
