import type { Queryable, Tx } from '../db/schema.js';

export type ApiKeyRow = {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const COLUMNS = ['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'] as const;

export async function insertApiKey(
  tx: Tx,
  k: { keyHash: string; id: string; orgId: string; userId: string; name: string; prefix: string; now: Date },
): Promise<ApiKeyRow> {
  return tx
    .insertInto('api_keys')
    .values({
      key_hash: k.keyHash,
      id: k.id,
      org_id: k.orgId,
      user_id: k.userId,
      name: k.name,
      prefix: k.prefix,
      created_at: k.now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/**
 * Locks the membership the keys hang from, so that concurrent creations by one user in one org count their
 * keys one after the other. False when there is no such membership.
 */
export async function lockMembership(tx: Tx, orgId: string, userId: string): Promise<boolean> {
  const r = await tx
    .selectFrom('memberships')
    .select('user_id')
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  return r !== undefined;
}

export async function countActiveKeys(db: Queryable, orgId: string, userId: string): Promise<number> {
  const r = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** One user's keys in one org, newest first, `limit + 1` rows from the cursor on. */
export async function listApiKeys(
  db: Queryable,
  orgId: string,
  userId: string,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<ApiKeyRow[]> {
  let q = db.selectFrom('api_keys').select(COLUMNS).where('org_id', '=', orgId).where('user_id', '=', userId);
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
      ]),
    );
  }
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
}

/** Compare-and-set: revokes the caller's own live key; undefined when it is unknown or already revoked. */
export async function revokeApiKey(
  tx: Tx,
  orgId: string,
  userId: string,
  id: string,
  now: Date,
): Promise<ApiKeyRow | undefined> {
  return tx
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning(COLUMNS)
    .executeTakeFirst();
}

export async function getApiKey(db: Queryable, orgId: string, userId: string, id: string) {
  return db
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
}
