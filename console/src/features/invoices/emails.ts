import { INVOICE_LIMITS } from '../../../../contract/invoices.js';
import type { MessageKey, Vars } from '../../i18n/i18n.js';

/** Addresses typed one per line or separated by commas or semicolons (ASCII or full-width), blanks dropped. */
export function parseEmails(text: string): string[] {
  return text
    .split(/[\s,;\uff0c\uff1b\u3001]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

// What a mail server accepts in practice; the server's schema has the last word.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * What is wrong with a list of receiving addresses (SPEC §10.4: 1 to 5, each once), as a catalog key and its
 * variables; null when nothing is. `min` is 0 where the list may be empty (automatic invoicing off).
 */
export function emailsProblem(emails: string[], min = 1): { key: MessageKey; vars?: Vars } | null {
  if (emails.length < min) return { key: 'invoices.emailsRequired' };
  if (emails.length > INVOICE_LIMITS.emails)
    return { key: 'invoices.emailsTooMany', vars: { max: INVOICE_LIMITS.emails } };
  const seen = new Set<string>();
  for (const e of emails) {
    if (e.length > 254 || !EMAIL.test(e)) return { key: 'invoices.emailInvalid', vars: { email: e } };
    const lower = e.toLowerCase();
    if (seen.has(lower)) return { key: 'invoices.emailDuplicate', vars: { email: e } };
    seen.add(lower);
  }
  return null;
}

/** The remark's length as the provider counts it: characters (code points), not UTF-16 units. */
export function remarkLength(remark: string): number {
  return [...remark.trim()].length;
}
