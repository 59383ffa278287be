import type { Queryable, Tx } from '../db/schema.js';

export async function insertInvitation(
  tx: Tx,
  i: { tokenHash: string; orgId: string; userId: string; now: Date; expiresAt: Date },
) {
  await tx
    .insertInto('invitations')
    .values({
      token_hash: i.tokenHash,
      org_id: i.orgId,
      user_id: i.userId,
      created_at: i.now,
      expires_at: i.expiresAt,
    })
    .execute();
}

export async function findInvitation(db: Queryable, tokenHash: string) {
  return db
    .selectFrom('invitations as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['i.user_id', 'i.expires_at', 'i.used_at', 'u.email', 'u.password_hash'])
    .where('i.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Compare-and-set: claims an unused, unexpired invitation; undefined when another use or time won. */
export async function claimInvitation(tx: Tx, tokenHash: string, now: Date) {
  return tx
    .updateTable('invitations')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('user_id')
    .executeTakeFirst();
}

/** Sets a password only where there is none: an invitation never replaces one. */
export async function setPasswordIfNone(tx: Tx, userId: string, passwordHash: string): Promise<boolean> {
  const r = await tx
    .updateTable('users')
    .set({ password_hash: passwordHash })
    .where('id', '=', userId)
    .where('password_hash', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

/** The user's other open invitations end with the one that set the password. */
export async function closeOpenInvitations(tx: Tx, userId: string, now: Date) {
  await tx
    .updateTable('invitations')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute();
}
