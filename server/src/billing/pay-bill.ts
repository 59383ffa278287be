import type { Tx } from '../db/schema.js';
import { debitCashMany, postTransactions } from '../ledger/ledger.repository.js';
import { emitMany } from '../outbox/outbox.js';
import { newId } from '../platform/ids.js';
import { type BillRow, lockOutstandingBills, markBillsPaid } from './billing.repository.js';

type PayableBill = Pick<BillRow, 'org_id' | 'month' | 'amount_due' | 'currency'>;

/**
 * Pays a bill's amount due from the cash balance, all of it or nothing (like an order): one conditional
 * debit, one ledger transaction unique per (org, 'bill_payment', 'bill:<month>') so a bill is paid at most
 * once, and a compare-and-set of the bill's status. Answers whether it was paid.
 */
export async function payBillFromCash(tx: Tx, bill: PayableBill, now: Date): Promise<boolean> {
  return (await payBillsFromCash(tx, [bill], now)).size === 1;
}

/**
 * payBillFromCash for many bills of different orgs (the caller holds them: locked or just inserted), in a
 * handful of statements whatever their number. Answers the orgs whose bill was paid.
 */
export async function payBillsFromCash(tx: Tx, bills: PayableBill[], now: Date): Promise<Set<string>> {
  if (new Set(bills.map((b) => b.org_id)).size !== bills.length) throw new Error('one bill per org');
  const paid = new Set<string>();
  const free = bills.filter((b) => b.amount_due === 0);
  const debited = await debitCashMany(
    tx,
    bills.filter((b) => b.amount_due > 0).map((b) => ({ orgId: b.org_id, amount: b.amount_due })),
    now,
  );
  const charged = bills
    .filter((b) => b.amount_due > 0 && debited.has(b.org_id))
    .map((b) => ({ bill: b, txnId: newId('ltx', now) }));
  await postTransactions(
    tx,
    charged.map(({ bill, txnId }) => ({
      orgId: bill.org_id,
      id: txnId,
      kind: 'bill_payment' as const,
      refId: `bill:${bill.month}`,
      memo: `bill ${bill.month}`,
      currency: bill.currency,
      now,
      entries: [
        { account: 'cash' as const, amount: -bill.amount_due },
        { account: 'payg_revenue' as const, amount: bill.amount_due },
      ],
    })),
  );
  const marks = [
    ...free.map((b) => ({ orgId: b.org_id, month: b.month, ledgerTxnId: null })),
    ...charged.map(({ bill, txnId }) => ({ orgId: bill.org_id, month: bill.month, ledgerTxnId: txnId })),
  ];
  if ((await markBillsPaid(tx, marks, now)) !== marks.length) {
    // The caller holds the bills: losing a compare-and-set here is a bug, and rolls everything back.
    throw new Error(
      `a bill of ${marks.map((m) => `${m.orgId}/${m.month}`).join(', ')} changed under its lock`,
    );
  }
  await emitMany(
    tx,
    charged.map(({ bill }) => ({
      orgId: bill.org_id,
      type: 'bill.paid',
      aggregateId: bill.month,
      payload: { month: bill.month, amount: bill.amount_due },
      now,
    })),
  );
  for (const m of marks) paid.add(m.orgId);
  return paid;
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
