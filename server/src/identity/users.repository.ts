import type { Queryable, Tx } from '../db/schema.js';

export async function findUserByEmail(db: Queryable, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function insertUser(
  tx: Tx,
  u: { id: string; email: string; passwordHash: string | null; now: Date },
) {
  await tx
    .insertInto('users')
    .values({ id: u.id, email: u.email, password_hash: u.passwordHash, created_at: u.now })
    .execute();
}
