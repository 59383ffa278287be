import type { Tx } from '../db/schema.js';
import { debitCash, postTransaction } from '../ledger/ledger.repository.js';
import { emit } from '../outbox/outbox.js';
import { newId } from '../platform/ids.js';
import { type BillRow, lockOutstandingBills, markBillPaid } from './billing.repository.js';

/**
 * Pays a bill's amount due from the cash balance, all of it or nothing (like an order): one conditional
 * debit, one ledger transaction unique per (org, 'bill_payment', 'bill:<month>') so a bill is paid at most
 * once, and a compare-and-set of the bill's status. Answers whether it was paid.
 */
export async function payBillFromCash(
  tx: Tx,
  bill: Pick<BillRow, 'org_id' | 'month' | 'amount_due' | 'currency'>,
  now: Date,
): Promise<boolean> {
  if (bill.amount_due === 0) return markBillPaid(tx, bill.org_id, bill.month, now, null);
  const after = await debitCash(tx, bill.org_id, bill.amount_due, now);
  if (after === undefined) return false;
  const txnId = newId('ltx', now);
  await postTransaction(tx, {
    orgId: bill.org_id,
    id: txnId,
    kind: 'bill_payment',
    refId: `bill:${bill.month}`,
    memo: `bill ${bill.month}`,
    currency: bill.currency,
    now,
    entries: [
      { account: 'cash', amount: -bill.amount_due },
      { account: 'payg_revenue', amount: bill.amount_due },
    ],
  });
  if (!(await markBillPaid(tx, bill.org_id, bill.month, now, txnId))) {
    // The caller holds the bill (locked or just inserted): losing the compare-and-set is a bug.
    throw new Error(`bill ${bill.org_id}/${bill.month} changed under its lock`);
  }
  await emit(tx, {
    orgId: bill.org_id,
    type: 'bill.paid',
    aggregateId: bill.month,
    payload: { month: bill.month, amount: bill.amount_due },
    now,
  });
  return true;
}

/**
 * After a top-up: the org's unpaid and overdue bills, oldest first, each paid in full while the balance
 * lasts. Runs in the top-up's transaction (the balance row is already locked by its credit).
 */
export async function payOutstandingBills(tx: Tx, orgId: string, now: Date): Promise<string[]> {
  const paid: string[] = [];
  for (const bill of await lockOutstandingBills(tx, orgId)) {
    if (!(await payBillFromCash(tx, bill, now))) break;
    paid.push(bill.month);
  }
  return paid;
}
