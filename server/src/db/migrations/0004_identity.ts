import { type Kysely, sql } from 'kysely';

/**
 * API keys scoped to one user in one org, and invitations (SPEC §11).
 *
 * An API key now names its org: `(org_id, user_id)` references the membership, so a key can only ever act
 * in an org its user belongs to, and requests authenticated by it see that org alone. Keys issued before
 * this migration belonged to the user; each is given the org whose membership was created at, or most
 * recently before, the key's creation (the member-adding use case created both in one transaction, with
 * the same timestamp), else the user's earliest later membership. A key whose user has no membership at
 * all granted nothing and is deleted. Existing keys get a stable id derived from their hash and the name
 * `default`.
 *
 * Invitations let a user without a password set one, once, within 72 hours; only the token's SHA-256 is
 * stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
alter table api_keys add column id text;
alter table api_keys add column org_id text;
alter table api_keys add column name text;
alter table api_keys add column last_used_at timestamptz;
alter table api_keys add column revoked_at timestamptz;

update api_keys k set
  id = 'key_' || upper(left(k.key_hash, 26)),
  name = 'default',
  org_id = (
    select m.org_id from memberships m
    where m.user_id = k.user_id
    order by (m.created_at <= k.created_at) desc,
      case when m.created_at <= k.created_at then k.created_at - m.created_at else m.created_at - k.created_at end,
      m.org_id
    limit 1
  );
delete from api_keys where org_id is null;

alter table api_keys alter column id set not null;
alter table api_keys alter column org_id set not null;
alter table api_keys alter column name set not null;
alter table api_keys add constraint api_keys_org_id_key unique (org_id, id);
alter table api_keys add constraint api_keys_membership_fk
  foreign key (org_id, user_id) references memberships(org_id, user_id);
alter table api_keys add constraint api_keys_name_check check (length(name) between 1 and 64);
alter table api_keys add constraint api_keys_revoked_check check (revoked_at is null or revoked_at >= created_at);
drop index api_keys_user;
create index api_keys_owner on api_keys(org_id, user_id, created_at);

create table invitations (
  token_hash text primary key,
  org_id text not null,
  user_id text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null check (expires_at > created_at),
  used_at timestamptz,
  foreign key (org_id, user_id) references memberships(org_id, user_id)
);
create index invitations_user on invitations(user_id);
`)
    .execute(db);
}
