import { type Kysely, sql } from 'kysely';

/**
 * Notifications (SPEC §9): messages per event and recipient, 站内信, mail, alerts.
 * - Each user reads mail in their language (`users.locale`); each org has a low-balance threshold in fen
 *   (strictly below it is low; ¥100.00 by default).
 * - The notification job reads the outbox with its own progress mark (`notified_at`; `processed_at` is
 *   provisioning's). Events written before this migration were never meant to be told: they are marked.
 * - `notification_alerts` holds each time-based alert once (an expiry reminder per cluster, term end and
 *   milestone; the 24-hour reminder per order; each step of a low-balance episode): the job inserts the key
 *   and writes the alert's outbox event in the same transaction, so that every instance may scan.
 * - `balance_low_episodes`: one open episode per org at most (a partial unique index); it closes when the
 *   cash recovers.
 * - `notifications` (站内信) and `mails` hold one row per event and recipient (unique), however often the job
 *   runs and however many instances run it. A mail is `pending` until sent (retried with backoff), `failed`
 *   after its last attempt (the operator may retry it), or `kept` when no SMTP server is configured.
 * - `notification_settings`: the categories a user muted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
alter table users add column locale text not null default 'zh-CN' check (locale in ('zh-CN', 'en'));
alter table orgs add column low_balance_threshold bigint not null default 10000
  check (low_balance_threshold >= 0);

alter table outbox_events add column notified_at timestamptz;
update outbox_events set notified_at = created_at;
create index outbox_events_to_notify on outbox_events(id) where notified_at is null;

create table notification_alerts (
  org_id text not null,
  key text not null,
  created_at timestamptz not null,
  primary key (org_id, key)
);

create table balance_low_episodes (
  org_id text not null,
  episode integer not null check (episode >= 1),
  threshold bigint not null,
  started_at timestamptz not null,
  recovered_at timestamptz,
  primary key (org_id, episode)
);
create unique index balance_low_one_open on balance_low_episodes(org_id) where recovered_at is null;

create table notifications (
  org_id text not null,
  id text not null,
  user_id text not null,
  event_key text not null,
  category text not null,
  title text not null,
  body text not null,
  link text not null,
  created_at timestamptz not null,
  read_at timestamptz,
  primary key (org_id, id),
  unique (org_id, event_key, user_id)
);
create index notifications_inbox on notifications(user_id, (read_at is null), created_at, id);

create table mails (
  org_id text not null,
  id text not null,
  user_id text not null,
  event_key text not null,
  to_address text not null,
  locale text not null,
  category text not null,
  subject text not null,
  text_body text not null,
  html_body text not null,
  status text not null check (status in ('pending', 'sent', 'failed', 'kept')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null,
  last_error text,
  created_at timestamptz not null,
  sent_at timestamptz,
  primary key (org_id, id),
  unique (org_id, event_key, user_id)
);
create index mails_due on mails(next_attempt_at) where status = 'pending';
create index mails_newest on mails(created_at, id);
create index mails_to on mails(lower(to_address), created_at, id);
create index mails_failed on mails(created_at) where status = 'failed';

create table notification_settings (
  user_id text primary key,
  muted jsonb not null default '[]',
  updated_at timestamptz not null
);
`)
    .execute(db);
}
