import type { DocumentLang, ExportFormat } from '../../../../contract/enums.js';
import type { MergedPayment, OrderCount } from '../../../../contract/responses.js';
import { get, post, qs } from '../../api/client.js';
import type { OrderFilters } from '../../api/endpoints.js';
import type { Order, Page } from '../../api/types.js';

/** The orders list's own calls beside api.orders: a page jumped to, the total, 合并支付 and 导出. */
const orders = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/orders`;

export interface OrdersPageQuery extends OrderFilters {
  limit: number;
  /** the next page after a known one */
  cursor?: string;
  /** a page jumped to: the row it starts at (exclusive with cursor) */
  offset?: number;
}

export const listApi = {
  page: (orgId: string, q: OrdersPageQuery, signal?: AbortSignal) =>
    get<Page<Order>>(`${orders(orgId)}${qs({ ...q })}`, signal),
  count: (orgId: string, f: OrderFilters, signal?: AbortSignal) =>
    get<OrderCount>(`${orders(orgId)}/count${qs({ ...f })}`, signal),
  payTogether: (orgId: string, orderIds: string[], key: string) =>
    post<MergedPayment>(`${orders(orgId)}/pay`, { orderIds }, key),
  exportPath: (orgId: string, f: OrderFilters, format: ExportFormat, lang: DocumentLang) =>
    `${orders(orgId)}/export${qs({ ...f, format, lang })}`,
};
