import type { Kysely } from 'kysely';

/** Invoices (发票, SPEC §10.4): the org's certification data, requests and their items. */
export async function up(_db: Kysely<unknown>): Promise<void> {}
