import { type Expression, type RawBuilder, sql } from 'kysely';
import { PREPARED } from '../db/prepared.js';
import type { Queryable } from '../db/schema.js';

/**
 * The outbox's consumers, each with its own progress column: an event whose column is set is done for that
 * consumer, and the consumer's claim (`… where <column> is null`, a partial index) never sees it again.
 *
 * An event is born done for every consumer that never acts on it: writing the column at insert costs nothing,
 * while claiming, locking and marking an event only to skip it costs a row lock and a new row version (the
 * columns are in partial-index predicates, so never a HOT update) per event and consumer. A payment's three
 * events (order.paid, then its cluster → creating → running) were nine such claims; now three.
 *
 * What each consumer acts on is declared here, beside the others, and each consumer reads its declaration
 * (`actsOn`): an event type added to a consumer's code but not here is born done and never reaches it, which
 * that consumer's tests show at once.
 */
export const CONSUMERS = {
  /** Provisioning (clusters/provisioning.ts): a paid order starts its cluster. */
  outbox: 'processed_at',
  /** 站内信 and mail (notifications/deliver-events.ts, `planFor`). */
  notifications: 'notified_at',
  /** Webhook deliveries (webhooks/webhook-events.ts, `webhookEventsOf`). */
  webhooks: 'webhooked_at',
} as const;
export type Consumer = keyof typeof CONSUMERS;

/** Every event of the type, or those whose payload's `field` is one of `values` (a string field). */
type Interest = true | { field: string; values: readonly string[] };

const INTERESTS: Record<Consumer, Readonly<Record<string, Interest>>> = {
  outbox: { 'order.paid': true },
  notifications: {
    'order.created': true,
    'order.paid': true,
    'order.timed_out': true,
    'alert.order_unpaid': true,
    'topup.credited': true,
    'bill.issued': true,
    'bill.overdue': true,
    'bill.unpaid': true,
    'alert.cluster_expiring': true,
    'cluster.state_changed': { field: 'to', values: ['expired', 'recycled'] },
    'renewal.attempted': { field: 'outcome', values: ['failed'] },
    'alert.balance_low': true,
    'alert.balance_recovered': true,
  },
  webhooks: {
    'order.created': true,
    'order.paid': true,
    'order.cancelled': true,
    'order.timed_out': true,
    'topup.credited': true,
    'bill.issued': true,
    'bill.overdue': true,
    'cluster.state_changed': { field: 'to', values: ['expired'] },
    'renewal.attempted': { field: 'outcome', values: ['failed'] },
    'alert.cluster_expiring': true,
    'alert.balance_low': true,
  },
};

/** Whether the consumer acts on an event of this type and payload. */
export function actsOn(consumer: Consumer, type: string, payload: Record<string, unknown>): boolean {
  const i = INTERESTS[consumer][type];
  if (i === undefined) return false;
  if (i === true) return true;
  const v = payload[i.field];
  return typeof v === 'string' && i.values.includes(v);
}

type ProgressColumn = (typeof CONSUMERS)[Consumer];
const CONSUMER_NAMES = Object.keys(CONSUMERS) as Consumer[];

/** A value per consumer's progress column. */
function perColumn<T>(value: (consumer: Consumer) => T): Record<ProgressColumn, T> {
  return Object.fromEntries(CONSUMER_NAMES.map((c) => [CONSUMERS[c], value(c)])) as Record<ProgressColumn, T>;
}

/** The event's progress column of each consumer at birth: null to be consumed, or `now` (born done). */
export function bornColumns(
  type: string,
  payload: Record<string, unknown>,
  now: Date,
): Record<ProgressColumn, Date | null> {
  return perColumn((c) => (actsOn(c, type, payload) ? null : now));
}

type SqlValue = Expression<unknown> | RawBuilder<unknown>;

/**
 * bornColumns in SQL, for events written by a statement: the type and payload are SQL expressions (a literal
 * type folds to a constant). Each value is `null` or `now`.
 */
export function bornColumnsSql(
  type: SqlValue,
  payload: SqlValue,
  now: Date,
): Record<ProgressColumn, RawBuilder<unknown>> {
  return perColumn((consumer) => {
    const acts = Object.entries(INTERESTS[consumer]).map(([t, i]) =>
      i === true
        ? sql`${type} = ${sql.lit(t)}`
        : sql`(${type} = ${sql.lit(t)} and ${payload}->>${sql.lit(i.field)} in (${sql.join(
            i.values.map((v) => sql.lit(v)),
          )}))`,
    );
    return sql`case when ${sql.join(acts, sql` or `)} then null else ${now}::timestamptz end`;
  });
}

/** Marks events done for one consumer (its progress column), by their keys. */
export async function markConsumed(
  db: Queryable,
  consumer: Consumer,
  events: { org_id: string; id: number }[],
  now: Date,
): Promise<void> {
  if (events.length === 0) return;
  // Two arrays, not a list of row tuples (a long tuple IN-list brings PGlite down).
  await sql`update outbox_events e set ${sql.ref(CONSUMERS[consumer])} = ${now}::timestamptz
    from unnest(${events.map((e) => e.org_id)}::text[], ${events.map((e) => String(e.id))}::bigint[]) as k(org_id, id)
    where e.org_id = k.org_id and e.id = k.id ${sql.raw(PREPARED)}`.execute(db);
}

/** markConsumed inside a larger statement (the body of a common table expression): the events of CTE `source`. */
export function markConsumedSql(consumer: Consumer, source: string, now: Date): RawBuilder<unknown> {
  const s = sql.table(source);
  return sql`update outbox_events e set ${sql.ref(CONSUMERS[consumer])} = ${now}::timestamptz
      from ${s} where e.org_id = ${s}.org_id and e.id = ${s}.id`;
}
