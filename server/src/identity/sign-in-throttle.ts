import type { Tx } from '../db/schema.js';
import {
  deleteThrottleRow,
  findThrottleRowForUpdate,
  lockThrottleRow,
  saveThrottleRow,
  type ThrottleRow,
  type ThrottleScope,
} from './sign-in.repository.js';

/**
 * Sign-in throttling (SPEC §11), per account (normalized email) and per client address: the 5th failure
 * within 15 minutes locks the subject for 1 minute; after that every further failure locks it again, for
 * twice as long each time (2, 4, 8, then 15 minutes at most), until it stays quiet for 15 minutes after its
 * last failure and its last lock.
 *
 * The state is in the database, not in process memory (as @fastify/rate-limit's store is): every instance
 * on one PostgreSQL must see the same count, and a restart must not wipe it. Each attempt is counted as a
 * failure *before* its password is checked, in a short transaction that locks the subject's row, so a burst
 * of parallel guesses on any number of instances gets 5 checks, not one per request. A success gives its
 * count back (and clears the account); an attempt that was never checked gives it back too.
 */
export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;
const LOCK_MINUTES = [1, 2, 4, 8, 15];

export interface Subject {
  scope: ThrottleScope;
  subject: string;
}

/** One counted attempt, to be given back by `settleAttempt` unless it failed. */
export interface Reservation extends Subject {
  atMs: number;
  /** the lock this attempt set, if it was the one that locked the subject, and the state it replaced */
  setLock: Date | null;
  previousLock: Date | null;
}

export type ReserveResult =
  | { ok: true; reservations: Reservation[] }
  | { ok: false; retryAfterSeconds: number };

function lockMs(lockouts: number): number {
  return (LOCK_MINUTES[Math.min(lockouts, LOCK_MINUTES.length - 1)] ?? 15) * 60_000;
}

/** When the row stops mattering: its last failure leaves the window and, after a lock, the quiet period ends. */
function expiresAt(failures: number[], lockedUntil: Date | null, lockouts: number): Date {
  const lastFailure = failures.length ? Math.max(...failures) + WINDOW_MS : 0;
  const lockEnd = lockedUntil ? lockedUntil.getTime() + (lockouts > 0 ? WINDOW_MS : 0) : 0;
  return new Date(Math.max(lastFailure, lockEnd));
}

/** Writes the subject's new failures and lock, with the expiry they imply. */
async function saveState(
  tx: Tx,
  row: ThrottleRow,
  state: Pick<ThrottleRow, 'failures' | 'locked_until' | 'lockouts'>,
  now: Date,
): Promise<void> {
  const expires = expiresAt(state.failures, state.locked_until, state.lockouts);
  await saveThrottleRow(tx, { ...row, ...state, expiresAt: expires }, now);
}

/**
 * Counts one attempt against every subject, or against none when any of them is locked (the answer then
 * says how long to wait: the longest of the locks). Rows are locked in the order given; callers give the
 * account before the address, always, so two attempts never wait for each other in a cycle.
 */
export async function reserveAttempt(tx: Tx, subjects: Subject[], now: Date): Promise<ReserveResult> {
  const nowMs = now.getTime();
  const rows: ThrottleRow[] = [];
  let waitMs = 0;
  for (const s of subjects) {
    const row = await lockThrottleRow(tx, s.scope, s.subject, now);
    const until = row.locked_until?.getTime() ?? 0;
    if (until > nowMs) waitMs = Math.max(waitMs, until - nowMs);
    rows.push(row);
  }
  if (waitMs > 0) return { ok: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
  const reservations: Reservation[] = [];
  for (const row of rows) {
    const recent = row.failures.filter((t) => t > nowMs - WINDOW_MS);
    const quiet = recent.length === 0 && (row.locked_until?.getTime() ?? 0) + WINDOW_MS <= nowMs;
    let lockouts = quiet ? 0 : row.lockouts;
    const failures = [...recent, nowMs];
    let lockedUntil = row.locked_until;
    let setLock: Date | null = null;
    if (failures.length >= MAX_FAILURES || lockouts > 0) {
      setLock = new Date(nowMs + lockMs(lockouts));
      lockedUntil = setLock;
      lockouts++;
    }
    await saveState(tx, row, { failures, locked_until: lockedUntil, lockouts }, now);
    reservations.push({
      scope: row.scope,
      subject: row.subject,
      atMs: nowMs,
      setLock,
      previousLock: row.locked_until,
    });
  }
  return { ok: true, reservations };
}

/**
 * After the password was checked, or could not be: a failure keeps its count (nothing to do); a success
 * clears the account and gives the address its count back; an attempt never checked gives every count back.
 */
export async function settleAttempt(
  tx: Tx,
  reservations: Reservation[],
  outcome: 'success' | 'unchecked',
  now: Date,
): Promise<void> {
  for (const r of reservations) {
    if (outcome === 'success' && r.scope === 'account') {
      await deleteThrottleRow(tx, r.scope, r.subject);
      continue;
    }
    const row = await findThrottleRowForUpdate(tx, r.scope, r.subject);
    if (!row) continue;
    const failures = [...row.failures];
    const i = failures.indexOf(r.atMs);
    if (i >= 0) failures.splice(i, 1);
    let { locked_until: lockedUntil, lockouts } = row;
    // Undo the lock this attempt set, unless a later attempt has replaced it since.
    if (r.setLock && lockedUntil?.getTime() === r.setLock.getTime()) {
      lockedUntil = r.previousLock;
      lockouts = Math.max(0, lockouts - 1);
    }
    await saveState(tx, row, { failures, locked_until: lockedUntil, lockouts }, now);
  }
}
