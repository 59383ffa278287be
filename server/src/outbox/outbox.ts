import { type Expression, type RawBuilder, sql } from 'kysely';
import type { OutboxEventsTable, Tx } from '../db/schema.js';

/**
 * The transactional outbox: an event is written in the same transaction as the state change it reports,
 * so it exists if and only if the change committed. Workers consume it (provisioning).
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

/** The columns every writer of an event sets, in this order: emitMany and emitSql alike. */
const EVENT_COLUMNS = ['org_id', 'type', 'aggregate_id', 'payload', 'created_at', 'processed_at'] as const;
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
              processed_at: null,
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
 * of the CTE `source`, its org, aggregate and payload (jsonb) read from that row. The payment stays one
 * statement with it, and its event is written or not with the rest.
 */
export function emitSql(p: {
  source: string;
  type: string;
  orgId: SqlValue;
  aggregateId: SqlValue;
  payload: SqlValue;
  now: Date;
}): RawBuilder<unknown> {
  const row: Record<EventColumn, SqlValue> = {
    org_id: p.orgId,
    type: sql.lit(p.type),
    aggregate_id: p.aggregateId,
    payload: p.payload,
    created_at: sql`${p.now}::timestamptz`,
    processed_at: sql`null`,
  };
  return sql`insert into outbox_events (${sql.join(EVENT_COLUMNS.map((c) => sql.ref(c)))})
      select ${sql.join(EVENT_COLUMNS.map((c) => row[c]))} from ${sql.table(p.source)}`;
}
