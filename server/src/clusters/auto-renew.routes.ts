import { sql } from 'kysely';
import { z } from 'zod';
import { AutoRenewBody, ListQuery } from '../../../contract/api.js';
import { Currency } from '../../../contract/enums.js';
import type { AutoRenewSetting, RenewalAttempt } from '../../../contract/responses.js';
import { authorizeOrg, authorizeProject, orgAccess } from '../access/policy.js';
import type { Queryable, RenewalAttemptsTable } from '../db/schema.js';
import { defineRoute, Id } from '../http/route.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { decodeCursor, pageOf } from '../platform/pagination.js';
import { requireCluster } from './cluster-change.js';

const OrgParams = z.object({ orgId: Id });
const ClusterParams = z.object({ orgId: Id, clusterId: Id });

async function readSetting(db: Queryable, orgId: string): Promise<AutoRenewSetting> {
  const o = await db
    .selectFrom('orgs')
    .select(['auto_renew', 'auto_renew_updated_at', 'auto_renew_updated_by'])
    .where('id', '=', orgId)
    .executeTakeFirst();
  if (!o) throw new AppError('NOT_FOUND', 'organization not found');
  return {
    enabled: o.auto_renew,
    updatedAt: o.auto_renew_updated_at?.toISOString() ?? null,
    updatedBy: o.auto_renew_updated_by,
  };
}

function presentAttempt(a: RenewalAttemptsTable): RenewalAttempt {
  return {
    clusterId: a.cluster_id,
    at: a.at.toISOString(),
    k: a.k,
    termEndsAt: a.term_ends_at.toISOString(),
    outcome: a.outcome,
    orderId: a.order_id,
    amount: a.amount,
    shortfall: a.shortfall,
    currency: Currency.parse(a.currency),
    reason: a.reason,
    recordedAt: a.recorded_at.toISOString(),
  };
}

export const autoRenewRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/settings/auto-renew',
    summary: '自动续订: whether the org renews its subscription clusters automatically (SPEC §8.4)',
    tags: ['clusters'],
    auth: 'user',
    params: OrgParams,
    handler: async ({ deps, principal, params }) => {
      authorizeOrg(principal, params.orgId, 'autorenew.read');
      return { body: await readSetting(deps.db, params.orgId) };
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/orgs/:orgId/settings/auto-renew',
    summary:
      '自动续订 on or off (Org Admin). Turning it on creates no order and charges nothing by itself; attempts start 7 days before a term ends',
    tags: ['clusters'],
    auth: 'user',
    params: OrgParams,
    body: AutoRenewBody,
    handler: async ({ deps, principal, params, body, now }, tx) => {
      authorizeOrg(principal, params.orgId, 'autorenew.set');
      const before = await readSetting(tx, params.orgId);
      if (before.enabled !== body.enabled) {
        await tx
          .updateTable('orgs')
          .set({ auto_renew: body.enabled, auto_renew_updated_at: now, auto_renew_updated_by: principal.id })
          .where('id', '=', params.orgId)
          .execute();
        await emit(tx, {
          orgId: params.orgId,
          type: 'org.auto_renew_changed',
          aggregateId: params.orgId,
          payload: { enabled: body.enabled, by: principal.id },
          now,
        });
      }
      return { body: await readSetting(tx, params.orgId) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/clusters/:clusterId/renewal-attempts',
    summary: "The cluster's auto-renew attempts, newest first (SPEC §8.4)",
    tags: ['clusters'],
    auth: 'user',
    params: ClusterParams,
    query: ListQuery,
    handler: async ({ deps, principal, params, query }) => {
      orgAccess(principal, params.orgId);
      const c = await requireCluster(deps.db, params.orgId, params.clusterId);
      authorizeProject(principal, params.orgId, c.project_id, 'cluster.renewals.read', 'cluster');
      let q = deps.db
        .selectFrom('renewal_attempts')
        .selectAll()
        .where('org_id', '=', params.orgId)
        .where('cluster_id', '=', params.clusterId);
      if (query.cursor) {
        const [at, termEndsAt] = decodeCursor<[string, string]>(query.cursor, ['date', 'date']);
        q = q.where(
          sql<boolean>`(at, term_ends_at) < (${new Date(at)}::timestamptz, ${new Date(termEndsAt)}::timestamptz)`,
        );
      }
      const rows = await q
        .orderBy('at', 'desc')
        .orderBy('term_ends_at', 'desc')
        .limit(query.limit + 1)
        .execute();
      return {
        body: pageOf(rows, query.limit, presentAttempt, (r) => [
          r.at.toISOString(),
          r.term_ends_at.toISOString(),
        ]),
      };
    },
  }),
];
