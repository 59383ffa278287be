import { sql } from 'kysely';
import type { Db } from '../server/src/db/schema.js';

/**
 * The money invariants as SQL, one list for the in-process suite and the reliability suite. Each query returns
 * the rows that violate its rule (none = healthy):
 * - every org's cash balance equals the sum of its cash ledger entries, and is not negative;
 * - every ledger transaction balances to zero;
 * - every paid order has exactly one debit of its amount, and every payment debit belongs to a paid order;
 * - no order was paid at or after its deadline; status and history agree (one creation row, one final row
 *   exactly when final, naming the status);
 * - every credited bank reference produced exactly one top-up and one ledger credit;
 * - every order has its search row (order_search).
 */
export const INVARIANT_QUERIES: { label: string; sql: string }[] = [
  { label: 'negative balance', sql: 'select org_id, cash from balances where cash < 0' },
  {
    label: 'balance differs from the sum of its cash entries',
    sql: `select b.org_id, b.cash, coalesce(e.s, 0)::bigint as entries from balances b
      left join (select org_id, sum(amount) s from ledger_entries where account = 'cash' group by org_id) e
        on e.org_id = b.org_id
      where b.cash <> coalesce(e.s, 0)`,
  },
  {
    label: 'unbalanced ledger transaction',
    sql: 'select org_id, txn_id, sum(amount) from ledger_entries group by org_id, txn_id having sum(amount) <> 0',
  },
  {
    label: 'paid order without exactly one debit of its amount',
    sql: `select o.org_id, o.id, o.amount, count(t.id) as debits, sum(-e.amount) as debited from orders o
      left join ledger_transactions t on t.org_id = o.org_id and t.kind = 'order_payment' and t.ref_id = o.id
      left join ledger_entries e on e.org_id = t.org_id and e.txn_id = t.id and e.account = 'cash'
      where o.status = 'paid' group by o.org_id, o.id, o.amount
      having count(t.id) <> 1 or coalesce(sum(-e.amount), 0) <> o.amount`,
  },
  {
    label: 'debit without a paid order',
    sql: `select t.org_id, t.ref_id from ledger_transactions t
      left join orders o on o.org_id = t.org_id and o.id = t.ref_id
      where t.kind = 'order_payment' and (o.id is null or o.status <> 'paid')`,
  },
  {
    label: 'status disagrees with history',
    sql: `select o.org_id, o.id, o.status, count(h.seq) filter (where h.seq = 2) as finals,
        max(h.to_status) filter (where h.seq = 2) as final_to
      from orders o left join order_history h on h.org_id = o.org_id and h.order_id = o.id
      group by o.org_id, o.id, o.status
      having count(h.seq) filter (where h.seq = 1) <> 1
        or (o.status = 'unpaid' and count(h.seq) filter (where h.seq = 2) <> 0)
        or (o.status <> 'unpaid' and (count(h.seq) filter (where h.seq = 2) <> 1
            or max(h.to_status) filter (where h.seq = 2) <> o.status))`,
  },
  {
    // The database no longer checks this (no foreign key since 0013): every writer of a history row writes
    // its order in the same statement or transaction.
    label: 'history row without its order',
    sql: `select h.org_id, h.order_id, h.seq from order_history h
      where not exists (select 1 from orders o where o.org_id = h.org_id and o.id = h.order_id)`,
  },
  {
    // Written with the order by every writer of orders (migration 0014): a search must find every order.
    label: 'order without its search row',
    sql: `select o.org_id, o.id from orders o
      left join order_search s on s.org_id = o.org_id and s.order_id = o.id collate "C"
      where s.grams is distinct from order_search_grams(o.org_id, o.cluster_name)`,
  },
  {
    label: 'paid at or after its deadline',
    sql: 'select org_id, id from orders where paid_at >= expires_at',
  },
  {
    label: 'bank reference credited more than once',
    sql: `select bank_reference, count(*) from (
        select bank_reference from topups
        union all select ref_id from ledger_transactions where kind = 'topup') x
      group by bank_reference having count(*) <> 2`,
  },
  {
    label: 'credited transfer without its top-up',
    sql: `select b.bank_reference from bank_transfers b
      left join topups t on t.org_id = b.org_id and t.bank_reference = b.bank_reference
      where b.status = 'credited' and t.id is null`,
  },
];

/** Runs every invariant query through `run` and describes the violations (empty = healthy). */
export async function invariantViolations(run: (text: string) => Promise<unknown[]>): Promise<string[]> {
  const out = await Promise.all(
    INVARIANT_QUERIES.map(async ({ label, sql: text }) => {
      const rows = await run(text);
      if (!rows.length) return [];
      const more = rows.length > 5 ? ` (+${rows.length - 5})` : '';
      return [`${label}: ${JSON.stringify(rows.slice(0, 5))}${more}`];
    }),
  );
  return out.flat();
}

export async function checkInvariants(db: Db): Promise<string[]> {
  return invariantViolations(async (text) => (await sql.raw(text).execute(db)).rows);
}
