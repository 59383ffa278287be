import type { Kysely } from 'kysely';

/** Webhooks (SPEC §9): endpoints, deliveries and their attempts. */
export async function up(_db: Kysely<unknown>): Promise<void> {}
