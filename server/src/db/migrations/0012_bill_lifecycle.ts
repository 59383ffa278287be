import { type Kysely, sql } from 'kysely';

/**
 * The bill's life after issue (SPEC §10.2, §10.3): confirmation, dispute, the operator's adjustment, partial
 * payment and the daily reminders of arrears. What the database enforces:
 * - a bill is `pending_confirmation` or `disputed` exactly while it has no `confirmed_at`; nothing is charged
 *   before (`paid_amount` = 0);
 * - a disputed bill carries its reason and when it was disputed;
 * - an adjustment is a credit of at most the bill's total before it: `total_amount` is the sum of the lines,
 *   the adjustment line (kind `adjustment`, amount −adjustment, no cluster) included, and `amount_due` is what
 *   usage less coupons less the adjustment leaves (never below zero);
 * - `paid_amount` only grows up to `amount_due` (partial payments, each its own ledger transaction, counted
 *   by `payments` so that each has its own reference);
 * - `reminders_sent` counts the daily bill.unpaid reminders (at most 14): a compare-and-set on it sends
 *   each day's reminder once, however many instances run.
 *
 * Bills issued before this change were charged at issue: they are taken as confirmed at their issue time
 * (their due time was already issue + 14 days, which is confirmation + 14 days), with no reminders owed.
 * Whether an org is frozen is derived at read (an overdue bill, or an unpaid one past its due time), never
 * stored, so it cannot disagree with its bills.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The checks to replace were declared without names: found by what they say.
  const checks = await sql<{ table: string; name: string; def: string }>`
    select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as def
    from pg_constraint c
    where c.contype = 'c' and c.conrelid in ('bills'::regclass, 'bill_lines'::regclass)`.execute(db);
  const drop = checks.rows.filter((c) => {
    if (c.table.endsWith('bill_lines'))
      return (
        /kind = ANY/.test(c.def) ||
        /^CHECK \(\(amount >= 0\)\)$/.test(c.def) ||
        /coupon_amount <= amount/.test(c.def)
      );
    return (
      /status = ANY/.test(c.def) ||
      /total_amount = \(prepaid_amount \+ usage_amount\)/.test(c.def) ||
      /amount_due = \(usage_amount - coupon_amount\)/.test(c.def)
    );
  });
  for (const c of drop)
    await sql`alter table ${sql.raw(c.table)} drop constraint ${sql.ref(c.name)}`.execute(db);
  await sql
    .raw(`
alter table bills
  add column confirms_at timestamptz,
  add column confirmed_at timestamptz,
  add column disputed_at timestamptz,
  add column dispute_reason text,
  add column adjustment_amount bigint not null default 0 check (adjustment_amount >= 0),
  add column payments integer not null default 0 check (payments >= 0),
  add column reminders_sent integer not null default 0 check (reminders_sent between 0 and 14);

update bills set confirmed_at = issued_at, reminders_sent = 14;

alter table bills
  add constraint bills_status check
    (status in ('pending_confirmation', 'disputed', 'unpaid', 'paid', 'overdue')),
  add constraint bills_confirmed check
    ((status in ('pending_confirmation', 'disputed')) = (confirmed_at is null)),
  add constraint bills_nothing_charged_before_confirmation check (confirmed_at is not null or paid_amount = 0),
  add constraint bills_disputed check (status <> 'disputed' or disputed_at is not null),
  add constraint bills_dispute_reason check ((disputed_at is null) = (dispute_reason is null)),
  add constraint bills_adjustment check (adjustment_amount <= prepaid_amount + usage_amount),
  add constraint bills_total check (total_amount = prepaid_amount + usage_amount - adjustment_amount),
  add constraint bills_amount_due check
    (amount_due = greatest(0, usage_amount - coupon_amount - adjustment_amount));

create index bills_pending_confirms on bills(confirms_at) where status = 'pending_confirmation';
create index bills_unpaid_confirmed on bills(confirmed_at) where status = 'unpaid';

alter table bill_lines
  alter column cluster_id drop not null,
  alter column cluster_name drop not null,
  add constraint bill_lines_kind check (kind in ('subscription', 'usage', 'adjustment')),
  add constraint bill_lines_amount check ((amount >= 0 and kind <> 'adjustment') or (amount <= 0 and kind = 'adjustment')),
  add constraint bill_lines_coupon check (coupon_amount <= greatest(amount, 0)),
  add constraint bill_lines_cluster check ((kind = 'adjustment') = (cluster_id is null)),
  add constraint bill_lines_cluster_name check ((cluster_id is null) = (cluster_name is null));
`)
    .execute(db);
}
