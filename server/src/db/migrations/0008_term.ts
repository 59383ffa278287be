import { type Kysely, sql } from 'kysely';

/**
 * The subscription term (SPEC §8).
 * - Clusters gain the timeline's states: expiring, expired, recycled (回收站) and deleted. The instants come
 *   from `term_ends_at` (+ 7 and + 37 days), so no column is added; the sweeper's index is over the term end
 *   of the clusters it may still move.
 * - Orders gain the type `renewal` (续订); `cancel_at` is when the system cancels an unpaid order because of
 *   its cluster (an upgrade at expiry, a renewal at recycle), set when the order is made, since nothing can
 *   move the cluster's term end while such an order is unpaid; `created_by` is null for the system's orders
 *   (auto-renew). The at-most-one rule covers upgrades and renewals together.
 * - The history row says why the system made a change (`reason`).
 * - The org's 自动续订 switch, and the record of every auto-renew attempt, once per cluster, term end and k.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
alter table clusters drop constraint clusters_state_check;
alter table clusters add constraint clusters_state_check check (state in
  ('pending_payment', 'creating', 'running', 'upgrading', 'expiring', 'expired', 'recycled', 'deleted', 'cancelled'));
create index clusters_term_timeline on clusters(term_ends_at)
  where state in ('running', 'expiring', 'expired', 'recycled');

alter table orders drop constraint orders_type_check;
alter table orders add constraint orders_type_check check (type in ('new_purchase', 'upgrade', 'renewal'));
alter table orders add column cancel_at timestamptz;
alter table orders add constraint orders_cancel_at_only_for_changes check (cancel_at is null or type <> 'new_purchase');
alter table orders alter column created_by drop not null;
drop index orders_one_unpaid_upgrade;
create unique index orders_one_unpaid_change on orders(org_id, cluster_id)
  where type in ('upgrade', 'renewal') and status = 'unpaid';
create index orders_unpaid_cancel_at on orders(cancel_at) where status = 'unpaid' and cancel_at is not null;

alter table order_history add column reason text
  check (reason is null or reason in ('cluster_expired', 'cluster_recycled'));

alter table orgs add column auto_renew boolean not null default false;
alter table orgs add column auto_renew_updated_at timestamptz;
alter table orgs add column auto_renew_updated_by text;

create table renewal_attempts (
  org_id text not null,
  cluster_id text not null,
  term_ends_at timestamptz not null,
  k smallint not null check (k between 0 and 13),
  at timestamptz not null,
  outcome text not null check (outcome in ('paid', 'failed', 'skipped')),
  order_id text,
  amount bigint check (amount >= 0),
  shortfall bigint check (shortfall >= 0),
  currency text not null,
  reason text,
  recorded_at timestamptz not null,
  primary key (org_id, cluster_id, term_ends_at, k)
);
create index renewal_attempts_cluster_at on renewal_attempts(org_id, cluster_id, at desc);
`)
    .execute(db);
}
