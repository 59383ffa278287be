import type { Db, Queryable, Tx } from '../db/schema.js';
import { AppError } from '../platform/errors.js';
import { randomToken } from '../platform/ids.js';
import * as repo from './invitations.repository.js';
import { hashPassword, hashToken } from './secrets.js';
import { HashingBusy, hashingGate } from './sign-in-hashing-gate.js';

/** How long an invitation link works (SPEC §11). */
export const INVITATION_HOURS = 72;

/** The console page that accepts an invitation, on the public URL (config.publicUrl, no trailing slash). */
export const invitationUrl = (publicUrl: string, token: string) => `${publicUrl}/invite/${token}`;

/**
 * A one-time link for a user without a password to set one. The token is answered this once; only its
 * SHA-256 is stored.
 */
export async function createInvitation(
  tx: Tx,
  input: { orgId: string; userId: string },
  now: Date,
  publicUrl: string,
) {
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + INVITATION_HOURS * 3_600_000);
  await repo.insertInvitation(tx, { tokenHash: hashToken(token), ...input, now, expiresAt });
  return { url: invitationUrl(publicUrl, token), expiresAt };
}

function invalid(reason: 'unknown' | 'used' | 'expired'): AppError {
  const message = {
    unknown: 'this invitation link is not valid',
    used: 'this invitation link was already used: sign in with your password',
    expired: `this invitation link has expired (links work for ${INVITATION_HOURS} hours): ask for a new one`,
  }[reason];
  return new AppError('INVITATION_INVALID', message, { reason });
}

async function openInvitation(db: Queryable, token: string, now: Date) {
  const row = await repo.findInvitation(db, hashToken(token));
  if (!row) throw invalid('unknown');
  if (row.used_at || row.password_hash) throw invalid('used');
  if (row.expires_at <= now) throw invalid('expired');
  return row;
}

/** GET /v1/invitations/{token}: whom the link is for, so the page can say so. */
export async function describeInvitation(db: Queryable, token: string, now: Date) {
  const row = await openInvitation(db, token, now);
  return { email: row.email, expiresAt: row.expires_at };
}

/**
 * POST /v1/invitations/{token}/accept: sets the user's password, once. The link is checked and the password
 * hashed first, through the process's hashing gate and with no transaction open (PGlite has one connection);
 * then the claim and the password are two compare-and-sets in one short transaction: a used, expired or
 * unknown link, or a user who already has a password, changes nothing. A full gate is 503 UNAVAILABLE.
 */
export async function acceptInvitation(db: Db, token: string, password: string, now: Date) {
  const row = await openInvitation(db, token, now);
  let passwordHash: string;
  try {
    passwordHash = await hashingGate.run(() => hashPassword(password));
  } catch (err) {
    if (err instanceof HashingBusy) {
      throw new AppError('UNAVAILABLE', 'too many password operations in progress; retry', {
        retryAfterSeconds: 1,
      });
    }
    throw err;
  }
  return db.transaction().execute(async (tx) => {
    const claimed = await repo.claimInvitation(tx, hashToken(token), now);
    if (!claimed) throw invalid('used');
    if (!(await repo.setPasswordIfNone(tx, claimed.user_id, passwordHash))) throw invalid('used');
    await repo.closeOpenInvitations(tx, claimed.user_id, now);
    return { user: { id: claimed.user_id, email: row.email }, passwordSet: true };
  });
}
