import { type Expression, type RawBuilder, sql } from 'kysely';
import type { OutboxEventsTable, Tx } from '../db/schema.js';
import { bornColumns, bornColumnsSql } from './consumers.js';

/**
 * The transactional outbox: an event is written in the same transaction as the state change it reports,
 * so it exists if and only if the change committed. Its consumers (consumers.ts) each claim it by their own
 * progress column.
 */
export interface OutboxEvent {
  orgId: string;
  type: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  now: Date;
}

export async function emit(tx: Tx, e: OutboxEvent): Promise<void> {
  await emitMany(tx, [e]);
}

/**
 * The columns every writer of an event sets, in this order: emitMany and emitSql alike. The last three are the
 * consumers' progress (consumers.ts), born set for a consumer that never acts on the event.
 */
const EVENT_COLUMNS = [
  'org_id',
  'type',
  'aggregate_id',
  'payload',
  'created_at',
  'processed_at',
  'notified_at',
  'webhooked_at',
] as const;
type EventColumn = (typeof EVENT_COLUMNS)[number] & keyof OutboxEventsTable;

/** emit for many events at once, in their order. */
export async function emitMany(tx: Tx, events: OutboxEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await tx
      .insertInto('outbox_events')
      .values(
        events.slice(i, i + 1000).map(
          (e) =>
            ({
              org_id: e.orgId,
              type: e.type,
              aggregate_id: e.aggregateId,
              payload: JSON.stringify(e.payload),
              created_at: e.now,
              ...bornColumns(e.type, e.payload, e.now),
            }) satisfies Record<EventColumn, unknown>,
        ),
      )
      .execute();
  }
}

/** An expression of the statement that emits: SQL over the source's columns. */
type SqlValue = Expression<unknown> | RawBuilder<unknown>;

/**
 * emit inside a larger statement (the body of a common table expression): one event of `type` for each row
 * of the CTE `source` (those `where` holds, when given), its org, aggregate and payload (jsonb) read from that
 * row; `type` is a name, or an SQL expression over the row when events of several types are written at once.
 * The payment stays one statement with it, and its event is written or not with the rest.
 */
export function emitSql(p: {
  source: string;
  type: string | SqlValue;
  orgId: SqlValue;
  aggregateId: SqlValue;
  payload: SqlValue;
  now: Date;
  where?: SqlValue;
}): RawBuilder<unknown> {
  const type = typeof p.type === 'string' ? sql.lit(p.type) : p.type;
  const row: Record<EventColumn, SqlValue> = {
    org_id: p.orgId,
    type,
    aggregate_id: p.aggregateId,
    payload: p.payload,
    created_at: sql`${p.now}::timestamptz`,
    ...bornColumnsSql(type, p.payload, p.now),
  };
  return sql`insert into outbox_events (${sql.join(EVENT_COLUMNS.map((c) => sql.ref(c)))})
      select ${sql.join(EVENT_COLUMNS.map((c) => row[c]))} from ${sql.table(p.source)}${
        p.where ? sql` where ${p.where}` : sql``
      }`;
}
