import type { Kysely } from 'kysely';

/** Sign-in throttling state (SPEC §11). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
