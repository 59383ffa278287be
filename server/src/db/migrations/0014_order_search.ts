import { type Kysely, sql } from 'kysely';

/**
 * Searching an org's orders (`q`: an order id's beginning, or any part of the cluster name) through a trigram
 * index, instead of reading every order of the org (or of the table: the planner cannot estimate a substring
 * match and chose a full scan of 1,000,000 orders for one org's search).
 *
 * The index is on its own insert-only table, `order_search`: one row per order, written with the order, holding
 * what a search matches (the order id and the cluster name, neither of which ever changes). An index on
 * `orders` itself would be written again by every update of an order (paying, the sweep): those updates are
 * never HOT, so each would add its trigrams to the index.
 *
 * pg_trgm is a trusted extension (a database owner may create it). It is created in a schema of its own,
 * `extensions`, shared by every schema of the database (tests migrate one schema per file and drop it after):
 * dropping a schema must never drop the extension under another schema's index. If the extension already exists
 * (in any schema), it is used as it is and nothing is created.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // "if not exists" is not safe against a concurrent creation: schemas migrating at once take turns here.
  await sql`select pg_advisory_xact_lock(hashtext('tally:extensions'))`.execute(db);
  const schemaOfTrgm = async () =>
    (
      await sql<{ schema: string }>`
        select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname = 'pg_trgm'`.execute(db)
    ).rows[0]?.schema;
  // Created only when missing: a role that may not create schemas works on a database prepared for it.
  if (!(await schemaOfTrgm())) {
    await sql`create schema if not exists extensions`.execute(db);
    await sql`create extension pg_trgm with schema extensions`.execute(db);
  }
  const schema = await schemaOfTrgm();
  if (!schema) throw new Error('pg_trgm was created but is not found');
  await sql`
    create table order_search (
      org_id text not null,
      order_id text not null,
      -- the order id and the cluster name, as one text for one trigram index
      text text not null,
      primary key (org_id, order_id)
    )`.execute(db);
  await sql`insert into order_search (org_id, order_id, text)
    select org_id, id, id || ' ' || cluster_name from orders`.execute(db);
  await sql`create index order_search_text on order_search using gin (text ${sql.raw(
    `"${schema.replaceAll('"', '""')}".gin_trgm_ops`,
  )})`.execute(db);
}
