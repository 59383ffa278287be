import type { Deps } from '../deps.js';
import { randomToken } from '../platform/ids.js';
import { dummyPasswordHash, hashPassword, hashToken, needsRehash, verifyPassword } from './secrets.js';
import { insertSession, replacePasswordHash } from './sign-in.repository.js';
import { hashingGate } from './sign-in-hashing-gate.js';
import { type Reservation, reserveAttempt, type Subject, settleAttempt } from './sign-in-throttle.js';
import { findUserByEmail } from './users.repository.js';

export const SESSION_HOURS = 12;
/**
 * Per address and process, before any database work: the routes that check a password (sign-in, accepting
 * an invitation) take at most 30 requests a minute from one address (@fastify/rate-limit, in memory). The
 * per-account and per-address failure counts are in the database (sign-in-throttle.ts) because they must
 * hold across instances and restarts; this ceiling only has to keep one address from flooding one process.
 */
export const PASSWORD_ROUTE_CEILING = { max: 30, timeWindow: 60_000 };

export type SignInResult =
  | { kind: 'signed-in'; user: { id: string; email: string }; token: string; csrfToken: string }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  | { kind: 'busy' };

/**
 * Console sign-in. The database work is three short transactions around the password check, none held
 * open while hashing (PGlite has one connection: a transaction held for the length of a hash would stall
 * every other request): count the attempt (or refuse it, costing no hash), check the password, then on
 * success clear the count, rehash an outdated hash and open the session together.
 */
export async function signIn(
  deps: Deps,
  input: { email: string; password: string; address: string },
  now: Date,
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase();
  if (!hashingGate.hasRoom()) return { kind: 'busy' };
  const address = clientAddress(input.address);
  const subjects: Subject[] = [{ scope: 'account', subject: email }];
  if (address) subjects.push({ scope: 'address', subject: address });
  const reserved = await deps.db.transaction().execute((tx) => reserveAttempt(tx, subjects, now));
  if (!reserved.ok) return { kind: 'throttled', retryAfterSeconds: reserved.retryAfterSeconds };
  const { reservations } = reserved;

  let user: Awaited<ReturnType<typeof findUserByEmail>>;
  let ok: boolean;
  try {
    user = await findUserByEmail(deps.db, email);
    // An unknown email, or a user without a password, is checked against a dummy hash: same work, same time.
    const stored = user?.password_hash ?? (await dummyPasswordHash());
    ok = await hashingGate.run(() => verifyPassword(input.password, stored));
  } catch (err) {
    await giveBack(deps, reservations, now);
    if (err instanceof Error && err.name === 'HashingBusy') return { kind: 'busy' };
    throw err;
  }
  if (!user?.password_hash || !ok) return { kind: 'invalid' };

  const oldHash = user.password_hash;
  let newHash: string | undefined;
  if (needsRehash(oldHash)) {
    // Done again at a later sign-in when the gate is full now.
    newHash = await hashingGate
      .run(() => hashPassword(input.password))
      .catch((err: unknown) => {
        if (err instanceof Error && err.name === 'HashingBusy') return undefined;
        throw err;
      });
  }
  const token = randomToken();
  const csrfToken = randomToken(24);
  const userId = user.id;
  await deps.db.transaction().execute(async (tx) => {
    await settleAttempt(tx, reservations, 'success', now);
    if (newHash) await replacePasswordHash(tx, userId, oldHash, newHash);
    await insertSession(tx, {
      tokenHash: hashToken(token),
      userId,
      csrfToken,
      now,
      expiresAt: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
    });
  });
  return { kind: 'signed-in', user: { id: user.id, email: user.email }, token, csrfToken };
}

async function giveBack(deps: Deps, reservations: Reservation[], now: Date): Promise<void> {
  await deps.db.transaction().execute((tx) => settleAttempt(tx, reservations, 'unchecked', now));
}

/**
 * The address a sign-in is counted against: IPv4-mapped IPv6 as plain IPv4; none for loopback. A loopback
 * peer is not a client but something on this machine (a local reverse proxy without trustProxy, a health
 * check): counting it would let 5 failures anywhere lock every sign-in through that proxy, so such attempts
 * are throttled per account only.
 */
export function clientAddress(ip: string): string | undefined {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;
  if (v4 === '::1' || /^127\./.test(v4)) return undefined;
  return v4.toLowerCase();
}
