import { sql } from 'kysely';
import type { Db } from '../server/src/db/schema.js';

/**
 * The money invariants, checked by SQL over the whole database. Returns the violations (empty = healthy):
 * - every org's cash balance equals the sum of its cash ledger entries, and is not negative;
 * - every ledger transaction balances to zero;
 * - every paid order has exactly one cash debit of its amount, and every payment debit belongs to a paid order;
 * - no order was paid at or after its deadline; every final order has exactly one final history row;
 * - every credited bank reference produced exactly one top-up and one ledger credit.
 */
export async function checkInvariants(db: Db): Promise<string[]> {
  const problems: string[] = [];
  const q = async (label: string, query: ReturnType<typeof sql>) => {
    const r = await query.execute(db);
    for (const row of r.rows.slice(0, 5)) problems.push(`${label}: ${JSON.stringify(row)}`);
  };
  await q(
    'balance != sum(cash entries)',
    sql`select b.org_id, b.cash, coalesce(s.total, 0) as entries from balances b
        left join (select org_id, sum(amount) as total from ledger_entries where account = 'cash' group by org_id) s
        on s.org_id = b.org_id where b.cash <> coalesce(s.total, 0) or b.cash < 0`,
  );
  await q(
    'unbalanced ledger transaction',
    sql`select org_id, txn_id, sum(amount) from ledger_entries group by org_id, txn_id having sum(amount) <> 0`,
  );
  await q(
    'paid order without exactly one debit of its amount',
    sql`select o.org_id, o.id, o.amount, count(e.id) as debits, coalesce(sum(e.amount), 0) as debited
        from orders o left join ledger_entries e
          on e.org_id = o.org_id and e.order_id = o.id and e.account = 'cash' and e.amount < 0
        where o.status = 'paid' group by o.org_id, o.id, o.amount
        having count(e.id) <> 1 or coalesce(sum(e.amount), 0) <> -o.amount`,
  );
  await q(
    'debit for an order that is not paid',
    sql`select e.org_id, e.order_id, o.status from ledger_entries e
        left join orders o on o.org_id = e.org_id and o.id = e.order_id
        where e.account = 'cash' and e.amount < 0 and e.order_id is not null and (o.id is null or o.status <> 'paid')`,
  );
  await q(
    'order paid at or after its deadline',
    sql`select org_id, id from orders where paid_at >= expires_at`,
  );
  await q(
    'final order without exactly one final history row',
    sql`select o.org_id, o.id, o.status, count(h.seq) from orders o
        left join order_history h on h.org_id = o.org_id and h.order_id = o.id and h.seq = 2
        where o.status <> 'unpaid' group by o.org_id, o.id, o.status
        having count(h.seq) <> 1 or max(h.to_status) <> o.status`,
  );
  await q(
    'credited bank reference without exactly one top-up',
    sql`select bt.bank_reference, count(t.id) from bank_transfers bt
        left join topups t on t.org_id = bt.org_id and t.bank_reference = bt.bank_reference
        where bt.status = 'credited' group by bt.bank_reference having count(t.id) <> 1`,
  );
  return problems;
}
