import type { Kysely } from 'kysely';

/** Opaque ledger identifiers (SPEC §11). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
