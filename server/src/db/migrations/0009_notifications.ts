import type { Kysely } from 'kysely';

/** Notifications (SPEC §9): messages per event and recipient, 站内信, mail, alerts. */
export async function up(_db: Kysely<unknown>): Promise<void> {}
