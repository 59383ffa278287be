import { z } from 'zod';
import { LedgerExportQuery, LedgerQuery } from '../../../contract/api.js';
import { authorizeOrg } from '../access/policy.js';
import { attachment, documentLang } from '../documents/http.js';
import { defineRoute, Id } from '../http/route.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { AppError } from '../platform/errors.js';
import { decodeCursor, pageOf } from '../platform/pagination.js';
import { entryCursorOf, presentEntry } from './ledger.presenter.js';
import { type EntryFilters, entriesInBatches, listEntries } from './ledger.repository.js';
import { ledgerExport } from './ledger-export.js';

const OrgParams = z.object({ orgId: Id });

/** The filters as the repository reads them; an empty or inverted range is bad input, not an empty answer. */
function filtersOf(q: { kind?: EntryFilters['kind']; from?: Date; to?: Date }): EntryFilters {
  if (q.from && q.to && q.from.getTime() >= q.to.getTime())
    throw new AppError('VALIDATION_FAILED', 'to: must be after from', {
      in: 'query',
      issues: [{ field: 'to', message: 'must be after from', code: 'custom' }],
    });
  return { kind: q.kind, from: q.from, to: q.to };
}

export const ledgerRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/ledger',
    summary: 'Cash balance entries, newest first (append-only); ?kind, ?from, ?to (instants, half-open)',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    query: LedgerQuery,
    handler: async ({ deps, principal, params, query }) => {
      authorizeOrg(principal, params.orgId, 'ledger.read');
      const filters = filtersOf(query);
      const before = query.cursor ? decodeCursor<[string]>(query.cursor, ['string'])[0] : undefined;
      const rows = await listEntries(deps.db, params.orgId, { ...filters, before, limit: query.limit });
      return { body: pageOf(rows, query.limit, presentEntry, entryCursorOf) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/ledger/export',
    summary:
      'The filtered cash entries as CSV (UTF-8 with BOM) or XLSX, streamed, times in the org’s zone (?format=csv|xlsx)',
    tags: ['money'],
    auth: 'user',
    params: OrgParams,
    query: LedgerExportQuery,
    handler: async ({ deps, principal, params, query }) => {
      authorizeOrg(principal, params.orgId, 'ledger.read');
      const filters = filtersOf(query);
      const org = await requireOrg(deps.db, params.orgId);
      const out = ledgerExport(entriesInBatches(deps.db, params.orgId, filters), {
        format: query.format,
        lang: documentLang(query.lang),
        timeZone: org.time_zone,
      });
      return {
        body: out.body,
        contentType: out.contentType,
        headers: attachment(`ledger.${query.format}`),
      };
    },
  }),
];
