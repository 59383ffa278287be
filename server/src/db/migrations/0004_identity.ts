import type { Kysely } from 'kysely';

/** API keys scoped to one user in one org, invitations (SPEC §11). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
