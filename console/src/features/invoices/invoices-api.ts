import type {
  AutoInvoiceBody,
  AutoInvoiceSetting,
  CreateInvoiceBody,
  Invoice,
  InvoiceableItem,
  InvoiceStatus,
} from '../../../../contract/invoices.js';
import { get, post, put, qs } from '../../api/client.js';
import type { Page } from '../../api/types.js';

/** The answers' and bodies' types of the invoice routes, from the contract (contract/invoices.ts). */
export type { AutoInvoiceSetting, CreateInvoiceBody, Invoice, InvoiceableItem, InvoiceStatus };

const org = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}`;

/** The invoice routes of SPEC §10.4 the 发票 page uses. */
export const invoicesApi = {
  invoiceable: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<Page<InvoiceableItem>>(`${org(orgId)}/invoiceable${qs({ limit: 100, cursor })}`, signal),
  invoices: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<Page<Invoice>>(`${org(orgId)}/invoices${qs({ limit: 20, cursor })}`, signal),
  request: (orgId: string, body: CreateInvoiceBody, key: string) =>
    post<Invoice>(`${org(orgId)}/invoices`, body, key),
  documentPath: (orgId: string, invoiceId: string) =>
    `${org(orgId)}/invoices/${encodeURIComponent(invoiceId)}/document`,
  autoInvoice: (orgId: string, signal?: AbortSignal) =>
    get<AutoInvoiceSetting>(`${org(orgId)}/settings/auto-invoice`, signal),
  setAutoInvoice: (orgId: string, body: AutoInvoiceBody) =>
    put<AutoInvoiceSetting>(`${org(orgId)}/settings/auto-invoice`, body),
};
