import { type Kysely, sql } from 'kysely';

/**
 * The core schema. Invariants the database itself enforces, so that no code path can break them:
 * - a cash balance never goes negative (CHECK on balances.cash);
 * - ledger entries are append-only (trigger) and every ledger transaction is unique per (kind, reference),
 *   so an order is debited at most once and a bank reference credited at most once;
 * - an order's history has one creation row (seq 1) and at most one final row (seq 2);
 * - a cluster has at most one unpaid upgrade order (partial unique index).
 * Every org-owned table carries org_id in its primary and unique keys (shardable by org).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
create table orgs (
  id text primary key,
  name text not null,
  currency text not null,
  time_zone text not null,
  certified boolean not null,
  remittance_code text not null unique check (remittance_code ~ '^[1-9][0-9]{8}$'),
  created_at timestamptz not null
);

create table users (
  id text primary key,
  email text not null unique,
  password_hash text,
  created_at timestamptz not null
);

create table api_keys (
  key_hash text primary key,
  user_id text not null references users(id),
  prefix text not null,
  created_at timestamptz not null
);
create index api_keys_user on api_keys(user_id);

create table sessions (
  token_hash text primary key,
  user_id text not null references users(id),
  csrf_token text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null
);

create table memberships (
  org_id text not null references orgs(id),
  user_id text not null references users(id),
  org_role text not null check (org_role in ('org_admin', 'org_billing_admin', 'org_member')),
  created_at timestamptz not null,
  primary key (org_id, user_id)
);
create index memberships_user on memberships(user_id);

create table projects (
  org_id text not null references orgs(id),
  id text not null,
  name text not null,
  created_at timestamptz not null,
  primary key (org_id, id)
);

create table project_roles (
  org_id text not null,
  project_id text not null,
  user_id text not null,
  role text not null check (role in ('project_admin', 'project_editor', 'project_viewer')),
  primary key (org_id, project_id, user_id),
  foreign key (org_id, project_id) references projects(org_id, id),
  foreign key (org_id, user_id) references memberships(org_id, user_id)
);

create table clusters (
  org_id text not null,
  id text not null,
  project_id text not null,
  name text not null,
  region text not null,
  cu_type text not null,
  cu_size integer not null check (cu_size > 0),
  replicas integer not null check (replicas > 0),
  term_unit text not null check (term_unit in ('month', 'year')),
  term_count integer not null check (term_count > 0),
  state text not null check (state in ('pending_payment', 'creating', 'running', 'upgrading', 'cancelled')),
  payment_deadline timestamptz,
  term_ends_at timestamptz,
  target_cu_size integer,
  target_replicas integer,
  ready_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (org_id, id),
  foreign key (org_id, project_id) references projects(org_id, id)
);
create index clusters_provisioning on clusters(ready_at) where state in ('creating', 'upgrading');

create table orders (
  org_id text not null references orgs(id),
  id text not null,
  project_id text not null,
  cluster_id text not null,
  cluster_name text not null,
  type text not null check (type in ('new_purchase', 'upgrade')),
  status text not null check (status in ('unpaid', 'paid', 'cancelled', 'timed_out')),
  currency text not null,
  amount bigint not null check (amount >= 0),
  list_amount bigint not null check (list_amount >= 0),
  discount_amount bigint not null check (discount_amount >= 0 and discount_amount = list_amount - amount),
  config jsonb not null,
  config_before jsonb,
  pricing jsonb not null,
  created_at timestamptz not null,
  expires_at timestamptz not null check (expires_at > created_at),
  paid_at timestamptz,
  cancelled_at timestamptz,
  timed_out_at timestamptz,
  created_by text not null,
  paid_by text,
  cancelled_by text,
  bill_month text check (bill_month ~ '^[0-9]{4}-[0-9]{2}$'),
  primary key (org_id, id),
  foreign key (org_id, cluster_id) references clusters(org_id, id),
  check ((status = 'paid') = (paid_at is not null)),
  check ((status = 'paid') = (bill_month is not null)),
  check ((status = 'cancelled') = (cancelled_at is not null)),
  check ((status = 'timed_out') = (timed_out_at is not null)),
  check (paid_at is null or paid_at < expires_at)
);
create index orders_org_created on orders(org_id, created_at desc, id desc);
create index orders_org_status_created on orders(org_id, status, created_at desc, id desc);
create index orders_org_project_created on orders(org_id, project_id, created_at desc, id desc);
create index orders_org_cluster on orders(org_id, cluster_id);
create index orders_unpaid_deadline on orders(expires_at) where status = 'unpaid';
create unique index orders_one_unpaid_upgrade on orders(org_id, cluster_id) where type = 'upgrade' and status = 'unpaid';

create table order_history (
  org_id text not null,
  order_id text not null,
  seq smallint not null check (seq in (1, 2)),
  from_status text,
  to_status text not null,
  actor_type text not null check (actor_type in ('user', 'system', 'operator')),
  actor_id text,
  at timestamptz not null,
  recorded_at timestamptz not null,
  primary key (org_id, order_id, seq),
  foreign key (org_id, order_id) references orders(org_id, id)
);

create table balances (
  org_id text primary key references orgs(id),
  currency text not null,
  cash bigint not null check (cash >= 0),
  updated_at timestamptz not null
);

create table ledger_transactions (
  org_id text not null references orgs(id),
  id text not null,
  kind text not null check (kind in ('topup', 'order_payment', 'bill_payment', 'reversal')),
  ref_id text not null,
  memo text,
  created_at timestamptz not null,
  primary key (org_id, id),
  unique (org_id, kind, ref_id)
);

create table ledger_entries (
  org_id text not null,
  id bigint generated always as identity,
  txn_id text not null,
  account text not null check (account in ('cash', 'bank_clearing', 'subscription_revenue', 'payg_revenue')),
  amount bigint not null check (amount <> 0),
  currency text not null,
  order_id text,
  created_at timestamptz not null,
  primary key (org_id, id),
  foreign key (org_id, txn_id) references ledger_transactions(org_id, id)
);
create index ledger_entries_org_txn on ledger_entries(org_id, txn_id);
create index ledger_entries_org_account on ledger_entries(org_id, account, id desc);

create function ledger_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger entries are append-only: correct a mistake with a reversing entry';
end $$;
create trigger ledger_entries_append_only before update or delete on ledger_entries
  for each row execute function ledger_is_append_only();
create trigger ledger_transactions_append_only before update or delete on ledger_transactions
  for each row execute function ledger_is_append_only();

create table bank_transfers (
  bank_reference text primary key,
  remittance_code text not null,
  amount bigint not null check (amount > 0),
  currency text not null,
  status text not null check (status in ('credited', 'unmatched')),
  reason text,
  org_id text references orgs(id),
  topup_id text,
  report_count integer not null default 1,
  first_reported_at timestamptz not null,
  last_reported_at timestamptz not null
);
create index bank_transfers_unmatched on bank_transfers(first_reported_at) where status = 'unmatched';

create table topups (
  org_id text not null references orgs(id),
  id text not null,
  bank_reference text not null,
  amount bigint not null check (amount > 0),
  currency text not null,
  ledger_txn_id text not null,
  created_at timestamptz not null,
  primary key (org_id, id),
  unique (org_id, bank_reference)
);
create index topups_org_created on topups(org_id, created_at desc, id desc);

create table coupons (
  org_id text not null references orgs(id),
  id text not null,
  currency text not null,
  amount bigint not null check (amount > 0),
  remaining bigint not null check (remaining >= 0 and remaining <= amount),
  expires_at timestamptz not null,
  granted_by text not null,
  created_at timestamptz not null,
  primary key (org_id, id)
);

create table outbox_events (
  org_id text not null,
  id bigint generated always as identity,
  type text not null,
  aggregate_id text not null,
  payload jsonb not null,
  created_at timestamptz not null,
  processed_at timestamptz,
  primary key (org_id, id)
);
create index outbox_pending on outbox_events(id) where processed_at is null;

create table idempotency_keys (
  scope text not null,
  key text not null,
  request_hash text not null,
  status_code integer not null,
  response text,
  created_at timestamptz not null,
  primary key (scope, key)
);
create index idempotency_keys_created on idempotency_keys(created_at);

create table test_clock (
  id integer primary key check (id = 1),
  offset_ms bigint not null
);
`)
    .execute(db);
}
