import { Currency } from '../../../contract/enums.js';
import type { Invoice, InvoiceableItem } from '../../../contract/invoices.js';
import type { InvoiceItemRow, InvoiceRow, ItemFacts } from './invoices.repository.js';

export function presentInvoice(i: InvoiceRow, items: InvoiceItemRow[]): Invoice {
  return {
    id: i.id,
    orgId: i.org_id,
    type: i.type,
    status: i.status,
    currency: Currency.parse(i.currency),
    totalAmount: i.total_amount,
    buyer:
      i.buyer_kind && i.buyer_title !== null
        ? {
            kind: i.buyer_kind,
            title: i.buyer_title,
            taxId: i.buyer_tax_id,
            address: i.buyer_address,
            phone: i.buyer_phone,
            bank: i.buyer_bank,
            bankAccount: i.buyer_bank_account,
          }
        : null,
    remark: i.remark,
    emails: i.emails,
    automatic: i.auto_bill_month !== null,
    requestedBy: i.requested_by,
    requestedAt: i.requested_at.toISOString(),
    number: i.number,
    issuedAt: i.issued_at?.toISOString() ?? null,
    failedAt: i.failed_at?.toISOString() ?? null,
    failureReason: i.failure_reason,
    hasDocument: i.status === 'issued',
    items: items.map((it) => ({ kind: it.kind, id: it.item_id, amount: it.amount })),
  };
}

export function presentInvoiceable(f: ItemFacts): InvoiceableItem {
  return {
    kind: f.kind,
    id: f.id,
    currency: Currency.parse(f.currency),
    amount: f.amount,
    paidAt: f.paidAt!.toISOString(),
    orderType: f.orderType,
    clusterName: f.clusterName,
  };
}
