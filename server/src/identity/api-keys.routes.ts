import { z } from 'zod';
import { CreateApiKeyBody, EmptyBody, ListQuery } from '../../../contract/api.js';
import { defineRoute, Id } from '../http/route.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.js';
import { principalCache } from './principal-cache.js';

const OrgParams = z.object({ orgId: Id });
const KeyParams = z.object({ orgId: Id, keyId: Id });

/** The caller's own API keys in one org (SPEC §11). Revocation is a POST: the API has no DELETE. */
export const apiKeyRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/api-keys',
    summary:
      'The caller’s API keys in this org (never the secrets), newest first, with when each was last used',
    tags: ['access'],
    auth: 'user',
    params: OrgParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query }) => ({
      body: await listApiKeys(deps.db, principal, params.orgId, query),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/api-keys',
    summary: 'Create an API key for the caller in this org; the secret is answered this once',
    tags: ['access'],
    // Never stored for an Idempotency-Key replay: a replay is 409 IDEMPOTENT_REPLAY_UNAVAILABLE.
    secretAnswer: true,
    auth: 'user',
    params: OrgParams,
    body: CreateApiKeyBody,
    successStatus: 201,
    handler: async ({ principal, params, body, now }, tx) => ({
      status: 201,
      body: await createApiKey(tx, principal, params.orgId, body.name, now),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/api-keys/:keyId/revoke',
    summary: 'Revoke one of the caller’s API keys: refused from the next request on',
    tags: ['access'],
    auth: 'user',
    params: KeyParams,
    body: EmptyBody,
    handler: async ({ deps, principal, params, now }, tx) => {
      // refused by this process from the next request on, before the database's announcement arrives
      principalCache(deps).willChange(principal.id);
      return { body: await revokeApiKey(tx, principal, params.orgId, params.keyId, now) };
    },
  }),
];
