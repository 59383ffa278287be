import { type Kysely, sql } from 'kysely';

/**
 * Sign-in throttling state (SPEC §11). One row per throttled subject: an account (normalized email, whether
 * or not such a user exists, so the answer does not tell) or a client address. `failures` holds the epoch
 * milliseconds of the failed (or still running) attempts of the last 15 minutes; `locked_until` is when the
 * subject may try again and `lockouts` how many locks it has had since it last stayed quiet for 15 minutes
 * (each lock is longer); `expires_at` is when the row no longer matters and housekeeping may delete it.
 * Console sessions get an index on their expiry for the same clean-up.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
create table sign_in_throttle (
  scope text not null check (scope in ('account', 'address')),
  subject text not null,
  failures jsonb not null default '[]',
  locked_until timestamptz,
  lockouts integer not null default 0 check (lockouts >= 0),
  updated_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (scope, subject)
);
create index sign_in_throttle_expires on sign_in_throttle(expires_at);
create index sessions_expires on sessions(expires_at);
`)
    .execute(db);
}
