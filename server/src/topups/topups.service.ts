import { Currency, type UnmatchedReason } from '../../../contract/enums.js';
import type { TopUp } from '../../../contract/responses.js';
import { payOutstandingBills } from '../billing/pay-bill.js';
import type { Queryable, Tx } from '../db/schema.js';
import { creditCash, postTransaction } from '../ledger/ledger.repository.js';
import { findOrgByRemittanceCode, getOrg } from '../orgs/orgs.repository.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';

export interface BankTransferReport {
  remittanceCode: string;
  amount: number;
  currency: string;
  bankReference: string;
}

export function presentTopup(t: {
  id: string;
  org_id: string;
  bank_reference: string;
  amount: number;
  currency: string;
  created_at: Date;
}): TopUp {
  return {
    id: t.id,
    orgId: t.org_id,
    bankReference: t.bank_reference,
    amount: t.amount,
    currency: Currency.parse(t.currency),
    method: 'bank_transfer',
    status: 'credited',
    createdAt: t.created_at.toISOString(),
  };
}

export type ReportOutcome =
  | { kind: 'credited'; first: boolean; topup: ReturnType<typeof presentTopup> }
  | { kind: 'unmatched'; first: boolean; reason: string; code: UnmatchedCode; bankReference: string };

/**
 * The highest cash balance an org may hold, in fen: what a JS number (and every reader of the balance) holds
 * exactly. A credit that would pass it is held for an operator (SPEC §11), never lost.
 */
export const MAX_BALANCE_FEN = Number.MAX_SAFE_INTEGER;

/**
 * The largest single transfer credited without an operator, in fen (10^12 CNY). A larger one is held
 * (status `unmatched`, reason `amount_above_limit`, the org recorded) and answered 422 AMOUNT_LIMIT_EXCEEDED;
 * the operator may assign it once checked.
 */
export const MAX_TRANSFER_FEN = 100_000_000_000_000;

type UnmatchedCode =
  | 'REMITTANCE_CODE_UNKNOWN'
  | 'CURRENCY_MISMATCH'
  | 'BALANCE_LIMIT_EXCEEDED'
  | 'AMOUNT_LIMIT_EXCEEDED';

/** The error code a report of a transfer kept for an operator is answered with. */
export function unmatchedCode(reason: string): UnmatchedCode {
  if (reason === 'currency_mismatch') return 'CURRENCY_MISMATCH';
  if (reason === 'balance_limit_exceeded') return 'BALANCE_LIMIT_EXCEEDED';
  if (reason === 'amount_above_limit') return 'AMOUNT_LIMIT_EXCEEDED';
  return 'REMITTANCE_CODE_UNKNOWN';
}

/**
 * Bank references are compared as the bank means them: trimmed, case-insensitive (`REF-X` and ` ref-x ` are one
 * transfer). The database holds this key unique (bank_transfers.reference_key); the reference as first sent is
 * kept for display.
 */
export function bankReferenceKey(reference: string): string {
  return reference.trim().toLowerCase();
}

/**
 * Whether crediting `amount` would take the org's cash past MAX_BALANCE_FEN (exact: no sum is formed). The
 * balance row is locked, as the credit that follows would lock it, so two credits cannot both pass the check.
 */
async function wouldExceedBalanceLimit(tx: Tx, orgId: string, amount: number): Promise<boolean> {
  const row = await tx
    .selectFrom('balances')
    .select('cash')
    .where('org_id', '=', orgId)
    .forUpdate()
    .executeTakeFirst();
  return amount > MAX_BALANCE_FEN - (row?.cash ?? 0);
}

/**
 * A bank reports an incoming transfer (现金充值（对公转账）). It is credited to the org whose remittance code
 * it carries, once per bank reference however often it is reported; a transfer that matches no org (or
 * comes in another currency) is kept as unmatched for an operator, never dropped. So is a transfer that would
 * take the org's balance past MAX_BALANCE_FEN: it is held (status `unmatched`, reason `balance_limit_exceeded`,
 * the org recorded) until an operator assigns it once the balance can take it, and so is one above
 * MAX_TRANSFER_FEN (reason `amount_above_limit`) until an operator assigns it. A top-up never pays an order:
 * the user pays after topping up. References are matched by bankReferenceKey.
 */
export async function reportBankTransfer(tx: Tx, r: BankTransferReport, now: Date): Promise<ReportOutcome> {
  const org = await findOrgByRemittanceCode(tx, r.remittanceCode);
  const reason: UnmatchedReason | null = !org
    ? 'unknown_remittance_code'
    : org.currency !== r.currency
      ? 'currency_mismatch'
      : null;
  const key = bankReferenceKey(r.bankReference);
  // Claims the bank reference; a concurrent report of the same reference waits here for the first to commit.
  // No conflict target: the row is unique on its key and on the reference as sent (the primary key), and two
  // reports of one reference that pass the arbiter's pre-check together would otherwise meet on the primary key,
  // which a targeted ON CONFLICT does not cover (a unique violation instead of "reported before").
  const claimed = await tx
    .insertInto('bank_transfers')
    .values({
      bank_reference: r.bankReference.trim(),
      reference_key: key,
      remittance_code: r.remittanceCode,
      amount: r.amount,
      currency: r.currency,
      status: reason ? 'unmatched' : 'credited',
      reason,
      org_id: reason ? null : org!.id,
      topup_id: null,
      first_reported_at: now,
      last_reported_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('bank_reference')
    .executeTakeFirst();

  if (!claimed) {
    const existing = await tx
      .selectFrom('bank_transfers')
      .selectAll()
      .where('reference_key', '=', key)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (
      existing.remittance_code !== r.remittanceCode ||
      existing.amount !== r.amount ||
      existing.currency !== r.currency
    ) {
      throw new AppError(
        'BANK_REFERENCE_CONFLICT',
        'this bank reference was reported before with other details',
        {
          bankReference: existing.bank_reference,
          reported: {
            remittanceCode: existing.remittance_code,
            amount: existing.amount,
            currency: existing.currency,
          },
        },
      );
    }
    await tx
      .updateTable('bank_transfers')
      .set((eb) => ({ report_count: eb('report_count', '+', 1), last_reported_at: now }))
      .where('bank_reference', '=', existing.bank_reference)
      .execute();
    if (existing.status === 'unmatched' || !existing.org_id || !existing.topup_id) {
      const stored = existing.reason ?? 'unknown_remittance_code';
      return {
        kind: 'unmatched',
        first: false,
        reason: stored,
        code: unmatchedCode(stored),
        bankReference: existing.bank_reference,
      };
    }
    const topup = await tx
      .selectFrom('topups')
      .selectAll()
      .where('org_id', '=', existing.org_id)
      .where('id', '=', existing.topup_id)
      .executeTakeFirstOrThrow();
    return { kind: 'credited', first: false, topup: presentTopup(topup) };
  }

  if (reason || !org) {
    const stored = reason ?? 'unknown_remittance_code';
    return {
      kind: 'unmatched',
      first: true,
      reason: stored,
      code: unmatchedCode(stored),
      bankReference: r.bankReference.trim(),
    };
  }

  const held: UnmatchedReason | null =
    r.amount > MAX_TRANSFER_FEN
      ? 'amount_above_limit'
      : (await wouldExceedBalanceLimit(tx, org.id, r.amount))
        ? 'balance_limit_exceeded'
        : null;
  if (held) {
    await tx
      .updateTable('bank_transfers')
      .set({ status: 'unmatched', reason: held, org_id: org.id })
      .where('reference_key', '=', key)
      .execute();
    return {
      kind: 'unmatched',
      first: true,
      reason: held,
      code: unmatchedCode(held),
      bankReference: r.bankReference.trim(),
    };
  }

  const topup = await creditTopup(tx, org.id, { ...r, bankReference: r.bankReference.trim() }, now);
  return { kind: 'credited', first: true, topup: presentTopup(topup) };
}

/**
 * Credits a bank transfer to an org: the balanced ledger transaction, the balance, the top-up record, the
 * outbox event, then unpaid bills. The caller has claimed the bank reference (so this runs once per reference).
 */
async function creditTopup(
  tx: Tx,
  orgId: string,
  t: { bankReference: string; amount: number; currency: string },
  now: Date,
) {
  const topupId = newId('top', now);
  const txnId = newId('ltx', now);
  await postTransaction(tx, {
    orgId: orgId,
    id: txnId,
    kind: 'topup',
    refId: t.bankReference,
    memo: `bank transfer ${t.bankReference}`,
    currency: t.currency,
    now,
    entries: [
      { account: 'bank_clearing', amount: -t.amount },
      { account: 'cash', amount: t.amount },
    ],
  });
  await creditCash(tx, orgId, t.amount, now);
  const topup = await tx
    .insertInto('topups')
    .values({
      org_id: orgId,
      id: topupId,
      bank_reference: t.bankReference,
      amount: t.amount,
      currency: t.currency,
      ledger_txn_id: txnId,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await tx
    .updateTable('bank_transfers')
    .set({ topup_id: topupId })
    .where('reference_key', '=', bankReferenceKey(t.bankReference))
    .execute();
  await emit(tx, {
    orgId: orgId,
    type: 'topup.credited',
    aggregateId: topupId,
    payload: { topupId, amount: t.amount },
    now,
  });
  // Unpaid bills are paid automatically from the next top-up (a top-up never pays an order).
  await payOutstandingBills(tx, orgId, now);
  return topup;
}

/**
 * An operator assigns an unmatched transfer (an unknown or mistyped remittance code, or one held at the balance
 * limit) to the org it belongs to: credited once; assigning it again to the same org answers the same top-up.
 * While the org's balance still cannot take it: BALANCE_LIMIT_EXCEEDED, and the transfer stays held.
 */
export async function assignUnmatchedTransfer(tx: Tx, reference: string, orgId: string, now: Date) {
  const transfer = await tx
    .selectFrom('bank_transfers')
    .selectAll()
    .where('reference_key', '=', bankReferenceKey(reference))
    .forUpdate()
    .executeTakeFirst();
  if (!transfer) throw new AppError('NOT_FOUND', 'bank transfer not found');
  const bankReference = transfer.bank_reference;
  if (transfer.status === 'credited') {
    if (transfer.org_id !== orgId || !transfer.topup_id) {
      throw new AppError(
        'BANK_REFERENCE_CONFLICT',
        'this transfer was already credited to another organization',
        {
          bankReference,
        },
      );
    }
    const topup = await tx
      .selectFrom('topups')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', transfer.topup_id)
      .executeTakeFirstOrThrow();
    return { first: false, topup: presentTopup(topup) };
  }
  const org = await getOrg(tx, orgId);
  if (!org) throw new AppError('NOT_FOUND', 'organization not found');
  if (org.currency !== transfer.currency) {
    throw new AppError(
      'CURRENCY_MISMATCH',
      `the transfer is in ${transfer.currency}, the organization bills in ${org.currency}`,
    );
  }
  if (await wouldExceedBalanceLimit(tx, orgId, transfer.amount)) {
    throw new AppError(
      'BALANCE_LIMIT_EXCEEDED',
      'crediting this transfer would take the balance past the highest balance an organization may hold',
      { bankReference, amount: transfer.amount, maxBalance: MAX_BALANCE_FEN },
    );
  }
  await tx
    .updateTable('bank_transfers')
    .set({ status: 'credited', reason: null, org_id: orgId, last_reported_at: now })
    .where('bank_reference', '=', bankReference)
    .execute();
  const topup = await creditTopup(
    tx,
    orgId,
    { bankReference, amount: transfer.amount, currency: transfer.currency },
    now,
  );
  return { first: true, topup: presentTopup(topup) };
}

export async function listTopups(
  db: Queryable,
  orgId: string,
  page: { limit: number; after?: { createdAt: Date; id: string } | undefined },
) {
  let q = db.selectFrom('topups').selectAll().where('org_id', '=', orgId);
  if (page.after) {
    const { createdAt, id } = page.after;
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', createdAt),
        eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
      ]),
    );
  }
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

export async function listUnmatchedTransfers(db: Queryable, limit: number) {
  return db
    .selectFrom('bank_transfers')
    .selectAll()
    .where('status', '=', 'unmatched')
    .orderBy('first_reported_at')
    .limit(limit)
    .execute();
}
