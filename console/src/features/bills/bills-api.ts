import { get, qs } from '../../api/client.js';

/** The bills API as the server answers it (GET /v1/orgs/{orgId}/bills[/{month}]); amounts in fen. */
export type BillStatus = 'open' | 'unpaid' | 'paid' | 'overdue';

export interface BillSummary {
  orgId: string;
  month: string;
  currency: string;
  status: BillStatus;
  periodStart: string;
  periodEnd: string;
  issuedAt: string | null;
  dueAt: string | null;
  paidAt: string | null;
  overdueAt: string | null;
  totalAmount: number;
  prepaidAmount: number;
  usageAmount: number;
  couponAmount: number;
  amountDue: number;
  paidAmount: number;
  outstandingAmount: number;
}

export interface BillLine {
  lineNo: number;
  kind: 'subscription' | 'usage';
  settlement: 'prepaid' | 'pay_as_you_go';
  orderId: string | null;
  orderType: 'new_purchase' | 'upgrade' | null;
  clusterId: string;
  clusterName: string;
  region: string | null;
  metric: 'storage' | 'backup' | null;
  quantity: string | null;
  unit: string | null;
  unitPriceMicros: number | null;
  paidAt: string | null;
  amount: number;
  couponAmount: number;
  dueAmount: number;
}

export interface BillDetail extends BillSummary {
  lines: BillLine[];
  couponApplications: { couponId: string; lineNo: number; amount: number }[];
}

const base = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/bills`;

export const billsApi = {
  list: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<{ items: BillSummary[]; nextCursor: string | null }>(
      `${base(orgId)}${qs({ limit: 12, cursor })}`,
      signal,
    ),
  get: (orgId: string, month: string, signal?: AbortSignal) =>
    get<BillDetail>(`${base(orgId)}/${encodeURIComponent(month)}`, signal),
  documentPath: (orgId: string, month: string, lang: 'zh-CN' | 'en') =>
    `${base(orgId)}/${encodeURIComponent(month)}/document${qs({ lang })}`,
  exportPath: (orgId: string, month: string, format: 'csv' | 'xlsx', lang: 'zh-CN' | 'en') =>
    `${base(orgId)}/${encodeURIComponent(month)}/export${qs({ format, lang })}`,
};
