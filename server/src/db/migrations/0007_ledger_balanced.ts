import { type Kysely, sql } from 'kysely';

/**
 * Balanced ledger transactions, enforced by the database (double entry): when a transaction commits, the
 * entries of every ledger transaction it touched sum to zero, the rule postTransaction checks in code (the
 * bank side of a top-up is an entry of its own, on bank_clearing, so every transaction balances within
 * itself). The check is a constraint trigger deferred to the commit, so a transaction's entries may be
 * written by several statements; an unbalanced one makes the commit fail and nothing of it is kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
create function ledger_transaction_is_balanced() returns trigger language plpgsql as $$
declare
  total numeric;
begin
  select sum(amount) into total from ledger_entries where org_id = new.org_id and txn_id = new.txn_id;
  if total <> 0 then
    raise exception 'unbalanced ledger transaction %: its entries sum to %', new.txn_id, total
      using errcode = '23514';
  end if;
  return null;
end $$;
create constraint trigger ledger_entries_balanced after insert on ledger_entries
  deferrable initially deferred
  for each row execute function ledger_transaction_is_balanced();
`)
    .execute(db);
}
