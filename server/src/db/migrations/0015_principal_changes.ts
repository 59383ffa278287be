import { type Kysely, sql } from 'kysely';

/**
 * Every change to what authenticates a caller — an API key's revocation or removal, a user's email, an org
 * membership, a project role — is announced on the channel `tally_principals` with the user's id, by the
 * database itself (a trigger), whichever code or tool made it. Each Tally process keeps the principals behind
 * recent API keys (identity/principal-cache.ts) and forgets a user's the moment it hears of a change; the
 * announcement is sent at the change's commit, never before. Writes of `last_used_at` are not announced.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create function principal_changed() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    perform pg_notify('tally_principals', old.user_id);
    return old;
  end if;
  perform pg_notify('tally_principals', new.user_id);
  if tg_op = 'UPDATE' and old.user_id is distinct from new.user_id then
    perform pg_notify('tally_principals', old.user_id);
  end if;
  return new;
end $$;

create trigger api_keys_principal_changed
  after insert or delete or update of revoked_at, user_id, org_id on api_keys
  for each row execute function principal_changed();
create trigger memberships_principal_changed
  after insert or delete or update on memberships
  for each row execute function principal_changed();
create trigger project_roles_principal_changed
  after insert or delete or update on project_roles
  for each row execute function principal_changed();
create function user_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('tally_principals', coalesce(new.id, old.id));
  return null;
end $$;
create trigger users_principal_changed
  after delete or update of id, email on users
  for each row execute function user_changed();
`.execute(db);
}
