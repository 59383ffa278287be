import type { Invitation, InvitationAccepted } from '../../../../contract/responses.js';
import { get, post, qs } from '../../api/client.js';
import type { ApiKey, CreatedApiKey, Page } from '../../api/types.js';

/** The caller's API keys and invitation links; the answers are the contract's (contract/responses.ts). */
export type { ApiKey, CreatedApiKey };

const keys = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/api-keys`;
const invitation = (token: string) => `/v1/invitations/${encodeURIComponent(token)}`;

export const accountApi = {
  apiKeys: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<Page<ApiKey>>(`${keys(orgId)}${qs({ limit: 100, cursor })}`, signal),
  // No Idempotency-Key: a replayable answer would keep the secret in the idempotency store for days. The
  // dialog sends one request per click and is busy meanwhile, so a double click still creates one key.
  createApiKey: (orgId: string, name: string) => post<CreatedApiKey>(keys(orgId), { name }),
  revokeApiKey: (orgId: string, id: string, idempotencyKey: string) =>
    post<ApiKey>(`${keys(orgId)}/${encodeURIComponent(id)}/revoke`, {}, idempotencyKey),
  invitation: (token: string, signal?: AbortSignal) => get<Invitation>(invitation(token), signal),
  acceptInvitation: (token: string, password: string) =>
    post<InvitationAccepted>(`${invitation(token)}/accept`, { password }),
};
