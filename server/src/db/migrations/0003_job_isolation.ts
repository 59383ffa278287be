import { type Kysely, sql } from 'kysely';

/**
 * Per-org job failures, and bank references compared as the bank means them (SPEC §11).
 *
 * - `job_failures`: one row per (job, org, key — e.g. the bill month) whose work failed in a background job. The
 *   job retries it after `next_attempt_at` (exponential backoff) and deletes the row when it succeeds; the
 *   other orgs go on meanwhile. The operator sees these rows in GET /v1/internal/jobs and in /metrics.
 * - `bank_transfers.reference_key`: the bank reference trimmed and lower-cased, unique, so that `REF-X` and
 *   ` ref-x ` are one transfer; `bank_reference` keeps what the bank sent, for display. References stored
 *   before this migration that differ only in case were credited separately and stay so: the earliest keeps
 *   the normalized key, each later one gets the normalized key followed by a space and its own text (a
 *   normalized key never contains a space), so the index can be built and nothing already credited changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
create table job_failures (
  job text not null,
  org_id text not null references orgs(id),
  key text not null default '',
  attempts integer not null check (attempts >= 1),
  first_failed_at timestamptz not null,
  last_failed_at timestamptz not null,
  last_error text not null,
  next_attempt_at timestamptz not null,
  primary key (job, org_id, key)
);

alter table bank_transfers add column reference_key text;
update bank_transfers b set reference_key = case when r.n = 1 then r.k else r.k || ' ' || b.bank_reference end
from (
  select bank_reference, lower(btrim(bank_reference)) as k,
    row_number() over (partition by lower(btrim(bank_reference)) order by first_reported_at, bank_reference) as n
  from bank_transfers
) r
where r.bank_reference = b.bank_reference;
alter table bank_transfers alter column reference_key set not null;
create unique index bank_transfers_reference_key on bank_transfers(reference_key);

-- A writer that does not name the key (bulk seeding) gets the normalized form, so the index holds for it too.
create function bank_transfers_reference_key() returns trigger language plpgsql as $$
begin
  if new.reference_key is null then
    new.reference_key := lower(btrim(new.bank_reference));
  end if;
  return new;
end $$;
create trigger bank_transfers_reference_key before insert on bank_transfers
  for each row execute function bank_transfers_reference_key();
`)
    .execute(db);
}
