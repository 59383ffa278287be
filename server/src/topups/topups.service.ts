import { payOutstandingBills } from '../billing/pay-bill.js';
import type { Queryable, Tx } from '../db/schema.js';
import { creditCash, postTransaction } from '../ledger/ledger.repository.js';
import { findOrgByRemittanceCode } from '../orgs/orgs.repository.js';
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
}) {
  return {
    id: t.id,
    orgId: t.org_id,
    bankReference: t.bank_reference,
    amount: t.amount,
    currency: t.currency,
    method: 'bank_transfer',
    status: 'credited',
    createdAt: t.created_at,
  };
}

export type ReportOutcome =
  | { kind: 'credited'; first: boolean; topup: ReturnType<typeof presentTopup> }
  | { kind: 'unmatched'; first: boolean; reason: string; bankReference: string };

/**
 * A bank reports an incoming transfer (现金充值（对公转账）). It is credited to the org whose remittance code
 * it carries, once per bank reference however often it is reported; a transfer that matches no org (or
 * comes in another currency) is kept as unmatched for an operator, never dropped. A top-up never pays an
 * order: the user pays after topping up.
 */
export async function reportBankTransfer(tx: Tx, r: BankTransferReport, now: Date): Promise<ReportOutcome> {
  const org = await findOrgByRemittanceCode(tx, r.remittanceCode);
  const reason = !org ? 'unknown_remittance_code' : org.currency !== r.currency ? 'currency_mismatch' : null;
  // Claims the bank reference; a concurrent report of the same reference waits here for the first to commit.
  const claimed = await tx
    .insertInto('bank_transfers')
    .values({
      bank_reference: r.bankReference,
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
    .onConflict((oc) => oc.column('bank_reference').doNothing())
    .returning('bank_reference')
    .executeTakeFirst();

  if (!claimed) {
    const existing = await tx
      .selectFrom('bank_transfers')
      .selectAll()
      .where('bank_reference', '=', r.bankReference)
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
          bankReference: r.bankReference,
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
      .where('bank_reference', '=', r.bankReference)
      .execute();
    if (existing.status === 'unmatched' || !existing.org_id || !existing.topup_id) {
      return {
        kind: 'unmatched',
        first: false,
        reason: existing.reason ?? 'unknown_remittance_code',
        bankReference: r.bankReference,
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

  if (reason || !org)
    return {
      kind: 'unmatched',
      first: true,
      reason: reason ?? 'unknown_remittance_code',
      bankReference: r.bankReference,
    };

  const topupId = newId('top', now);
  const txnId = newId('ltx', now);
  await postTransaction(tx, {
    orgId: org.id,
    id: txnId,
    kind: 'topup',
    refId: r.bankReference,
    memo: `bank transfer ${r.bankReference}`,
    currency: r.currency,
    now,
    entries: [
      { account: 'bank_clearing', amount: -r.amount },
      { account: 'cash', amount: r.amount },
    ],
  });
  await creditCash(tx, org.id, r.amount, now);
  const topup = await tx
    .insertInto('topups')
    .values({
      org_id: org.id,
      id: topupId,
      bank_reference: r.bankReference,
      amount: r.amount,
      currency: r.currency,
      ledger_txn_id: txnId,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await tx
    .updateTable('bank_transfers')
    .set({ topup_id: topupId })
    .where('bank_reference', '=', r.bankReference)
    .execute();
  await emit(tx, {
    orgId: org.id,
    type: 'topup.credited',
    aggregateId: topupId,
    payload: { topupId, amount: r.amount },
    now,
  });
  // Unpaid bills are paid automatically from the next top-up (a top-up never pays an order).
  await payOutstandingBills(tx, org.id, now);
  return { kind: 'credited', first: true, topup: presentTopup(topup) };
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
