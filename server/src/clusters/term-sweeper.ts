import { sql } from 'kysely';
import type { Db, Queryable } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, inBackoff } from '../isolation/job-failures.repository.js';
import { emitSql } from '../outbox/outbox.js';
import {
  DELETE_AFTER_DAYS,
  EXPIRING_FROM_DAYS,
  effectiveClusterStateSql,
  RECYCLE_AFTER_DAYS,
} from './term-timeline.js';

export const TERM_JOB = 'term';
const BATCH = 2_000;

/**
 * Persists the term timeline (SPEC §8.1): running → expiring → expired → recycled → deleted, each move a
 * compare-and-set on the stored state with its `cluster.state_changed` event, within a run of the job (every
 * 15 s by default). Reads do not wait for it: they compute the state as of now (effectiveClusterState). The
 * orders the system cancels at expiry and at recycle are the order sweeper's (their `cancel_at`), so the two
 * jobs need no ordering between them. Claims use SKIP LOCKED: instances never move one cluster twice. A
 * creating or upgrading cluster is left to provisioning, which ends it as running; the next run moves it on.
 * A batch that fails is retried org by org (SPEC §11).
 */
export async function sweepTermTimeline(db: Db, now: Date): Promise<{ moved: number; failed: number }> {
  let moved = 0;
  for (;;) {
    let n: number;
    try {
      n = await db.transaction().execute((tx) => moveDue(tx, now, BATCH));
    } catch {
      const orgs = await dueQuery(db, now)
        .select('org_id')
        .distinct()
        .orderBy('org_id')
        .limit(BATCH)
        .execute();
      const r = await isolateOrgs(
        db,
        { name: TERM_JOB, now },
        orgs.map((o) => o.org_id),
        async (ids) => [await db.transaction().execute((tx) => moveDue(tx, now, BATCH, ids))],
      );
      return { moved: moved + r.results.reduce((a, b) => a + b, 0), failed: r.failed.length };
    }
    moved += n;
    if (n < BATCH) return { moved, failed: 0 };
  }
}

const days = (n: number) => sql`make_interval(days => ${sql.lit(n)})`;

/** Clusters whose stored state is behind the timeline: each stored state with the instant that ends it. */
function dueQuery(db: Queryable, now: Date) {
  const t = sql`${now}::timestamptz`;
  return db
    .selectFrom('clusters')
    .where(
      sql<boolean>`(
        (state = 'running' and term_ends_at + ${days(EXPIRING_FROM_DAYS)} <= ${t})
        or (state = 'expiring' and term_ends_at <= ${t})
        or (state = 'expired' and term_ends_at + ${days(RECYCLE_AFTER_DAYS)} <= ${t})
        or (state = 'recycled' and term_ends_at + ${days(DELETE_AFTER_DAYS)} <= ${t}))`,
    )
    .where(sql<boolean>`not ${inBackoff(TERM_JOB, 'clusters.org_id', now)}`);
}

async function moveDue(tx: Queryable, now: Date, limit: number, orgIds?: string[]): Promise<number> {
  const t = sql`${now}::timestamptz`;
  let due = dueQuery(tx, now).select(['org_id', 'id', 'state']);
  if (orgIds) due = due.where('org_id', '=', sql<string>`any(${orgIds}::text[])`);
  const claim = due.orderBy('term_ends_at').limit(limit).forUpdate().skipLocked();
  const r = await sql<{ n: number }>`
    with due as (${claim}), upd as (
      update clusters c set state = ${effectiveClusterStateSql('c', now)}, updated_at = ${t}
      from due where c.org_id = due.org_id and c.id = due.id and c.state = due.state
      returning c.org_id, c.id, due.state as from_state, c.state as to_state
    ), ev as (
      ${emitSql({
        source: 'upd',
        type: 'cluster.state_changed',
        orgId: sql.ref('upd.org_id'),
        aggregateId: sql.ref('upd.id'),
        payload: sql`jsonb_build_object('clusterId', upd.id, 'from', upd.from_state, 'to', upd.to_state)`,
        now,
        where: sql`upd.from_state <> upd.to_state`,
      })}
    )
    select count(*)::int as n from upd`.execute(tx);
  const n = r.rows[0]?.n ?? 0;
  if (orgIds) await clearJobFailures(tx, TERM_JOB, orgIds);
  return n;
}

/**
 * How far the persisted timeline is behind (for /metrics): seconds since the earliest instant at which a
 * cluster should have moved and has not; 0 when none is due.
 */
export async function termLagSeconds(db: Queryable, now: Date): Promise<number> {
  const t = sql`${now}::timestamptz`;
  const r = await sql<{ s: number | null }>`
    select extract(epoch from (${t} - min(case state
        when 'running' then term_ends_at + ${days(EXPIRING_FROM_DAYS)}
        when 'expiring' then term_ends_at
        when 'expired' then term_ends_at + ${days(RECYCLE_AFTER_DAYS)}
        else term_ends_at + ${days(DELETE_AFTER_DAYS)} end)))::float8 as s
    from (${dueQuery(db, now).select(['state', 'term_ends_at'])}) due`.execute(db);
  return Math.max(0, Number(r.rows[0]?.s ?? 0));
}
