import type { CreateInvoiceBody, InvoiceItemRef, InvoiceType } from '../../../contract/invoices.js';
import type { Tx } from '../db/schema.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { judgeItems } from './invoice-eligibility.js';
import {
  getInvoice,
  heldItems,
  type InvoiceRow,
  insertInvoice,
  insertItemsOnce,
} from './invoices.repository.js';

interface Buyer {
  buyer_kind: 'enterprise' | 'personal';
  buyer_title: string;
  buyer_tax_id: string | null;
  buyer_address: string | null;
  buyer_phone: string | null;
  buyer_bank: string | null;
  buyer_bank_account: string | null;
}

/**
 * The buyer an invoice of this type is made out to, from the org's certification, or why there is none: no
 * certification data (no title at all), or a 专票 asked by an org that is not a certified enterprise.
 */
export async function buyerOf(
  tx: Tx,
  orgId: string,
  type: InvoiceType,
): Promise<{ buyer: Buyer } | { refused: string }> {
  const o = await tx
    .selectFrom('orgs')
    .select([
      'certified',
      'currency',
      'cert_kind',
      'cert_title',
      'cert_tax_id',
      'cert_address',
      'cert_phone',
      'cert_bank',
      'cert_bank_account',
    ])
    .where('id', '=', orgId)
    .executeTakeFirst();
  if (!o) throw new AppError('NOT_FOUND', 'organization not found');
  if (!o.cert_kind || !o.cert_title) {
    return { refused: 'the organization has no certification data (invoice title), kept by the operator' };
  }
  if (type === 'special' && (!o.certified || o.cert_kind !== 'enterprise' || !o.cert_tax_id)) {
    return {
      refused: 'a special invoice (专票) needs a certified enterprise with a title and a tax id',
    };
  }
  return {
    buyer: {
      buyer_kind: o.cert_kind,
      buyer_title: o.cert_title,
      buyer_tax_id: o.cert_tax_id,
      buyer_address: o.cert_address,
      buyer_phone: o.cert_phone,
      buyer_bank: o.cert_bank,
      buyer_bank_account: o.cert_bank_account,
    },
  };
}

function notEligible(item: InvoiceItemRef, reason: string): AppError {
  return new AppError('INVOICE_ITEM_NOT_ELIGIBLE', `${item.kind} ${item.id} cannot be invoiced: ${reason}`, {
    item: { kind: item.kind, id: item.id },
    reason,
  });
}

/**
 * 申请开票: validates the items (each eligible now), copies the buyer from the org's certification, and
 * writes the request and its items in the caller's transaction. The items' unique index decides between
 * concurrent requests naming one item: the loser finds it held and is refused like any held item, and its
 * transaction (with its invoice row) rolls back.
 */
export async function requestInvoice(
  tx: Tx,
  input: {
    orgId: string;
    body: CreateInvoiceBody;
    requestedBy: string | null;
    autoBillMonth?: string;
    billingTimeZone: string;
    now: Date;
  },
): Promise<InvoiceRow> {
  const { orgId, body, now } = input;
  const who = await buyerOf(tx, orgId, body.type);
  if ('refused' in who) {
    throw new AppError('VALIDATION_FAILED', `type: ${who.refused}`, {
      in: 'body',
      issues: [{ field: 'type', message: who.refused }],
    });
  }
  const verdicts = await judgeItems(tx, orgId, body.items, now, input.billingTimeZone);
  const items = body.items.map((item, i) => {
    const v = verdicts[i]!;
    if (!v.ok) throw notEligible(item, v.reason);
    return { item, facts: v.facts };
  });
  const currencies = new Set(items.map((i) => i.facts.currency));
  // An org has one currency, and so have its bills and orders: anything else is a bug, not a user's mistake.
  if (currencies.size !== 1)
    throw new Error(`invoice items of org ${orgId} in ${[...currencies].join(', ')}`);
  const id = newId('inv', now);
  const row: InvoiceRow = {
    org_id: orgId,
    id,
    type: body.type,
    status: 'requested',
    currency: [...currencies][0]!,
    total_amount: items.reduce((s, i) => s + i.facts.amount, 0),
    ...who.buyer,
    remark: body.remark ? body.remark : null,
    emails: body.emails,
    auto_bill_month: input.autoBillMonth ?? null,
    requested_by: input.requestedBy,
    requested_at: now,
    number: null,
    issued_at: null,
    failed_at: null,
    failure_reason: null,
    updated_at: now,
  };
  await insertInvoice(tx, row);
  const inserted = await insertItemsOnce(
    tx,
    items.map(({ item, facts }) => ({
      org_id: orgId,
      invoice_id: id,
      kind: item.kind,
      item_id: item.id,
      amount: facts.amount,
      active: true,
    })),
  );
  const lost = body.items.find((i) => !inserted.has(`${i.kind}:${i.id}`));
  if (lost) {
    // A concurrent request committed this item after it was judged free here; it holds it now.
    const held = await heldItems(tx, orgId, [lost]);
    throw notEligible(lost, held.get(`${lost.kind}:${lost.id}`) === 'issued' ? 'invoiced' : 'requested');
  }
  await emit(tx, {
    orgId,
    type: 'invoice.requested',
    aggregateId: id,
    payload: {
      invoiceId: id,
      type: body.type,
      totalAmount: row.total_amount,
      automatic: !!input.autoBillMonth,
    },
    now,
  });
  return (await getInvoice(tx, orgId, id))!;
}
