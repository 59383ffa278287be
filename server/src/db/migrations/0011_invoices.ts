import { type Kysely, sql } from 'kysely';

/**
 * Invoices (发票, SPEC §10.4): the org's certification data, requests and their items. What the database
 * enforces:
 * - an item (a bill by its month, an order by its id) is in at most one request that has not failed: the
 *   partial unique index on invoice_items, so concurrent requests naming the same item cannot both commit;
 *   a failed request's items are released in the same transaction that fails it (`active` = false);
 * - an automatic request is made at most once per bill (auto_bill_month unique per org), failed or not; one
 *   refused because the org had no certification data is kept as failed, without a buyer;
 * - an invoice's total is the sum of its items (written in one transaction; every amount is positive);
 * - issued and failed carry what makes them so (number, date; reason), and nothing else does.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
alter table orgs
  add column cert_kind text check (cert_kind in ('enterprise', 'personal')),
  add column cert_title text,
  add column cert_tax_id text,
  add column cert_address text,
  add column cert_phone text,
  add column cert_bank text,
  add column cert_bank_account text,
  add constraint orgs_cert_title check ((cert_kind is null) = (cert_title is null)),
  add constraint orgs_cert_enterprise check (cert_kind is distinct from 'enterprise' or cert_tax_id is not null);

create table invoices (
  org_id text not null references orgs(id),
  id text not null,
  type text not null check (type in ('normal', 'special')),
  status text not null check (status in ('requested', 'issued', 'failed')),
  currency text not null,
  total_amount bigint not null check (total_amount > 0),
  buyer_kind text check (buyer_kind in ('enterprise', 'personal')),
  buyer_title text,
  buyer_tax_id text,
  buyer_address text,
  buyer_phone text,
  buyer_bank text,
  buyer_bank_account text,
  remark text,
  emails jsonb not null,
  auto_bill_month text,
  requested_by text,
  requested_at timestamptz not null,
  number text,
  issued_at timestamptz,
  failed_at timestamptz,
  failure_reason text,
  updated_at timestamptz not null,
  primary key (org_id, id),
  check ((buyer_kind is null) = (buyer_title is null)),
  check (buyer_kind is not null or (status = 'failed' and auto_bill_month is not null)),
  check (status = 'failed' or type = 'normal' or (buyer_kind = 'enterprise' and buyer_tax_id is not null)),
  check ((status = 'issued') = (number is not null and issued_at is not null)),
  check ((status = 'failed') = (failed_at is not null and failure_reason is not null)),
  check (auto_bill_month is null or requested_by is null)
);
create index invoices_org_requested on invoices(org_id, requested_at desc, id desc);
create index invoices_id on invoices(id);
create index invoices_status_requested on invoices(status, requested_at, id);
create unique index invoices_auto_once on invoices(org_id, auto_bill_month) where auto_bill_month is not null;

create table invoice_items (
  org_id text not null,
  invoice_id text not null,
  kind text not null check (kind in ('bill', 'order')),
  item_id text not null,
  amount bigint not null check (amount > 0),
  active boolean not null,
  primary key (org_id, invoice_id, kind, item_id),
  foreign key (org_id, invoice_id) references invoices(org_id, id)
);
create unique index invoice_items_once on invoice_items(org_id, kind, item_id) where active;

create table invoice_documents (
  org_id text not null,
  invoice_id text not null,
  pdf bytea not null,
  uploaded_at timestamptz not null,
  primary key (org_id, invoice_id),
  foreign key (org_id, invoice_id) references invoices(org_id, id)
);

create table invoice_settings (
  org_id text not null references orgs(id),
  enabled boolean not null,
  emails jsonb not null,
  enabled_at timestamptz,
  updated_at timestamptz not null,
  updated_by text not null,
  primary key (org_id)
);
`)
    .execute(db);
}
