import { Currency } from '../../../contract/enums.js';
import type { LedgerEntry } from '../../../contract/responses.js';
import type { EntryRow } from './ledger.repository.js';

/** A cash entry as the API shows it: its public id only, never the platform-wide counter behind it. */
export function presentEntry(e: EntryRow): LedgerEntry {
  return {
    id: e.public_id,
    transactionId: e.txn_id,
    kind: e.kind,
    reference: e.ref_id,
    memo: e.memo,
    direction: e.amount > 0 ? 'credit' : 'debit',
    amount: e.amount,
    currency: Currency.parse(e.currency),
    orderId: e.order_id,
    createdAt: e.created_at.toISOString(),
  };
}

/** The ledger's cursor names the last entry shown by its public id, so it too reveals no volume. */
export const entryCursorOf = (e: EntryRow): [string] => [e.public_id];
