import { type Kysely, sql } from 'kysely';

/**
 * Opaque ledger identifiers (SPEC §11). The entries' identity column is one counter for the whole platform:
 * shown to an org it tells how many entries every org made in between. The API shows `public_id` instead, a
 * random id (`le_` and 32 hex digits) that every writer gets from the column default, unique per org; the
 * identity stays the internal order of entries. Adding the column with a volatile default fills existing
 * rows as the table is rewritten, without an UPDATE (entries are append-only).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
alter table ledger_entries
  add column public_id text not null default ('le_' || replace(gen_random_uuid()::text, '-', ''));
create unique index ledger_entries_org_public_id on ledger_entries(org_id, public_id);
`)
    .execute(db);
}
