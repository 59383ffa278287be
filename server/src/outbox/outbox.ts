import type { Tx } from '../db/schema.js';

/**
 * The transactional outbox: an event is written in the same transaction as the state change it reports,
 * so it exists if and only if the change committed. Workers consume it (provisioning).
 */
export async function emit(
  tx: Tx,
  e: { orgId: string; type: string; aggregateId: string; payload: Record<string, unknown>; now: Date },
): Promise<void> {
  await tx
    .insertInto('outbox_events')
    .values({
      org_id: e.orgId,
      type: e.type,
      aggregate_id: e.aggregateId,
      payload: JSON.stringify(e.payload),
      created_at: e.now,
      processed_at: null,
    })
    .execute();
}
