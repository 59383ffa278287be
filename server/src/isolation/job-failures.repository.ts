import { type RawBuilder, sql } from 'kysely';
import { PREPARED } from '../db/prepared.js';
import type { Queryable } from '../db/schema.js';

/** The first retry of a failing org waits this long; each further failure doubles it, up to BACKOFF_MAX_MS. */
export const BACKOFF_FIRST_MS = 60_000;
export const BACKOFF_MAX_MS = 6 * 3_600_000;
/** Error texts are kept short: enough to recognize the failure, never a whole stack or payload. */
export const ERROR_TEXT_MAX = 500;

export function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, ERROR_TEXT_MAX);
}

/**
 * Records that a job failed for one org (and key, e.g. the bill month): the first failure, or one more attempt,
 * with the next attempt BACKOFF_FIRST_MS × 2^(attempts − 1) later, at most BACKOFF_MAX_MS.
 */
export async function recordJobFailure(
  db: Queryable,
  f: { job: string; orgId: string; key: string; error: string; now: Date },
): Promise<void> {
  await sql`
    insert into job_failures (job, org_id, key, attempts, first_failed_at, last_failed_at, last_error, next_attempt_at)
    values (${f.job}, ${f.orgId}, ${f.key}, 1, ${f.now}, ${f.now}, ${f.error},
      ${f.now}::timestamptz + make_interval(secs => ${BACKOFF_FIRST_MS / 1000}))
    on conflict (job, org_id, key) do update set
      attempts = job_failures.attempts + 1,
      last_failed_at = excluded.last_failed_at,
      last_error = excluded.last_error,
      next_attempt_at = excluded.last_failed_at + make_interval(secs => least(${BACKOFF_MAX_MS / 1000}::float8,
        ${BACKOFF_FIRST_MS / 1000}::float8 * power(2, least(job_failures.attempts, 30))))`.execute(db);
}

/** The orgs' failures of this job (and key) are over: they just succeeded. */
export async function clearJobFailures(
  db: Queryable,
  job: string,
  orgIds: string[],
  key?: string,
): Promise<void> {
  if (orgIds.length === 0) return;
  let q = db
    .deleteFrom('job_failures')
    .where('job', '=', job)
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`);
  if (key !== undefined) q = q.where('key', '=', key);
  await q.modifyEnd(sql.raw(PREPARED)).execute();
}

/**
 * clearJobFailures inside a larger statement (the body of a common table expression): the job's failures of
 * the orgs of CTE `source` (its `org_id` column), which just succeeded in that statement.
 */
export function clearJobFailuresSql(job: string, source: string): RawBuilder<unknown> {
  return sql`delete from job_failures where job = ${job}
        and org_id = any(array(select distinct org_id from ${sql.table(source)}))`;
}

/** The orgs with a failure of this job and key on record (any backoff state). */
export async function failingOrgs(db: Queryable, job: string, key = ''): Promise<Set<string>> {
  const r = await db
    .selectFrom('job_failures')
    .select('org_id')
    .where('job', '=', job)
    .where('key', '=', key)
    .execute();
  return new Set(r.map((x) => x.org_id));
}

/**
 * SQL for "this org is waiting out its backoff in this job": the jobs' claims leave such orgs out, so one failing
 * org does not fail every batch it would fall in. `orgIdColumn` is the claimed table's org column; `key`, when
 * given, narrows it to one part of the job (a job that records its parts' failures under their own keys).
 */
export function inBackoff(job: string, orgIdColumn: string, now: Date, key?: string) {
  return sql<boolean>`exists (select 1 from job_failures f where f.job = ${job}
    and f.org_id = ${sql.ref(orgIdColumn)} and f.next_attempt_at > ${now}::timestamptz
    ${key === undefined ? sql`` : sql`and f.key = ${key}`})`;
}

export async function listJobFailures(db: Queryable, limit: number) {
  return db
    .selectFrom('job_failures')
    .selectAll()
    .orderBy('job')
    .orderBy('first_failed_at')
    .orderBy('org_id')
    .limit(limit)
    .execute();
}

export async function countFailingOrgsByJob(db: Queryable): Promise<Map<string, number>> {
  const r = await sql<{ job: string; n: number }>`
    select job, count(distinct org_id)::int as n from job_failures group by job`.execute(db);
  return new Map(r.rows.map((x) => [x.job, x.n]));
}
