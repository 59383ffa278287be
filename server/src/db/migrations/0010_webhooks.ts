import { type Kysely, sql } from 'kysely';

/**
 * Webhooks (SPEC §9): endpoints, deliveries and their attempts.
 * - An endpoint keeps its signing secret in clear: the server signs with it on every attempt, so a hash
 *   cannot serve (the secret is shown once and rotated, never listed).
 * - One delivery per (event, endpoint): the unique key makes the fan-out idempotent however many instances
 *   run it. The body is stored as sent, so every retry carries the same bytes and event id.
 * - `next_attempt_at` is both the schedule and the claim: an instance that takes a delivery moves it a lease
 *   ahead (with SKIP LOCKED), and records the outcome only if nobody recorded an attempt meanwhile.
 * - The outbox's own progress column for this consumer: `webhooked_at`. Events written before webhooks
 *   existed had no endpoint to reach, so they are marked done.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
alter table outbox_events add column webhooked_at timestamptz;
update outbox_events set webhooked_at = created_at;
create index outbox_events_unwebhooked on outbox_events(id) where webhooked_at is null;

create table webhook_endpoints (
  org_id text not null,
  id text not null,
  url text not null check (length(url) <= 2048),
  events text[] not null check (cardinality(events) between 1 and 32),
  secret text not null,
  created_by text,
  created_at timestamptz not null,
  secret_rotated_at timestamptz,
  primary key (org_id, id)
);

create table webhook_deliveries (
  org_id text not null,
  id text not null,
  endpoint_id text not null,
  event_id text not null,
  event_type text not null,
  outbox_id bigint not null,
  body text not null,
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  attempt_count integer not null default 0 check (attempt_count >= 0),
  first_attempt_at timestamptz,
  next_attempt_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (org_id, id),
  unique (org_id, endpoint_id, event_id),
  foreign key (org_id, endpoint_id) references webhook_endpoints(org_id, id) on delete cascade,
  check ((status = 'pending') = (next_attempt_at is not null))
);
create index webhook_deliveries_due on webhook_deliveries(next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint on webhook_deliveries(org_id, endpoint_id, created_at desc, id desc);
create index webhook_deliveries_failed on webhook_deliveries(updated_at desc, id desc) where status = 'failed';
create index webhook_deliveries_id on webhook_deliveries(id);

create table webhook_attempts (
  org_id text not null,
  delivery_id text not null,
  n integer not null check (n >= 1),
  at timestamptz not null,
  status_code integer,
  error text,
  duration_ms integer not null check (duration_ms >= 0),
  primary key (org_id, delivery_id, n),
  foreign key (org_id, delivery_id) references webhook_deliveries(org_id, id) on delete cascade
);
`)
    .execute(db);
}
