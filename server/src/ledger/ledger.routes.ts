import { z } from 'zod';
import { ListQuery } from '../../../contract/api.js';
import { authorizeOrg } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { decodeCursor, pageOf } from '../platform/pagination.js';
import { entryCursorOf, presentEntry } from './ledger.presenter.js';
import { listEntries } from './ledger.repository.js';

const OrgParams = z.object({ orgId: Id });
export const ledgerRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/ledger',
    summary: 'Cash balance entries, newest first (append-only)',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query }) => {
      authorizeOrg(principal, params.orgId, 'ledger.read');
      const before = query.cursor ? decodeCursor<[string]>(query.cursor, ['string'])[0] : undefined;
      const rows = await listEntries(deps.db, params.orgId, { before, limit: query.limit });
      return { body: pageOf(rows, query.limit, presentEntry, entryCursorOf) };
    },
  }),
];
