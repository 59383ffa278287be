import type { InvoiceItemReason, InvoiceItemRef } from '../../../contract/invoices.js';
import { currentMonth, isMonth } from '../billing/bill-period.js';
import type { Queryable } from '../db/schema.js';
import { billFacts, heldItems, type ItemFacts, orderFacts } from './invoices.repository.js';

export type ItemVerdict = { ok: true; facts: ItemFacts } | { ok: false; reason: InvoiceItemReason };

const keyOf = (i: { kind: string; id: string }) => `${i.kind}:${i.id}`;

/**
 * Whether each named item may be invoiced now (SPEC §10.4), in the order given: a bill when issued and fully
 * paid with an amount left after coupons and any adjustment; an order when paid with an amount; neither when a
 * request that has not failed holds it. The current month has no bill yet (`not_issued`). The one rule this
 * read cannot hold against a concurrent request is "not held": invoice_items' unique index holds it.
 */
export async function judgeItems(
  db: Queryable,
  orgId: string,
  items: InvoiceItemRef[],
  now: Date,
  billingTimeZone: string,
): Promise<ItemVerdict[]> {
  const months = items.filter((i) => i.kind === 'bill' && isMonth(i.id)).map((i) => i.id);
  const orderIds = items.filter((i) => i.kind === 'order').map((i) => i.id);
  const facts = new Map<string, ItemFacts>();
  for (const f of [...(await billFacts(db, orgId, months)), ...(await orderFacts(db, orgId, orderIds))]) {
    facts.set(keyOf(f), f);
  }
  const held = await heldItems(db, orgId, items);
  const open = currentMonth(now, billingTimeZone);
  return items.map((item): ItemVerdict => {
    const f = facts.get(keyOf(item));
    if (!f) {
      const unissuedBill = item.kind === 'bill' && isMonth(item.id) && item.id >= open;
      return { ok: false, reason: unissuedBill ? 'not_issued' : 'not_found' };
    }
    if (!f.paid) return { ok: false, reason: 'not_paid' };
    if (f.amount <= 0) return { ok: false, reason: 'nothing_to_invoice' };
    const h = held.get(keyOf(item));
    if (h) return { ok: false, reason: h === 'issued' ? 'invoiced' : 'requested' };
    return { ok: true, facts: f };
  });
}
