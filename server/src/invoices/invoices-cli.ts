import { readFile } from 'node:fs/promises';
import type { InvoiceStatus } from '../../../contract/invoices.js';
import type { Db } from '../db/schema.js';
import { AppError } from '../platform/errors.js';
import { formatMinor } from '../platform/money.js';
import { type InvoiceRow, listInvoicesForOperator } from './invoices.repository.js';
import { failInvoice, issueInvoice } from './settle-invoice.js';

/**
 * The operator's invoice commands (npx tally invoices …): the same use cases as the internal API, on the
 * database directly, so a PDF of any size up to the limit is read from a file rather than sent as JSON.
 */

export function describeInvoice(i: InvoiceRow): string {
  const buyer = i.buyer_title
    ? `${i.buyer_title}${i.buyer_tax_id ? ` (${i.buyer_tax_id})` : ''}`
    : '(no buyer)';
  const end =
    i.status === 'issued'
      ? ` no. ${i.number} on ${i.issued_at?.toISOString().slice(0, 10)}`
      : i.status === 'failed'
        ? `: ${i.failure_reason}`
        : '';
  return (
    `${i.id}  ${i.org_id}  ${i.type}  ${formatMinor(i.total_amount, i.currency)}  ${buyer}  ` +
    `requested ${i.requested_at.toISOString()}  to ${i.emails.join(', ')}  ${i.status}${end}`
  );
}

/** Every invoice in a status, oldest request first (all pages). */
export async function listForOperator(db: Db, status: InvoiceStatus): Promise<InvoiceRow[]> {
  const out: InvoiceRow[] = [];
  let after: { at: Date; id: string } | undefined;
  for (;;) {
    const rows = await listInvoicesForOperator(db, { limit: 100, status, ...(after ? { after } : {}) });
    out.push(...rows.slice(0, 100));
    if (rows.length <= 100) return out;
    const last = rows[99]!;
    after = { at: last.requested_at, id: last.id };
  }
}

/**
 * `--date YYYY-MM-DD` (the date printed on the invoice, taken as that day's start in UTC) or a full RFC 3339
 * instant.
 */
export function parseIssueDate(s: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T00:00:00Z`) : new Date(s);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(s)) {
    throw new AppError('VALIDATION_FAILED', `--date: not a date (YYYY-MM-DD): ${s}`);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(s) && d.toISOString().slice(0, 10) !== s) {
    throw new AppError('VALIDATION_FAILED', `--date: no such day: ${s}`);
  }
  return d;
}

export async function issueFromFile(
  db: Db,
  input: { invoiceId: string; number: string; date: string; pdfPath: string; now: Date },
): Promise<InvoiceRow> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(input.number)) {
    throw new AppError('VALIDATION_FAILED', '--number: letters, digits and hyphens, at most 64');
  }
  const issuedAt = parseIssueDate(input.date);
  const pdf = new Uint8Array(await readFile(input.pdfPath));
  return db
    .transaction()
    .execute((tx) =>
      issueInvoice(tx, { invoiceId: input.invoiceId, number: input.number, issuedAt, pdf, now: input.now }),
    );
}

export async function failWithReason(
  db: Db,
  input: { invoiceId: string; reason: string; now: Date },
): Promise<InvoiceRow> {
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > 500) {
    throw new AppError('VALIDATION_FAILED', '--reason: 1 to 500 characters');
  }
  return db
    .transaction()
    .execute((tx) => failInvoice(tx, { invoiceId: input.invoiceId, reason, now: input.now }));
}
