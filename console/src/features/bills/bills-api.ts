import { post } from '../../api/client.js';
import type { BillSummary } from '../../api/types.js';

const bill = (orgId: string, month: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/bills/${encodeURIComponent(month)}`;

/** The bill lifecycle's routes (SPEC §10.2) the bills page uses. */
export const billsApi = {
  confirm: (orgId: string, month: string, key: string) =>
    post<BillSummary>(`${bill(orgId, month)}/confirm`, {}, key),
  dispute: (orgId: string, month: string, reason: string, key: string) =>
    post<BillSummary>(`${bill(orgId, month)}/dispute`, { reason }, key),
};
