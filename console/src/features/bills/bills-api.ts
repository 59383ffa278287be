import { get, qs } from '../../api/client.js';
import type { Bill, BillList } from '../../api/types.js';

/** The bills API (GET /v1/orgs/{orgId}/bills[/{month}]); its answers are the contract's (contract/responses.ts). */
const base = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/bills`;

export const billsApi = {
  list: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<BillList>(`${base(orgId)}${qs({ limit: 12, cursor })}`, signal),
  get: (orgId: string, month: string, signal?: AbortSignal) =>
    get<Bill>(`${base(orgId)}/${encodeURIComponent(month)}`, signal),
  documentPath: (orgId: string, month: string, lang: 'zh-CN' | 'en') =>
    `${base(orgId)}/${encodeURIComponent(month)}/document${qs({ lang })}`,
  exportPath: (orgId: string, month: string, format: 'csv' | 'xlsx', lang: 'zh-CN' | 'en') =>
    `${base(orgId)}/${encodeURIComponent(month)}/export${qs({ format, lang })}`,
};
