import { sql } from 'kysely';
import type { Queryable, Tx } from '../db/schema.js';

export type ThrottleScope = 'account' | 'address';

export interface ThrottleRow {
  scope: ThrottleScope;
  subject: string;
  failures: number[];
  locked_until: Date | null;
  lockouts: number;
}

/**
 * The subject's throttle row, locked for the rest of the transaction (created empty when there is none):
 * the upsert takes the row lock in one statement, so concurrent attempts on any instance queue here.
 */
export async function lockThrottleRow(
  tx: Tx,
  scope: ThrottleScope,
  subject: string,
  now: Date,
): Promise<ThrottleRow> {
  const row = await tx
    .insertInto('sign_in_throttle')
    .values({
      scope,
      subject,
      failures: '[]',
      locked_until: null,
      lockouts: 0,
      updated_at: now,
      expires_at: now,
    })
    .onConflict((oc) => oc.columns(['scope', 'subject']).doUpdateSet({ scope }))
    .returning(['scope', 'subject', 'failures', 'locked_until', 'lockouts'])
    .executeTakeFirstOrThrow();
  return { ...row, failures: parseFailures(row.failures) };
}

/** The row if it exists, locked for the rest of the transaction. */
export async function findThrottleRowForUpdate(
  tx: Tx,
  scope: ThrottleScope,
  subject: string,
): Promise<ThrottleRow | undefined> {
  const row = await tx
    .selectFrom('sign_in_throttle')
    .select(['scope', 'subject', 'failures', 'locked_until', 'lockouts'])
    .where('scope', '=', scope)
    .where('subject', '=', subject)
    .forUpdate()
    .executeTakeFirst();
  return row && { ...row, failures: parseFailures(row.failures) };
}

export async function saveThrottleRow(
  tx: Tx,
  row: ThrottleRow & { expiresAt: Date },
  now: Date,
): Promise<void> {
  await tx
    .updateTable('sign_in_throttle')
    .set({
      failures: JSON.stringify(row.failures),
      locked_until: row.locked_until,
      lockouts: row.lockouts,
      updated_at: now,
      expires_at: row.expiresAt,
    })
    .where('scope', '=', row.scope)
    .where('subject', '=', row.subject)
    .execute();
}

export async function deleteThrottleRow(tx: Tx, scope: ThrottleScope, subject: string): Promise<void> {
  await tx.deleteFrom('sign_in_throttle').where('scope', '=', scope).where('subject', '=', subject).execute();
}

/** jsonb comes back parsed from pg and PGlite alike; anything else is treated as no failures. */
function parseFailures(v: unknown): number[] {
  const a = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(a) ? a.filter((x): x is number => typeof x === 'number') : [];
}

export async function insertSession(
  tx: Tx,
  s: { tokenHash: string; userId: string; csrfToken: string; now: Date; expiresAt: Date },
): Promise<void> {
  await tx
    .insertInto('sessions')
    .values({
      token_hash: s.tokenHash,
      user_id: s.userId,
      csrf_token: s.csrfToken,
      created_at: s.now,
      expires_at: s.expiresAt,
    })
    .execute();
}

/** Compare-and-set: a password changed meanwhile is not overwritten by the rehash of the old one. */
export async function replacePasswordHash(
  tx: Tx,
  userId: string,
  oldHash: string,
  newHash: string,
): Promise<boolean> {
  const r = await tx
    .updateTable('users')
    .set({ password_hash: newHash })
    .where('id', '=', userId)
    .where('password_hash', '=', oldHash)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Bounded clean-up for housekeeping: expired console sessions and throttle rows that no longer hold a
 * failure or a lock. Safe on many instances at once (a row deleted twice is deleted once).
 */
export async function purgeExpiredSignInState(
  db: Queryable,
  now: Date,
  limit = 10_000,
): Promise<{ sessions: number; throttles: number }> {
  const sessions = await sql<{ n: number }>`
    with gone as (
      delete from sessions where token_hash in (
        select token_hash from sessions where expires_at <= ${now} limit ${limit}
      ) returning 1
    ) select count(*)::int as n from gone`.execute(db);
  const throttles = await sql<{ n: number }>`
    with gone as (
      delete from sign_in_throttle where (scope, subject) in (
        select scope, subject from sign_in_throttle where expires_at <= ${now} limit ${limit}
      ) and expires_at <= ${now} returning 1
    ) select count(*)::int as n from gone`.execute(db);
  return { sessions: sessions.rows[0]?.n ?? 0, throttles: throttles.rows[0]?.n ?? 0 };
}
