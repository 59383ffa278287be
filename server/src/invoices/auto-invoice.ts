import type { AutoInvoiceSetting } from '../../../contract/invoices.js';
import type { Db, Queryable, Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { emit } from '../outbox/outbox.js';
import { newId } from '../platform/ids.js';
import { judgeItems } from './invoice-eligibility.js';
import {
  billsDueForAutoInvoice,
  getSettings,
  insertInvoice,
  insertItemsOnce,
  upsertSettings,
} from './invoices.repository.js';
import { buyerOf, requestInvoice } from './request-invoice.js';

/**
 * Automatic requests (SPEC §10.4): with the org's switch on, a special invoice (专票) for each bill 3 days
 * after it is fully paid, to the addresses of the setting. Bills due before the switch was turned on are not
 * requested (turning it on does not invoice the past). One automatic request per bill, whatever becomes of it:
 * a unique index on (org, bill month); one the org cannot receive (no certified enterprise) is kept as failed
 * with the reason, for the org to see, and the bill stays eligible for a request by hand.
 */
export const AUTO_INVOICE_DELAY_MS = 3 * 86_400_000;
/** bills looked at per run; a run takes the longest-paid first */
const BATCH = 200;

export async function readAutoInvoiceSetting(db: Queryable, orgId: string): Promise<AutoInvoiceSetting> {
  const s = await getSettings(db, orgId);
  return {
    enabled: s?.enabled ?? false,
    emails: s?.emails ?? [],
    type: 'special',
    updatedAt: s?.updated_at.toISOString() ?? null,
    updatedBy: s?.updated_by ?? null,
  };
}

export async function setAutoInvoice(
  tx: Tx,
  input: { orgId: string; enabled: boolean; emails: string[]; by: string; now: Date },
): Promise<AutoInvoiceSetting> {
  const before = await getSettings(tx, input.orgId);
  const enabledAt = input.enabled ? (before?.enabled ? before.enabled_at : input.now) : null;
  await upsertSettings(tx, {
    orgId: input.orgId,
    enabled: input.enabled,
    emails: input.emails,
    enabledAt,
    now: input.now,
    by: input.by,
  });
  return readAutoInvoiceSetting(tx, input.orgId);
}

export interface AutoInvoiceRun {
  /** special invoices requested */
  requested: number;
  /** automatic requests refused (the org is no certified enterprise), kept as failed */
  refused: number;
  /** bills a concurrent run or a request by hand took first */
  skipped: number;
  /** bills whose request failed unexpectedly (logged; retried next run) */
  errors: number;
}

async function requestOne(
  db: Db,
  bill: { org_id: string; month: string; emails: string[] },
  billingTimeZone: string,
  now: Date,
): Promise<'requested' | 'refused' | 'skipped'> {
  return db.transaction().execute(async (tx) => {
    const item = { kind: 'bill' as const, id: bill.month };
    const [verdict] = await judgeItems(tx, bill.org_id, [item], now, billingTimeZone);
    if (!verdict?.ok) return 'skipped';
    const who = await buyerOf(tx, bill.org_id, 'special');
    if ('buyer' in who) {
      await requestInvoice(tx, {
        orgId: bill.org_id,
        body: { items: [item], type: 'special', emails: bill.emails },
        requestedBy: null,
        autoBillMonth: bill.month,
        billingTimeZone,
        now,
      });
      return 'requested';
    }
    const id = newId('inv', now);
    await insertInvoice(tx, {
      org_id: bill.org_id,
      id,
      type: 'special',
      status: 'failed',
      currency: verdict.facts.currency,
      total_amount: verdict.facts.amount,
      buyer_kind: null,
      buyer_title: null,
      buyer_tax_id: null,
      buyer_address: null,
      buyer_phone: null,
      buyer_bank: null,
      buyer_bank_account: null,
      remark: null,
      emails: bill.emails,
      auto_bill_month: bill.month,
      requested_by: null,
      requested_at: now,
      number: null,
      issued_at: null,
      failed_at: now,
      failure_reason: who.refused,
      updated_at: now,
    });
    await insertItemsOnce(tx, [
      {
        org_id: bill.org_id,
        invoice_id: id,
        kind: 'bill',
        item_id: bill.month,
        amount: verdict.facts.amount,
        active: false,
      },
    ]);
    await emit(tx, {
      orgId: bill.org_id,
      type: 'invoice.failed',
      aggregateId: id,
      payload: { invoiceId: id, reason: who.refused, automatic: true },
      now,
    });
    return 'refused';
  });
}

/**
 * The job: requests the invoices now due. Each bill in its own transaction, so one org's bad data never
 * holds back another's; two instances racing for one bill meet at the unique index and one of them skips.
 */
export async function requestDueInvoices(
  deps: Pick<Deps, 'db' | 'config' | 'log'>,
  now: Date,
): Promise<AutoInvoiceRun> {
  const run: AutoInvoiceRun = { requested: 0, refused: 0, skipped: 0, errors: 0 };
  const due = await billsDueForAutoInvoice(deps.db, now, AUTO_INVOICE_DELAY_MS, BATCH);
  for (const bill of due) {
    try {
      run[await requestOne(deps.db, bill, deps.config.billingTimeZone, now)] += 1;
    } catch (err) {
      const taken = await deps.db
        .selectFrom('invoices')
        .select('id')
        .where('org_id', '=', bill.org_id)
        .where('auto_bill_month', '=', bill.month)
        .executeTakeFirst();
      if (taken) run.skipped += 1;
      else {
        run.errors += 1;
        deps.log.error(
          { job: 'auto-invoice', org: bill.org_id, month: bill.month, err },
          'auto-invoice failed',
        );
      }
    }
  }
  return run;
}
