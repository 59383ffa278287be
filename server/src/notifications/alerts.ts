import { type RawBuilder, sql } from 'kysely';
import type { Db, Queryable } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, inBackoff } from '../isolation/job-failures.repository.js';
import { emitSql } from '../outbox/outbox.js';
import { NOTIFICATIONS_JOB } from './deliver-events.js';

/**
 * The time-based alerts of SPEC §9, taken from the state by scanning it (not from a change, so no other
 * transaction writes them): an expiry reminder per cluster, term end and milestone; the reminder of an order
 * still unpaid 24 h before its deadline; the steps of a low-balance episode and its recovery. Each is taken
 * once: its key is inserted into notification_alerts (unique per org) and its `alert.*` outbox event is
 * written in the same statement, so that every instance may scan at once and the event, told to people by
 * this job and to endpoints by the webhooks, exists exactly once.
 *
 * When a run comes late (the job stopped, or time moved on), only the latest milestone or step due is taken:
 * a T − 7 d reminder is not sent at T − 2 d, the T − 3 d one is.
 *
 * One org's bad data never stops another org's alerts (SPEC §11): a scan runs for every org at once, and only
 * when that fails is it retried org set by org set (isolateOrgs); an org that fails alone is recorded under the
 * notifications job with the scan's key (`alerts:expiry`, `alerts:order`, `alerts:balance`) and left out of that
 * scan until its backoff is over.
 */

/** SPEC §9: reminders at T − 30, − 7, − 3 and − 1 days (the expiry and the recycle are state changes). */
export const EXPIRY_REMINDER_DAYS = [30, 7, 3, 1] as const;
/** SPEC §9: the order reminder, this long before the deadline */
export const ORDER_REMINDER_MS = 24 * 3_600_000;
/** SPEC §9: a low balance is told at once, after 1 h, then every 24 h from the start until it recovers. */
export const BALANCE_SECOND_NOTICE_MS = 3_600_000;
export const BALANCE_DAILY_MS = 24 * 3_600_000;
/** At most this many alerts of a kind per run; a later run takes the rest. */
const SCAN_LIMIT = 1_000;

const hours = (n: number) => sql`make_interval(hours => ${sql.lit(n)})`;
const days = (n: number) => sql`make_interval(days => ${sql.lit(n)})`;
const iso = (column: string) =>
  sql`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The orgs a scan takes: every org not waiting out a backoff of this scan, or (retrying) only these. */
interface Scope {
  key: string;
  now: Date;
  orgIds?: string[];
}

function inScope(orgIdColumn: string, s: Scope): RawBuilder<boolean> {
  const backoff = inBackoff(NOTIFICATIONS_JOB, orgIdColumn, s.now, s.key);
  return s.orgIds
    ? sql<boolean>`(not ${backoff} and ${sql.ref(orgIdColumn)} = any(${s.orgIds}::text[]))`
    : sql<boolean>`not ${backoff}`;
}

/**
 * One scan: `due` selects the candidate rows with an `org_id` and a `key`; those whose key is new are inserted
 * and get their event. Answers how many alerts were taken.
 */
async function takeOnce(
  db: Queryable,
  now: Date,
  due: RawBuilder<unknown>,
  event: { type: string; aggregateId: string; payload: RawBuilder<unknown> },
): Promise<number> {
  const t = sql`${now}::timestamptz`;
  const r = await sql<{ n: number }>`
    with due as (${due}), fresh as (
      insert into notification_alerts (org_id, key, created_at)
      select org_id, key, ${t} from due
      where not exists (select 1 from notification_alerts a where a.org_id = due.org_id and a.key = due.key)
      limit ${SCAN_LIMIT}
      on conflict do nothing
      returning org_id, key
    ), told as (
      select due.* from due join fresh on fresh.org_id = due.org_id and fresh.key = due.key
    ), ev as (
      ${emitSql({
        source: 'told',
        type: event.type,
        orgId: sql.ref('told.org_id'),
        aggregateId: sql.ref(`told.${event.aggregateId}`),
        payload: event.payload,
        now,
      })}
    )
    select count(*)::int as n from fresh`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/** T − 30/7/3/1 d for serving clusters; the key holds the term end, so a renewed term starts afresh. */
function expiryDue(s: Scope): RawBuilder<unknown> {
  const t = sql`${s.now}::timestamptz`;
  const [d30, d7, d3, d1] = EXPIRY_REMINDER_DAYS;
  return sql`select org_id, id, name, project_id, term_ends_at, days_left,
        'expiring:' || id || ':' || ${iso('term_ends_at')} || ':' || days_left as key
      from (select c.*, case
          when c.term_ends_at <= ${t} + ${days(d1)} then ${sql.lit(d1)}
          when c.term_ends_at <= ${t} + ${days(d3)} then ${sql.lit(d3)}
          when c.term_ends_at <= ${t} + ${days(d7)} then ${sql.lit(d7)}
          else ${sql.lit(d30)} end as days_left
        from clusters c
        where c.state in ('creating', 'running', 'upgrading', 'expiring')
          and c.term_ends_at > ${t} and c.term_ends_at <= ${t} + ${days(d30)}
          and ${inScope('c.org_id', s)}) c`;
}

const expiryScan: Scan = {
  key: 'alerts:expiry',
  take: (db, s) =>
    takeOnce(db, s.now, expiryDue(s), {
      type: 'alert.cluster_expiring',
      aggregateId: 'id',
      payload: sql`jsonb_build_object('clusterId', told.id, 'clusterName', told.name, 'projectId', told.project_id,
        'termEndsAt', ${iso('told.term_ends_at')}, 'daysLeft', told.days_left)`,
    }),
  dueOrgs: (db, s) => orgsWithNewAlerts(db, expiryDue(s)),
};

/**
 * An order still unpaid 24 h before its deadline (the earlier of its expiry and the system's cancel time).
 * An order made less than 24 h before its deadline was told the deadline when it was made.
 */
function orderDue(s: Scope): RawBuilder<unknown> {
  const t = sql`${s.now}::timestamptz`;
  return sql`select org_id, id, deadline, 'unpaid:' || id as key
      from (select o.org_id, o.id, o.created_at, least(o.expires_at, coalesce(o.cancel_at, o.expires_at)) as deadline
        from orders o
        where o.status = 'unpaid'
          and (o.expires_at <= ${t} + ${hours(24)} or o.cancel_at <= ${t} + ${hours(24)})
          and ${inScope('o.org_id', s)}) o
      where deadline > ${t} and deadline - ${hours(24)} <= ${t} and created_at < deadline - ${hours(24)}`;
}

const orderScan: Scan = {
  key: 'alerts:order',
  take: (db, s) =>
    takeOnce(db, s.now, orderDue(s), {
      type: 'alert.order_unpaid',
      aggregateId: 'id',
      payload: sql`jsonb_build_object('orderId', told.id, 'expiresAt', ${iso('told.deadline')})`,
    }),
  dueOrgs: (db, s) => orgsWithNewAlerts(db, orderDue(s)),
};

/**
 * Low balance (SPEC §9): cash strictly below the org's threshold. An episode opens when an org that has been
 * credited at least once (an org that never topped up has no balance to run low) is below it, and closes
 * with a recovery notice when the cash is back at or above it. Within an episode: step 0 at once, step 1 after
 * 1 h, step n ≥ 2 at (n − 1) × 24 h.
 */
async function takeBalanceAlerts(db: Queryable, s: Scope): Promise<number> {
  const now = s.now;
  const t = sql`${now}::timestamptz`;
  const recovered = await sql<{ n: number }>`
    with rec as (
      update balance_low_episodes e set recovered_at = ${t}
      from balances b join orgs o on o.id = b.org_id
      where e.recovered_at is null and b.org_id = e.org_id and b.cash >= o.low_balance_threshold
        and ${inScope('e.org_id', s)}
      returning e.org_id, e.episode, b.cash, b.currency, o.low_balance_threshold as threshold
    ), ev as (
      ${emitSql({
        source: 'rec',
        type: 'alert.balance_recovered',
        orgId: sql.ref('rec.org_id'),
        aggregateId: sql.ref('rec.org_id'),
        payload: sql`jsonb_build_object('cash', rec.cash, 'threshold', rec.threshold, 'currency', rec.currency)`,
        now,
      })}
    )
    select count(*)::int as n from rec`.execute(db);
  await sql`
    insert into balance_low_episodes (org_id, episode, threshold, started_at)
    select b.org_id,
      coalesce((select max(x.episode) from balance_low_episodes x where x.org_id = b.org_id), 0) + 1,
      o.low_balance_threshold, ${t}
    from balances b join orgs o on o.id = b.org_id
    where b.cash < o.low_balance_threshold
      and not exists (select 1 from balance_low_episodes x where x.org_id = b.org_id and x.recovered_at is null)
      and exists (select 1 from topups tp where tp.org_id = b.org_id)
      and ${inScope('b.org_id', s)}
    limit ${SCAN_LIMIT}
    on conflict do nothing`.execute(db);
  const stepped = await takeOnce(
    db,
    now,
    sql`select org_id, cash, currency, threshold, 'balance:' || episode || ':' || step as key
      from (select e.org_id, e.episode, b.cash, b.currency, o.low_balance_threshold as threshold,
          case when ${t} < e.started_at + make_interval(secs => ${sql.lit(BALANCE_SECOND_NOTICE_MS / 1000)}) then 0
            when ${t} < e.started_at + make_interval(secs => ${sql.lit(BALANCE_DAILY_MS / 1000)}) then 1
            else 1 + floor(extract(epoch from (${t} - e.started_at)) / ${sql.lit(BALANCE_DAILY_MS / 1000)})::int
          end as step
        from balance_low_episodes e join balances b on b.org_id = e.org_id join orgs o on o.id = e.org_id
        where e.recovered_at is null and b.cash < o.low_balance_threshold and ${inScope('e.org_id', s)}) s`,
    {
      type: 'alert.balance_low',
      aggregateId: 'org_id',
      payload: sql`jsonb_build_object('cash', told.cash, 'threshold', told.threshold, 'currency', told.currency)`,
    },
  );
  return (recovered.rows[0]?.n ?? 0) + stepped;
}

const balanceScan: Scan = {
  key: 'alerts:balance',
  take: takeBalanceAlerts,
  // below the threshold (an episode to open or a step to tell), or an episode open (a recovery to tell)
  dueOrgs: (db, s) =>
    orgIds(
      db,
      sql`select b.org_id from balances b join orgs o on o.id = b.org_id
        where (b.cash < o.low_balance_threshold
            or exists (select 1 from balance_low_episodes e where e.org_id = b.org_id and e.recovered_at is null))
          and ${inScope('b.org_id', s)}`,
    ),
};

interface Scan {
  /** the key its failing orgs are recorded under, in the notifications job */
  key: string;
  /** takes the scope's due alerts; all-or-nothing when run in a transaction */
  take(db: Queryable, s: Scope): Promise<number>;
  /** every org with something due (a superset is fine), for retrying org set by org set */
  dueOrgs(db: Queryable, s: Scope): Promise<string[]>;
}

/** Every org of `rows` (an `org_id` column), however many: each must get its turn when a scan is retried. */
async function orgIds(db: Queryable, rows: RawBuilder<unknown>): Promise<string[]> {
  const r = await sql<{ org_id: string }>`select distinct org_id from (${rows}) d order by org_id`.execute(
    db,
  );
  return r.rows.map((x) => x.org_id);
}

/** The orgs with an alert of `due` not yet taken: those whose scan can fail. */
const orgsWithNewAlerts = (db: Queryable, due: RawBuilder<unknown>) =>
  orgIds(
    db,
    sql`select org_id from (${due}) d
      where not exists (select 1 from notification_alerts a where a.org_id = d.org_id and a.key = d.key)`,
  );

export const ALERT_SCANS: readonly Scan[] = [expiryScan, orderScan, balanceScan];

/**
 * One scan for every org in one transaction; if it fails, again org set by org set, each failing org recorded.
 * The orgs whose backoff had run out were in the scan that succeeded: their failures are over.
 */
export async function takeAlerts(db: Db, scan: Scan, now: Date): Promise<{ taken: number; failed: number }> {
  const all: Scope = { key: scan.key, now };
  try {
    const taken = await db.transaction().execute(async (tx) => {
      const n = await scan.take(tx, all);
      await tx
        .deleteFrom('job_failures')
        .where('job', '=', NOTIFICATIONS_JOB)
        .where('key', '=', scan.key)
        .where('next_attempt_at', '<=', now)
        .execute();
      return n;
    });
    return { taken, failed: 0 };
  } catch {
    const orgs = await scan.dueOrgs(db, all);
    const r = await isolateOrgs(db, { name: NOTIFICATIONS_JOB, key: scan.key, now }, orgs, async (ids) => [
      await db.transaction().execute(async (tx) => {
        const n = await scan.take(tx, { ...all, orgIds: ids });
        await clearJobFailures(tx, NOTIFICATIONS_JOB, ids, scan.key);
        return n;
      }),
    ]);
    return { taken: r.results.reduce((a, b) => a + b, 0), failed: r.failed.length };
  }
}
