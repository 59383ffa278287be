import type { ApiKey } from '../../../contract/responses.js';
import { authorizeOrg } from '../access/policy.js';
import type { Queryable, Tx } from '../db/schema.js';
import type { UserPrincipal } from '../http/principal.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { decodeTimeCursor, type Page, pageOf } from '../platform/pagination.js';
import * as repo from './api-keys.repository.js';
import { hashToken, newApiKey } from './secrets.js';

/** Live keys one user may hold in one org: enough for every environment, bounded like everything else. */
export const MAX_ACTIVE_KEYS = 50;

export function presentApiKey(k: repo.ApiKeyRow): ApiKey {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    createdAt: k.created_at.toISOString(),
    lastUsedAt: k.last_used_at?.toISOString() ?? null,
    revokedAt: k.revoked_at?.toISOString() ?? null,
  };
}

/**
 * Issues a key for one user in one org. The secret is answered this once; only its SHA-256 is stored. The
 * membership must exist (the foreign key says so too).
 */
export async function issueApiKey(
  tx: Tx,
  input: { orgId: string; userId: string; name: string },
  now: Date,
): Promise<{ apiKey: ReturnType<typeof presentApiKey>; secret: string }> {
  if (!(await repo.lockMembership(tx, input.orgId, input.userId))) {
    throw new AppError('NOT_FOUND', 'organization not found');
  }
  if ((await repo.countActiveKeys(tx, input.orgId, input.userId)) >= MAX_ACTIVE_KEYS) {
    throw new AppError(
      'API_KEY_LIMIT_REACHED',
      `at most ${MAX_ACTIVE_KEYS} live API keys per user and organization: revoke one first`,
      { limit: MAX_ACTIVE_KEYS },
    );
  }
  const secret = newApiKey();
  const row = await repo.insertApiKey(tx, {
    keyHash: hashToken(secret),
    id: newId('key', now),
    orgId: input.orgId,
    userId: input.userId,
    name: input.name,
    prefix: secret.slice(0, 8),
    now,
  });
  return { apiKey: presentApiKey(row), secret };
}

/** POST /v1/orgs/{orgId}/api-keys: a new key of the caller's, in this org. */
export async function createApiKey(tx: Tx, p: UserPrincipal, orgId: string, name: string, now: Date) {
  authorizeOrg(p, orgId, 'apikey.manage');
  const { apiKey, secret } = await issueApiKey(tx, { orgId, userId: p.id, name }, now);
  return { ...apiKey, secret };
}

/** GET /v1/orgs/{orgId}/api-keys: the caller's own keys in this org, revoked ones included. */
export async function listApiKeys(
  db: Queryable,
  p: UserPrincipal,
  orgId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<ReturnType<typeof presentApiKey>>> {
  authorizeOrg(p, orgId, 'apikey.manage');
  const rows = await repo.listApiKeys(db, orgId, p.id, query.limit, decodeTimeCursor(query.cursor));
  return pageOf(rows, query.limit, presentApiKey, (r) => [r.created_at.toISOString(), r.id]);
}

/**
 * POST /v1/orgs/{orgId}/api-keys/{id}/revoke: from the next request on, the key is refused. Revoking a
 * revoked key answers it unchanged; another user's key is not found.
 */
export async function revokeApiKey(tx: Tx, p: UserPrincipal, orgId: string, id: string, now: Date) {
  authorizeOrg(p, orgId, 'apikey.manage');
  const revoked = await repo.revokeApiKey(tx, orgId, p.id, id, now);
  if (revoked) return presentApiKey(revoked);
  const existing = await repo.getApiKey(tx, orgId, p.id, id);
  if (!existing) throw new AppError('NOT_FOUND', 'API key not found');
  return presentApiKey(existing);
}
