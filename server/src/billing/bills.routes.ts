import { z } from 'zod';
import {
  BillMonthParam,
  DisputeBillBody,
  DocumentQuery,
  ExportQuery,
  ListQuery,
  ResolveBillBody,
} from '../../../contract/api.js';
import { authorizeOrg } from '../access/policy.js';
import { attachment, documentLang } from '../documents/http.js';
import { defineRoute, Id } from '../http/route.js';
import { decodeCursor, encodeCursor } from '../platform/pagination.js';
import { billDocument } from './bill-document.js';
import { billSpreadsheet } from './bill-export.js';
import { confirmBill, disputeBill, resolveBill } from './bill-lifecycle.js';
import { presentBill, presentBillSummary } from './bills.presenter.js';
import { listBills, loadBill } from './bills.service.js';

const OrgParams = z.object({ orgId: Id });
const BillParams = z.object({ orgId: Id, month: BillMonthParam });

export const billRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/bills',
    summary: '账单: monthly bills, newest first; the current month is open (未出账) and grows with usage',
    tags: ['bills'],
    auth: 'user',
    params: OrgParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      authorizeOrg(principal, params.orgId, 'bill.read');
      const before = query.cursor ? decodeCursor<[string]>(query.cursor, ['string'])[0] : undefined;
      const r = await listBills(deps.db, deps.config, params.orgId, now, {
        limit: query.limit,
        beforeMonth: before,
      });
      return {
        body: {
          items: r.items.map(presentBillSummary),
          nextCursor: r.nextMonth ? encodeCursor([r.nextMonth]) : null,
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/bills/:month',
    summary: 'One month’s bill with its lines and the coupons applied',
    tags: ['bills'],
    auth: 'user',
    params: BillParams,
    handler: async ({ deps, principal, params, now }) => {
      authorizeOrg(principal, params.orgId, 'bill.read');
      return { body: presentBill(await loadBill(deps.db, deps.config, params.orgId, params.month, now)) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/bills/:month/document',
    summary: 'The bill as a PDF (zh-CN by default, ?lang=en)',
    tags: ['bills'],
    auth: 'user',
    params: BillParams,
    query: DocumentQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      authorizeOrg(principal, params.orgId, 'bill.read');
      const bill = await loadBill(deps.db, deps.config, params.orgId, params.month, now);
      const lang = documentLang(query.lang);
      const pdf = await billDocument(bill, { lang, now, catalog: deps.catalog });
      return {
        body: pdf,
        contentType: 'application/pdf',
        headers: attachment(`bill-${params.month}.pdf`),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/bills/:month/export',
    summary: 'The bill’s lines as a spreadsheet (?format=csv|xlsx)',
    tags: ['bills'],
    auth: 'user',
    params: BillParams,
    query: ExportQuery.extend({ lang: DocumentQuery.shape.lang }),
    handler: async ({ deps, principal, params, query, now }) => {
      authorizeOrg(principal, params.orgId, 'bill.read');
      const bill = await loadBill(deps.db, deps.config, params.orgId, params.month, now);
      const out = await billSpreadsheet(bill, query.format, documentLang(query.lang), deps.catalog);
      return {
        body: out.body,
        contentType: out.contentType,
        headers: attachment(`bill-${params.month}.${query.format}`),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/bills/:month/confirm',
    summary: '确认账单: confirm a pending bill before its 3 business days end; it is charged at once',
    tags: ['bills'],
    auth: 'user',
    params: BillParams,
    handler: async ({ deps, principal, params, now }, tx) => {
      authorizeOrg(principal, params.orgId, 'bill.confirm');
      await confirmBill(tx, deps.config, params.orgId, params.month, now);
      return { body: presentBillSummary(await loadBill(tx, deps.config, params.orgId, params.month, now)) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/bills/:month/dispute',
    summary: '质疑账单: dispute a pending bill; nothing is charged until an operator resolves it',
    tags: ['bills'],
    auth: 'user',
    params: BillParams,
    body: DisputeBillBody,
    handler: async ({ deps, principal, params, body, now }, tx) => {
      authorizeOrg(principal, params.orgId, 'bill.dispute');
      await disputeBill(tx, deps.config, params.orgId, params.month, body.reason, now);
      return { body: presentBillSummary(await loadBill(tx, deps.config, params.orgId, params.month, now)) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/bills/:month/resolve',
    summary: 'Resolve a disputed bill with an adjustment (a credit, its own line), which confirms it',
    tags: ['internal'],
    auth: 'operator',
    params: BillParams,
    body: ResolveBillBody,
    handler: async ({ deps, params, body, now }, tx) => {
      await resolveBill(tx, deps.config, params.orgId, params.month, body.adjustment, now);
      return { body: presentBillSummary(await loadBill(tx, deps.config, params.orgId, params.month, now)) };
    },
  }),
];
