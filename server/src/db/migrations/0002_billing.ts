import { type Kysely, sql } from 'kysely';

/**
 * Pay-as-you-go usage and monthly bills (SPEC §4–§5). What the database enforces:
 * - a usage event is recorded once per (org, event id), however often it is sent;
 * - one bill per (org, month): the unique key that makes issuing idempotent across instances;
 * - a bill's totals are the sums of its parts (checks below, and lines are written in the same transaction);
 * - nothing is negative; coupons never pay an order line (coupon_amount = 0 on subscription lines).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
create table usage_events (
  org_id text not null references orgs(id),
  id text not null,
  cluster_id text not null,
  metric text not null check (metric in ('storage', 'backup')),
  quantity_milli bigint not null check (quantity_milli >= 0),
  start_at timestamptz not null,
  end_at timestamptz not null check (end_at > start_at),
  units integer not null check (units >= 1),
  micros_per_unit bigint not null check (micros_per_unit >= 0),
  bill_month text not null check (bill_month ~ '^[0-9]{4}-[0-9]{2}$'),
  received_at timestamptz not null,
  primary key (org_id, id),
  foreign key (org_id, cluster_id) references clusters(org_id, id)
);
create index usage_events_org_month on usage_events(org_id, bill_month);

create index orders_org_bill_month on orders(org_id, bill_month) where bill_month is not null;

create table bills (
  org_id text not null references orgs(id),
  month text not null check (month ~ '^[0-9]{4}-[0-9]{2}$'),
  currency text not null,
  status text not null check (status in ('unpaid', 'paid', 'overdue')),
  total_amount bigint not null check (total_amount >= 0),
  prepaid_amount bigint not null check (prepaid_amount >= 0),
  usage_amount bigint not null check (usage_amount >= 0),
  coupon_amount bigint not null check (coupon_amount >= 0 and coupon_amount <= usage_amount),
  amount_due bigint not null check (amount_due >= 0),
  paid_amount bigint not null default 0 check (paid_amount >= 0 and paid_amount <= amount_due),
  period_start timestamptz not null,
  period_end timestamptz not null check (period_end > period_start),
  issued_at timestamptz not null,
  due_at timestamptz not null check (due_at > issued_at),
  paid_at timestamptz,
  overdue_at timestamptz,
  ledger_txn_id text,
  primary key (org_id, month),
  check (total_amount = prepaid_amount + usage_amount),
  check (amount_due = usage_amount - coupon_amount),
  check ((status = 'paid') = (paid_at is not null)),
  check (status <> 'paid' or paid_amount = amount_due),
  check ((status = 'overdue') = (overdue_at is not null))
);
create index bills_unpaid_due on bills(due_at) where status = 'unpaid';
create index bills_org_open on bills(org_id, month) where status in ('unpaid', 'overdue');

create table bill_lines (
  org_id text not null,
  month text not null,
  line_no integer not null check (line_no >= 1),
  kind text not null check (kind in ('subscription', 'usage')),
  order_id text,
  order_type text,
  cluster_id text not null,
  cluster_name text not null,
  region text,
  metric text check (metric in ('storage', 'backup')),
  quantity_milli bigint check (quantity_milli >= 0),
  unit text,
  micros_per_unit bigint,
  at timestamptz,
  amount bigint not null check (amount >= 0),
  coupon_amount bigint not null check (coupon_amount >= 0 and coupon_amount <= amount),
  due_amount bigint not null check (due_amount >= 0),
  primary key (org_id, month, line_no),
  foreign key (org_id, month) references bills(org_id, month),
  check (kind = 'usage' or coupon_amount = 0),
  check ((kind = 'subscription') = (order_id is not null)),
  check (due_amount = case when kind = 'usage' then amount - coupon_amount else 0 end)
);

create table bill_coupon_applications (
  org_id text not null,
  month text not null,
  coupon_id text not null,
  line_no integer not null,
  amount bigint not null check (amount > 0),
  primary key (org_id, month, coupon_id, line_no),
  foreign key (org_id, month, line_no) references bill_lines(org_id, month, line_no),
  foreign key (org_id, coupon_id) references coupons(org_id, id)
);
`)
    .execute(db);
}
