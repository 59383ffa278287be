import { get, post, qs } from '../../api/client.js';
import type { Page } from '../../api/types.js';

/** One of the caller's API keys in one org (GET /v1/orgs/{orgId}/api-keys); the secret is never listed. */
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The answer to creating a key: the only time its secret is shown. */
export interface CreatedApiKey extends ApiKey {
  secret: string;
}

export interface Invitation {
  email: string;
  expiresAt: string;
}

const keys = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}/api-keys`;
const invitation = (token: string) => `/v1/invitations/${encodeURIComponent(token)}`;

export const accountApi = {
  apiKeys: (orgId: string, cursor?: string, signal?: AbortSignal) =>
    get<Page<ApiKey>>(`${keys(orgId)}${qs({ limit: 100, cursor })}`, signal),
  createApiKey: (orgId: string, name: string, idempotencyKey: string) =>
    post<CreatedApiKey>(keys(orgId), { name }, idempotencyKey),
  revokeApiKey: (orgId: string, id: string, idempotencyKey: string) =>
    post<ApiKey>(`${keys(orgId)}/${encodeURIComponent(id)}/revoke`, {}, idempotencyKey),
  invitation: (token: string, signal?: AbortSignal) => get<Invitation>(invitation(token), signal),
  acceptInvitation: (token: string, password: string) =>
    post<{ user: { id: string; email: string } }>(`${invitation(token)}/accept`, { password }),
};
