import type { z } from 'zod';
import type { CreateClusterBody, QuoteBody } from '../../../contract/api.js';
import type { DocumentLang, ExportFormat } from '../../../contract/enums.js';
import { get, post, put, qs } from './client.js';
import type {
  ApiKey,
  AutoRenewSetting,
  Balance,
  Bill,
  BillList,
  Catalog,
  Cluster,
  ClusterPurchase,
  Coupon,
  CreatedApiKey,
  Invitation,
  InvitationAccepted,
  Me,
  Order,
  OrderDetail,
  OrderResult,
  Page,
  Payment,
  Project,
  Quote,
  RemittanceAccount,
  Term,
  TopUp,
} from './types.js';

/** Request bodies are the contract's own types (contract/api.ts): the server validates with the same schemas. */
type PurchaseQuoteRequest = Extract<z.input<typeof QuoteBody>, { type: 'new_purchase' }>;
type CreateClusterRequest = z.input<typeof CreateClusterBody>;

/** Every API path the console uses, in one place. */
const org = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}`;
const invitation = (token: string) => `/v1/invitations/${encodeURIComponent(token)}`;

export interface OrderFilters {
  status?: string;
  type?: string;
  projectId?: string;
  createdFrom?: string;
  createdTo?: string;
  q?: string;
}

export const api = {
  me: () => get<Me>('/v1/me'),
  catalog: () => get<Catalog>('/v1/catalog'),
  projects: (orgId: string) => get<Page<Project>>(`${org(orgId)}/projects`),
  orders: (orgId: string, f: OrderFilters & { limit: number; cursor?: string }, signal?: AbortSignal) =>
    get<Page<Order>>(`${org(orgId)}/orders${qs({ ...f })}`, signal),
  order: (orgId: string, orderId: string) =>
    get<OrderDetail>(`${org(orgId)}/orders/${encodeURIComponent(orderId)}`),
  orderDocumentPath: (orgId: string, orderId: string, lang: DocumentLang) =>
    `${org(orgId)}/orders/${encodeURIComponent(orderId)}/document${qs({ lang })}`,
  pay: (orgId: string, orderId: string, key: string) =>
    post<Payment>(`${org(orgId)}/orders/${encodeURIComponent(orderId)}/pay`, {}, key),
  cancel: (orgId: string, orderId: string, key: string) =>
    post<OrderResult>(`${org(orgId)}/orders/${encodeURIComponent(orderId)}/cancel`, {}, key),
  balance: (orgId: string) => get<Balance>(`${org(orgId)}/balance`),
  remittance: (orgId: string) => get<RemittanceAccount>(`${org(orgId)}/remittance-account`),
  topups: (orgId: string, cursor?: string) =>
    get<Page<TopUp>>(`${org(orgId)}/topups${qs({ limit: 20, cursor })}`),
  bills: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<BillList>(`${org(orgId)}/bills${qs({ limit: 12, cursor })}`, signal),
  bill: (orgId: string, month: string, signal?: AbortSignal) =>
    get<Bill>(`${org(orgId)}/bills/${encodeURIComponent(month)}`, signal),
  billDocumentPath: (orgId: string, month: string, lang: DocumentLang) =>
    `${org(orgId)}/bills/${encodeURIComponent(month)}/document${qs({ lang })}`,
  billExportPath: (orgId: string, month: string, format: ExportFormat, lang: DocumentLang) =>
    `${org(orgId)}/bills/${encodeURIComponent(month)}/export${qs({ format, lang })}`,
  coupons: (orgId: string) => get<Page<Coupon>>(`${org(orgId)}/coupons${qs({ limit: 50 })}`),
  clusters: (orgId: string, cursor?: string) =>
    get<Page<Cluster>>(`${org(orgId)}/clusters${qs({ limit: 50, cursor })}`),
  cluster: (orgId: string, clusterId: string) =>
    get<Cluster>(`${org(orgId)}/clusters/${encodeURIComponent(clusterId)}`),
  quotePurchase: (orgId: string, b: Omit<PurchaseQuoteRequest, 'type'>) =>
    post<Quote>(`${org(orgId)}/quotes`, { type: 'new_purchase', ...b }),
  quoteUpgrade: (orgId: string, b: { clusterId: string; cuSize: number; replicas: number; term?: Term }) =>
    post<Quote>(`${org(orgId)}/quotes`, { type: 'upgrade', ...b }),
  quoteRenewal: (orgId: string, b: { clusterId: string; term: Term }) =>
    post<Quote>(`${org(orgId)}/quotes`, { type: 'renewal', ...b }),
  createCluster: (orgId: string, b: CreateClusterRequest, key: string) =>
    post<ClusterPurchase>(`${org(orgId)}/clusters`, b, key),
  upgradeCluster: (
    orgId: string,
    clusterId: string,
    b: { cuSize?: number; replicas?: number; term?: Term },
    key: string,
  ) => post<OrderResult>(`${org(orgId)}/clusters/${encodeURIComponent(clusterId)}/upgrade`, b, key),
  renewCluster: (orgId: string, clusterId: string, term: Term, key: string) =>
    post<OrderResult>(`${org(orgId)}/clusters/${encodeURIComponent(clusterId)}/renew`, { term }, key),
  autoRenew: (orgId: string) => get<AutoRenewSetting>(`${org(orgId)}/settings/auto-renew`),
  setAutoRenew: (orgId: string, enabled: boolean) =>
    put<AutoRenewSetting>(`${org(orgId)}/settings/auto-renew`, { enabled }),
  apiKeys: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<Page<ApiKey>>(`${org(orgId)}/api-keys${qs({ limit: 100, cursor })}`, signal),
  // No Idempotency-Key: a replayable answer would keep the secret in the idempotency store for days. The
  // dialog sends one request per click and is busy meanwhile, so a double click still creates one key.
  createApiKey: (orgId: string, name: string) => post<CreatedApiKey>(`${org(orgId)}/api-keys`, { name }),
  revokeApiKey: (orgId: string, id: string, key: string) =>
    post<ApiKey>(`${org(orgId)}/api-keys/${encodeURIComponent(id)}/revoke`, {}, key),
  invitation: (token: string, signal?: AbortSignal) => get<Invitation>(invitation(token), signal),
  acceptInvitation: (token: string, password: string) =>
    post<InvitationAccepted>(`${invitation(token)}/accept`, { password }),
};
