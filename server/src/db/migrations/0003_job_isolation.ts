import type { Kysely } from 'kysely';

/** Per-org job failures and transfers held for an operator (SPEC §11). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
