import { z } from 'zod';
import { Currency, OrderType } from './enums.js';

/**
 * Invoices (发票, SPEC §10.4): the request bodies and the response schemas of the invoice routes, by
 * "METHOD url"; contract/responses.ts merges the responses into responseOf and the document's media type into
 * documentOf. (This file imports nothing from responses.ts, which imports it.)
 */

/** 普票 (normal) or 专票 (special, for a certified enterprise only). */
export const INVOICE_TYPES = ['normal', 'special'] as const;
export const InvoiceType = z.enum(INVOICE_TYPES);
export type InvoiceType = z.infer<typeof InvoiceType>;

/** 开票中 → 已开票 or 开票失败; issued and failed are final. */
export const INVOICE_STATUSES = ['requested', 'issued', 'failed'] as const;
export const InvoiceStatus = z.enum(INVOICE_STATUSES);
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

/** What an invoice covers: an issued, fully paid bill (its id is the month) or a paid order. */
export const INVOICE_ITEM_KINDS = ['bill', 'order'] as const;
export const InvoiceItemKind = z.enum(INVOICE_ITEM_KINDS);
export type InvoiceItemKind = z.infer<typeof InvoiceItemKind>;

/**
 * Why an item cannot be invoiced (INVOICE_ITEM_NOT_ELIGIBLE's details.reason): unknown in the org; a bill
 * not issued yet (the current month); a bill or order not (fully) paid; nothing to invoice (an amount of 0,
 * e.g. a bill paid wholly by coupons); already in an open request; already invoiced.
 */
export const INVOICE_ITEM_REASONS = [
  'not_found',
  'not_issued',
  'not_paid',
  'nothing_to_invoice',
  'requested',
  'invoiced',
] as const;
export const InvoiceItemReason = z.enum(INVOICE_ITEM_REASONS);
export type InvoiceItemReason = z.infer<typeof InvoiceItemReason>;

/** The buyer on an invoice: from the org's certification (operator data, SPEC §10.4). */
export const CERTIFICATION_KINDS = ['enterprise', 'personal'] as const;
export const CertificationKind = z.enum(CERTIFICATION_KINDS);
export type CertificationKind = z.infer<typeof CertificationKind>;

export const INVOICE_LIMITS = {
  items: 100,
  emails: 5,
  /** characters (code points), as the provider counts them */
  remark: 50,
  /** the issued PDF, bytes */
  pdfBytes: 10 * 1024 * 1024,
} as const;

// ——— Requests ———

const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
const Email = z.email().max(254);
const Emails = (min: number) =>
  z
    .array(Email)
    .min(min)
    .max(INVOICE_LIMITS.emails)
    .refine((a) => new Set(a.map((e) => e.toLowerCase())).size === a.length, 'each address at most once');
const ItemId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid id');

export const InvoiceItemRef = z.strictObject({ kind: InvoiceItemKind, id: ItemId });
export type InvoiceItemRef = z.infer<typeof InvoiceItemRef>;

/** POST /v1/orgs/{orgId}/invoices */
export const CreateInvoiceBody = z.strictObject({
  items: z
    .array(InvoiceItemRef)
    .min(1)
    .max(INVOICE_LIMITS.items)
    .refine((a) => new Set(a.map((i) => `${i.kind}:${i.id}`)).size === a.length, 'each item at most once'),
  type: InvoiceType,
  remark: z
    .string()
    .trim()
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .refine((s) => [...s].length <= INVOICE_LIMITS.remark, `at most ${INVOICE_LIMITS.remark} characters`)
    .optional(),
  emails: Emails(1),
});
export type CreateInvoiceBody = z.infer<typeof CreateInvoiceBody>;

/** PUT /v1/orgs/{orgId}/settings/auto-invoice: the receiving addresses are required when it is on. */
export const AutoInvoiceBody = z
  .strictObject({ enabled: z.boolean(), emails: Emails(0) })
  .refine((b) => !b.enabled || b.emails.length > 0, {
    message: 'at least one address when enabled',
    path: ['emails'],
  });
export type AutoInvoiceBody = z.infer<typeof AutoInvoiceBody>;

const Limit = z.coerce.number().int().min(1).max(100).default(20);
const Cursor = z.string().max(200).optional();

/** GET /v1/orgs/{orgId}/invoices */
export const InvoiceListQuery = z.strictObject({
  limit: Limit,
  cursor: Cursor,
  status: InvoiceStatus.optional(),
});
/** GET /v1/orgs/{orgId}/invoiceable */
export const InvoiceableQuery = z.strictObject({ limit: Limit, cursor: Cursor });
/** GET /v1/internal/invoices: the operator's queue, oldest first */
export const InternalInvoiceListQuery = z.strictObject({
  limit: Limit,
  cursor: Cursor,
  status: InvoiceStatus.default('requested'),
});

/** POST /v1/internal/invoices/{id}/issue: the tax authority's number and date, and the invoice PDF. */
export const IssueInvoiceBody = z.strictObject({
  number: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'letters, digits and hyphens, at most 64'),
  issuedAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  pdfBase64: z
    .string()
    .min(1)
    .max(Math.ceil((INVOICE_LIMITS.pdfBytes * 4) / 3) + 4),
});
export type IssueInvoiceBody = z.infer<typeof IssueInvoiceBody>;

/** POST /v1/internal/invoices/{id}/fail */
export const FailInvoiceBody = z.strictObject({ reason: Text(500) });

// ——— Responses ———

const Money = z.number().int().nonnegative();
const Instant = z.iso.datetime();

/** An item that may be invoiced now (GET …/invoiceable) or that an invoice covers. */
export const InvoiceableItem = z.strictObject({
  kind: InvoiceItemKind,
  /** the bill's month (YYYY-MM) or the order's id */
  id: z.string(),
  currency: Currency,
  /** a bill: what was paid for it — its pay-as-you-go total less coupons and any adjustment (amountDue); an order: its amount */
  amount: Money,
  paidAt: Instant,
  /** an order's type and cluster (null for a bill) */
  orderType: OrderType.nullable(),
  clusterName: z.string().nullable(),
});
export type InvoiceableItem = z.infer<typeof InvoiceableItem>;

export const InvoiceableList = z.strictObject({
  items: z.array(InvoiceableItem),
  nextCursor: z.string().nullable(),
});

export const InvoiceItem = z.strictObject({ kind: InvoiceItemKind, id: z.string(), amount: Money });
export type InvoiceItem = z.infer<typeof InvoiceItem>;

/** The buyer as copied from the org's certification when the invoice was requested. */
export const InvoiceBuyer = z.strictObject({
  kind: CertificationKind,
  title: z.string(),
  taxId: z.string().nullable(),
  address: z.string().nullable(),
  phone: z.string().nullable(),
  bank: z.string().nullable(),
  bankAccount: z.string().nullable(),
});

export const Invoice = z.strictObject({
  id: z.string(),
  orgId: z.string(),
  type: InvoiceType,
  status: InvoiceStatus,
  currency: Currency,
  /** Σ items' amounts */
  totalAmount: Money,
  /** null only for an automatic request refused because the org had no certification data (failed) */
  buyer: InvoiceBuyer.nullable(),
  remark: z.string().nullable(),
  emails: z.array(z.string()),
  /** made by the org's automatic invoicing (null requestedBy) rather than by a user */
  automatic: z.boolean(),
  requestedBy: z.string().nullable(),
  requestedAt: Instant,
  number: z.string().nullable(),
  issuedAt: Instant.nullable(),
  failedAt: Instant.nullable(),
  failureReason: z.string().nullable(),
  /** the PDF is at …/invoices/{id}/document once issued */
  hasDocument: z.boolean(),
  items: z.array(InvoiceItem),
});
export type Invoice = z.infer<typeof Invoice>;

export const InvoiceList = z.strictObject({ items: z.array(Invoice), nextCursor: z.string().nullable() });

export const AutoInvoiceSetting = z.strictObject({
  enabled: z.boolean(),
  emails: z.array(z.string()),
  /** always 专票: automatic requests are special invoices (SPEC §10.4) */
  type: z.literal('special'),
  updatedAt: Instant.nullable(),
  updatedBy: z.string().nullable(),
});
export type AutoInvoiceSetting = z.infer<typeof AutoInvoiceSetting>;

export const invoiceResponses = {
  'GET /v1/orgs/:orgId/invoiceable': InvoiceableList,
  'GET /v1/orgs/:orgId/invoices': InvoiceList,
  'POST /v1/orgs/:orgId/invoices': Invoice,
  'GET /v1/orgs/:orgId/invoices/:invoiceId': Invoice,
  'GET /v1/orgs/:orgId/settings/auto-invoice': AutoInvoiceSetting,
  'PUT /v1/orgs/:orgId/settings/auto-invoice': AutoInvoiceSetting,
  'GET /v1/internal/invoices': InvoiceList,
  'POST /v1/internal/invoices/:invoiceId/issue': Invoice,
  'POST /v1/internal/invoices/:invoiceId/fail': Invoice,
} satisfies Record<string, z.ZodType>;

/** The invoice's PDF (the operator's upload), merged into documentOf. */
export const invoiceDocuments = {
  'GET /v1/orgs/:orgId/invoices/:invoiceId/document': ['application/pdf'],
} as const;
