import { z } from 'zod';
import {
  AutoInvoiceBody,
  CreateInvoiceBody,
  FailInvoiceBody,
  InternalInvoiceListQuery,
  InvoiceableQuery,
  type InvoiceItemKind,
  InvoiceListQuery,
  IssueInvoiceBody,
} from '../../../contract/invoices.js';
import { authorizeOrg } from '../access/policy.js';
import type { Queryable } from '../db/schema.js';
import { attachment } from '../documents/http.js';
import type { UserPrincipal } from '../http/principal.js';
import { defineRoute, Id, type RouteSpec } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import { decodeCursor, pageOf } from '../platform/pagination.js';
import { readAutoInvoiceSetting, setAutoInvoice } from './auto-invoice.js';
import { presentInvoice, presentInvoiceable } from './invoices.presenter.js';
import {
  getDocument,
  getInvoice,
  type InvoiceRow,
  invoiceablePage,
  itemsOf,
  listInvoices,
  listInvoicesForOperator,
} from './invoices.repository.js';
import { requestInvoice } from './request-invoice.js';
import { decodePdfBase64, failInvoice, issueInvoice } from './settle-invoice.js';

const OrgParams = z.object({ orgId: Id });
const InvoiceParams = z.object({ orgId: Id, invoiceId: Id });
const InternalInvoiceParams = z.object({ invoiceId: Id });

/** Invoices are the finance roles' (SPEC §10.4: Org Admin, Org Billing Admin), reading and requesting alike. */
function authorizeInvoices(p: UserPrincipal, orgId: string, what: 'read' | 'request'): void {
  authorizeOrg(p, orgId, what === 'read' ? 'invoice.read' : 'invoice.request');
}

/** Invoice lists page by (requested_at, id): the user's newest first, the operator's oldest first. */
function invoiceCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = decodeCursor<[string, string]>(cursor, ['date', 'string']);
  return { at: new Date(at), id };
}

async function invoicePage(db: Queryable, rows: InvoiceRow[], limit: number) {
  const page = pageOf(
    rows,
    limit,
    (r) => r,
    (r) => [r.requested_at.toISOString(), r.id],
  );
  return { items: await withItems(db, page.items), nextCursor: page.nextCursor };
}

async function withItems(db: Queryable, rows: InvoiceRow[]) {
  const items = await itemsOf(db, rows);
  return rows.map((r) => presentInvoice(r, items.get(r.id) ?? []));
}

async function requireInvoice(db: Queryable, orgId: string, invoiceId: string): Promise<InvoiceRow> {
  const inv = await getInvoice(db, orgId, invoiceId);
  if (!inv) throw new AppError('NOT_FOUND', 'invoice not found');
  return inv;
}

/** 发票: eligible items, requests and their documents (SPEC §10.4). */
export const invoiceRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/invoiceable',
    summary:
      '可开票: issued, fully paid bills (pay-as-you-go less coupons and adjustments) and paid orders not yet invoiced nor requested, newest payment first',
    tags: ['invoices'],
    auth: 'user',
    params: OrgParams,
    query: InvoiceableQuery,
    handler: async ({ deps, principal, params, query }) => {
      authorizeInvoices(principal, params.orgId, 'read');
      const after = query.cursor
        ? decodeCursor<[string, InvoiceItemKind, string]>(query.cursor, ['date', 'string', 'string'])
        : undefined;
      if (after && after[1] !== 'bill' && after[1] !== 'order') {
        throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor this API returned', {
          in: 'query',
          issues: [{ field: 'cursor', message: 'invalid cursor' }],
        });
      }
      const rows = await invoiceablePage(
        deps.db,
        params.orgId,
        query.limit,
        after ? { paidAt: new Date(after[0]), kind: after[1], id: after[2] } : undefined,
      );
      return {
        body: pageOf(rows, query.limit, presentInvoiceable, (r) => [r.paidAt!.toISOString(), r.kind, r.id]),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/invoices',
    summary: 'The org’s invoices (开票中, 已开票, 开票失败), newest request first',
    tags: ['invoices'],
    auth: 'user',
    params: OrgParams,
    query: InvoiceListQuery,
    handler: async ({ deps, principal, params, query }) => {
      authorizeInvoices(principal, params.orgId, 'read');
      const before = invoiceCursor(query.cursor);
      const rows = await listInvoices(deps.db, params.orgId, {
        limit: query.limit,
        status: query.status,
        ...(before ? { before } : {}),
      });
      return { body: await invoicePage(deps.db, rows, query.limit) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/invoices',
    summary:
      '申请开票: 1–100 eligible items, 普票 (normal) or 专票 (special, certified enterprises), remark ≤ 50 characters, 1–5 addresses; the buyer is copied from the org’s certification',
    tags: ['invoices'],
    auth: 'user',
    params: OrgParams,
    body: CreateInvoiceBody,
    successStatus: 201,
    handler: async ({ deps, principal, params, body, now }, tx) => {
      authorizeInvoices(principal, params.orgId, 'request');
      const row = await requestInvoice(tx, {
        orgId: params.orgId,
        body,
        requestedBy: principal.id,
        billingTimeZone: deps.config.billingTimeZone,
        now,
      });
      return { status: 201, body: (await withItems(tx, [row]))[0] };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/invoices/:invoiceId',
    summary: 'One invoice with its items and amounts (total = Σ items)',
    tags: ['invoices'],
    auth: 'user',
    params: InvoiceParams,
    handler: async ({ deps, principal, params }) => {
      authorizeInvoices(principal, params.orgId, 'read');
      const inv = await requireInvoice(deps.db, params.orgId, params.invoiceId);
      return { body: (await withItems(deps.db, [inv]))[0] };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/invoices/:invoiceId/document',
    summary:
      'The issued invoice’s PDF, as the operator uploaded it; 404 while it is requested or once failed',
    tags: ['invoices'],
    auth: 'user',
    params: InvoiceParams,
    handler: async ({ deps, principal, params }) => {
      authorizeInvoices(principal, params.orgId, 'read');
      const inv = await requireInvoice(deps.db, params.orgId, params.invoiceId);
      const doc = inv.status === 'issued' ? await getDocument(deps.db, params.orgId, inv.id) : undefined;
      if (!doc) {
        throw new AppError('NOT_FOUND', `invoice ${inv.id} has no document: it is ${inv.status}`, {
          status: inv.status,
        });
      }
      return {
        body: Buffer.from(doc.pdf),
        contentType: 'application/pdf',
        headers: attachment(`invoice-${inv.number ?? inv.id}.pdf`),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/settings/auto-invoice',
    summary: '自动开票: whether a special invoice is requested for each bill 3 days after it is fully paid',
    tags: ['invoices'],
    auth: 'user',
    params: OrgParams,
    handler: async ({ deps, principal, params }) => {
      authorizeInvoices(principal, params.orgId, 'read');
      return { body: await readAutoInvoiceSetting(deps.db, params.orgId) };
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/orgs/:orgId/settings/auto-invoice',
    summary:
      '自动开票 on or off, with its receiving addresses (1–5 when on); bills paid before it was turned on are not requested',
    tags: ['invoices'],
    auth: 'user',
    params: OrgParams,
    body: AutoInvoiceBody,
    handler: async ({ principal, params, body, now }, tx) => {
      authorizeInvoices(principal, params.orgId, 'request');
      return {
        body: await setAutoInvoice(tx, {
          orgId: params.orgId,
          enabled: body.enabled,
          emails: body.emails,
          by: principal.id,
          now,
        }),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/internal/invoices',
    summary:
      'Every org’s invoices in a status (requested by default), oldest request first: the queue to issue',
    tags: ['internal'],
    auth: 'operator',
    query: InternalInvoiceListQuery,
    handler: async ({ deps, query }) => {
      const after = invoiceCursor(query.cursor);
      const rows = await listInvoicesForOperator(deps.db, {
        limit: query.limit,
        status: query.status,
        ...(after ? { after } : {}),
      });
      return { body: await invoicePage(deps.db, rows, query.limit) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/invoices/:invoiceId/issue',
    summary:
      '已开票: the invoice’s number, date and PDF (base64, at most 10 MB); only from requested (INVOICE_NOT_OPEN otherwise)',
    tags: ['internal'],
    auth: 'operator',
    // A 10 MB PDF is 13.4 MB of base64, with the JSON around it.
    bodyLimit: 14 * 1024 * 1024,
    params: InternalInvoiceParams,
    body: IssueInvoiceBody,
    handler: async ({ params, body, now }, tx) => {
      const row = await issueInvoice(tx, {
        invoiceId: params.invoiceId,
        number: body.number,
        issuedAt: body.issuedAt,
        pdf: decodePdfBase64(body.pdfBase64),
        now,
      });
      return { body: (await withItems(tx, [row]))[0] };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/invoices/:invoiceId/fail',
    summary: '开票失败 with a reason; the invoice’s items may be invoiced again. Only from requested',
    tags: ['internal'],
    auth: 'operator',
    params: InternalInvoiceParams,
    body: FailInvoiceBody,
    handler: async ({ params, body, now }, tx) => {
      const row = await failInvoice(tx, { invoiceId: params.invoiceId, reason: body.reason, now });
      return { body: (await withItems(tx, [row]))[0] };
    },
  }),
];
