import type { Tx } from '../db/schema.js';

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

/** emit for many events at once, in their order. */
export async function emitMany(tx: Tx, events: OutboxEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await tx
      .insertInto('outbox_events')
      .values(
        events.slice(i, i + 1000).map((e) => ({
          org_id: e.orgId,
          type: e.type,
          aggregate_id: e.aggregateId,
          payload: JSON.stringify(e.payload),
          created_at: e.now,
          processed_at: null,
        })),
      )
      .execute();
  }
}
