import { type RawBuilder, sql } from 'kysely';
import type { ClusterState } from '../../../contract/enums.js';

const DAY_MS = 86_400_000;

/** SPEC §8.1: the term timeline, in days from `termEndsAt`. */
export const EXPIRING_FROM_DAYS = -30;
export const RECYCLE_AFTER_DAYS = 7;
export const DELETE_AFTER_DAYS = 37;

/** States a cluster can be renewed in (SPEC §8.2). */
export const RENEWABLE_STATES: readonly ClusterState[] = [
  'creating',
  'running',
  'upgrading',
  'expiring',
  'expired',
];
/** States a cluster can be upgraded in (SPEC §2). */
export const UPGRADABLE_STATES: readonly ClusterState[] = ['running', 'expiring'];

export const recycleAtOf = (termEndsAt: Date) => new Date(termEndsAt.getTime() + RECYCLE_AFTER_DAYS * DAY_MS);
export const deleteAtOf = (termEndsAt: Date) => new Date(termEndsAt.getTime() + DELETE_AFTER_DAYS * DAY_MS);

type Phase = 'active' | 'expiring' | 'expired' | 'recycled' | 'deleted';

/** Where `now` falls on the timeline of a term ending at `termEndsAt`; each boundary belongs to the later phase. */
export function phaseOf(termEndsAt: Date, now: Date): Phase {
  const t = now.getTime() - termEndsAt.getTime();
  if (t >= DELETE_AFTER_DAYS * DAY_MS) return 'deleted';
  if (t >= RECYCLE_AFTER_DAYS * DAY_MS) return 'recycled';
  if (t >= 0) return 'expired';
  if (t >= EXPIRING_FROM_DAYS * DAY_MS) return 'expiring';
  return 'active';
}

export interface ClusterTimelineRow {
  state: ClusterState;
  payment_deadline: Date | null;
  term_ends_at: Date | null;
}

/**
 * A cluster's state as of `now`, exact at read (SPEC §8.1): the stored state is what the sweepers last
 * persisted; the instants of the timeline (and a new purchase's payment deadline) take effect at once. While
 * a cluster is creating or upgrading that state shows instead of expiring (and of running); expired,
 * recycled and deleted show whatever the stored state.
 */
export function effectiveClusterState(c: ClusterTimelineRow, now: Date): ClusterState {
  if (c.state === 'pending_payment') {
    return c.payment_deadline && now.getTime() >= c.payment_deadline.getTime()
      ? 'cancelled'
      : 'pending_payment';
  }
  if (c.state === 'cancelled' || c.state === 'deleted' || !c.term_ends_at) return c.state;
  const phase = phaseOf(c.term_ends_at, now);
  if (phase === 'expired' || phase === 'recycled' || phase === 'deleted') return phase;
  if (c.state === 'creating' || c.state === 'upgrading') return c.state;
  return phase === 'expiring' ? 'expiring' : 'running';
}

/** effectiveClusterState in SQL, over a clusters row aliased `alias`. */
export function effectiveClusterStateSql(alias: string, now: Date): RawBuilder<ClusterState> {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  const t = sql`${now}::timestamptz`;
  const end = col('term_ends_at');
  return sql<ClusterState>`(case
    when ${col('state')} = 'pending_payment' then
      case when ${col('payment_deadline')} <= ${t} then 'cancelled' else 'pending_payment' end
    when ${col('state')} in ('cancelled', 'deleted') or ${end} is null then ${col('state')}
    when ${end} + interval '${sql.raw(String(DELETE_AFTER_DAYS))} days' <= ${t} then 'deleted'
    when ${end} + interval '${sql.raw(String(RECYCLE_AFTER_DAYS))} days' <= ${t} then 'recycled'
    when ${end} <= ${t} then 'expired'
    when ${col('state')} in ('creating', 'upgrading') then ${col('state')}
    when ${end} - interval '${sql.raw(String(-EXPIRING_FROM_DAYS))} days' <= ${t} then 'expiring'
    else 'running' end)`;
}
