import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { RETRY_SAFE } from '../db/failover.js';
import type { Queryable, Tx } from '../db/schema.js';
import { AppError } from '../platform/errors.js';

/** The same key and body within this window returns the first answer (SPEC §7.1). */
export const IDEMPOTENCY_WINDOW_MS = 8 * 86_400_000;

export interface StoredAnswer {
  statusCode: number;
  /** the JSON text of the answer, replayed byte for byte */
  json: string;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A fingerprint of what was asked: method, path and body with its keys sorted. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(canonical(body ?? null))}`)
    .digest('hex');
}

/**
 * Claims the key inside the caller's transaction. A concurrent request with the same key blocks on the
 * unique index until the first commits, then sees its answer: so a double click runs the command once.
 * Returns the stored answer when the key was used before, or null when this request owns the key now.
 */
export async function claimKey(
  tx: Tx,
  scope: string,
  key: string,
  hash: string,
  now: Date,
): Promise<StoredAnswer | null> {
  const fresh = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS);
  // An expired key may be reused: drop it first (it is outside the window).
  await tx
    .deleteFrom('idempotency_keys')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('created_at', '<=', fresh)
    .execute();
  return insertOrFirstAnswer(tx, scope, key, hash, now, { status_code: 0, response: null });
}

export async function storeAnswer(tx: Tx, scope: string, key: string, answer: StoredAnswer): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set({ status_code: answer.statusCode, response: answer.json })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
}

/**
 * Records an error answer after the command's transaction rolled back, so that a retry gets the same
 * answer. If another request claimed the key meanwhile, its answer is the first one and is returned.
 */
export async function storeErrorAnswer(
  db: Queryable,
  scope: string,
  key: string,
  hash: string,
  now: Date,
  answer: StoredAnswer,
): Promise<StoredAnswer> {
  const first = await insertOrFirstAnswer(db, scope, key, hash, now, {
    status_code: answer.statusCode,
    response: answer.json,
  });
  return first ?? answer;
}

/**
 * Inserts the key's row unless the key is already there. Returns null when this insert made the row,
 * otherwise the answer already stored for it (IDEMPOTENCY_KEY_REUSED if it was for another request).
 */
async function insertOrFirstAnswer(
  db: Queryable,
  scope: string,
  key: string,
  hash: string,
  now: Date,
  answer: { status_code: number; response: string | null },
): Promise<StoredAnswer | null> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ scope, key, request_hash: hash, ...answer, created_at: now })
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .returning('key')
    // The claim makes its transaction safe to run again when a failover leaves the outcome of its COMMIT
    // unknown: the second run finds the first one's answer, or runs the command once (db/failover.ts).
    .modifyEnd(sql.raw(RETRY_SAFE))
    .executeTakeFirst();
  if (inserted) return null;
  const existing = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  if (existing.request_hash !== hash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request', {
      key,
    });
  }
  return { statusCode: existing.status_code, json: existing.response ?? 'null' };
}

/** Bounded clean-up of keys past the window. */
export async function purgeExpiredKeys(db: Queryable, now: Date, limit = 10_000): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS);
  const r = await sql<{ n: number }>`
    with gone as (
      delete from idempotency_keys where ctid in (
        select ctid from idempotency_keys where created_at <= ${cutoff} limit ${limit}
      ) returning 1
    ) select count(*)::int as n from gone`.execute(db);
  return r.rows[0]?.n ?? 0;
}
