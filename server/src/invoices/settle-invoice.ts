import { INVOICE_LIMITS } from '../../../contract/invoices.js';
import type { Tx } from '../db/schema.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import {
  findInvoice,
  type InvoiceRow,
  insertDocument,
  markFailed,
  markIssued,
} from './invoices.repository.js';

/** The operator's two ends of a request (SPEC §10.4): issued with its number, date and PDF, or failed. */

const DAY_MS = 86_400_000;

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: ${message}`, {
    in: 'body',
    issues: [{ field, message }],
  });
}

/** A PDF as the operator uploads it: the file's own signature and the size limit. */
export function checkPdf(pdf: Uint8Array): void {
  if (pdf.byteLength > INVOICE_LIMITS.pdfBytes) {
    throw invalid('pdfBase64', `larger than ${INVOICE_LIMITS.pdfBytes} bytes`);
  }
  if (pdf.byteLength < 5 || Buffer.from(pdf.subarray(0, 5)).toString('latin1') !== '%PDF-') {
    throw invalid('pdfBase64', 'not a PDF (a PDF starts with %PDF-)');
  }
}

/** Base64 as sent in JSON: strictly the alphabet (a mistyped body is refused, not half decoded). */
export function decodePdfBase64(b64: string): Uint8Array {
  const s = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw invalid('pdfBase64', 'not base64');
  return Buffer.from(s, 'base64');
}

async function requireInvoice(tx: Tx, invoiceId: string): Promise<InvoiceRow> {
  const inv = await findInvoice(tx, invoiceId);
  if (!inv) throw new AppError('NOT_FOUND', 'invoice not found');
  return inv;
}

function notOpen(inv: InvoiceRow): AppError {
  return new AppError('INVOICE_NOT_OPEN', `invoice ${inv.id} is ${inv.status}, no longer requested`, {
    status: inv.status,
  });
}

/**
 * requested → issued: a compare-and-set, so of two operators (or a retry after a lost answer with another
 * number) exactly one wins and the other is told the invoice's status. The date may not precede the request's
 * day nor lie ahead of today (a day's slack either way for time zones).
 */
export async function issueInvoice(
  tx: Tx,
  input: { invoiceId: string; number: string; issuedAt: Date; pdf: Uint8Array; now: Date },
): Promise<InvoiceRow> {
  checkPdf(input.pdf);
  const inv = await requireInvoice(tx, input.invoiceId);
  if (input.issuedAt.getTime() > input.now.getTime() + DAY_MS) {
    throw invalid('issuedAt', 'in the future');
  }
  if (input.issuedAt.getTime() < inv.requested_at.getTime() - DAY_MS) {
    throw invalid('issuedAt', 'before the invoice was requested');
  }
  const row = await markIssued(tx, inv, {
    number: input.number,
    issuedAt: input.issuedAt,
    now: input.now,
  });
  if (!row) throw notOpen(await requireInvoice(tx, input.invoiceId));
  await insertDocument(tx, { orgId: row.org_id, invoiceId: row.id, pdf: input.pdf, now: input.now });
  await emit(tx, {
    orgId: row.org_id,
    type: 'invoice.issued',
    aggregateId: row.id,
    payload: { invoiceId: row.id, number: row.number, totalAmount: row.total_amount, emails: row.emails },
    now: input.now,
  });
  return row;
}

/** requested → failed (a compare-and-set); its items may be invoiced again at once. */
export async function failInvoice(
  tx: Tx,
  input: { invoiceId: string; reason: string; now: Date },
): Promise<InvoiceRow> {
  const inv = await requireInvoice(tx, input.invoiceId);
  const row = await markFailed(tx, inv, input.reason, input.now);
  if (!row) throw notOpen(await requireInvoice(tx, input.invoiceId));
  await emit(tx, {
    orgId: row.org_id,
    type: 'invoice.failed',
    aggregateId: row.id,
    payload: { invoiceId: row.id, reason: input.reason },
    now: input.now,
  });
  return row;
}
