import { z } from 'zod';
import { ClusterListQuery, CreateClusterBody, RenewBody, UpgradeBody } from '../../../contract/api.js';
import { authorizeProject, listableProjectIds, orgAccess } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { pendingChanges } from '../orders/orders.repository.js';
import { decodeTimeCursor, pageOf, timeCursorOf } from '../platform/pagination.js';
import { requireCluster } from './cluster-change.js';
import { presentCluster } from './clusters.presenter.js';
import { listClusters } from './clusters.repository.js';
import { createCluster } from './create-cluster.js';
import { renewCluster } from './renew-cluster.js';
import { upgradeCluster } from './upgrade-cluster.js';

const OrgParams = z.object({ orgId: Id });
const ClusterParams = z.object({ orgId: Id, clusterId: Id });

export const clusterRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/clusters',
    summary: 'Create a subscription cluster; answers the cluster and its unpaid new-purchase order',
    tags: ['clusters'],
    auth: 'user',
    params: OrgParams,
    body: CreateClusterBody,
    successStatus: 201,
    handler: async ({ deps, principal, params, body, now }, tx) => ({
      status: 201,
      body: await createCluster(deps, tx, principal, params.orgId, body, now),
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/clusters',
    summary: 'List clusters the caller can see, each in its state as of now (SPEC §8.1)',
    tags: ['clusters'],
    auth: 'user',
    params: OrgParams,
    query: ClusterListQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      const access = orgAccess(principal, params.orgId);
      const projectIds = listableProjectIds(principal, params.orgId, 'cluster.list', query.projectId);
      const rows = await listClusters(deps.db, params.orgId, { projectIds, state: query.state }, now, {
        limit: query.limit,
        after: decodeTimeCursor(query.cursor),
      });
      const pending = await pendingChanges(
        deps.db,
        params.orgId,
        rows.slice(0, query.limit).map((r) => r.id),
        now,
      );
      return {
        body: pageOf(
          rows,
          query.limit,
          (r) => presentCluster(r, now, { access, pending: pending.get(r.id) ?? null }),
          timeCursorOf,
        ),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/clusters/:clusterId',
    summary: 'One cluster, in its state as of now (SPEC §8.1)',
    tags: ['clusters'],
    auth: 'user',
    params: ClusterParams,
    handler: async ({ deps, principal, params, now }) => {
      orgAccess(principal, params.orgId);
      const c = await requireCluster(deps.db, params.orgId, params.clusterId);
      const access = authorizeProject(principal, params.orgId, c.project_id, 'cluster.read', 'cluster');
      const pending = await pendingChanges(deps.db, params.orgId, [c.id], now);
      return { body: presentCluster(c, now, { access, pending: pending.get(c.id) ?? null }) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/clusters/:clusterId/upgrade',
    summary:
      '升配: raise CU size and/or replicas of a running cluster, optionally with a new term (SPEC §8.3); answers the unpaid upgrade order',
    tags: ['clusters'],
    auth: 'user',
    params: ClusterParams,
    body: UpgradeBody,
    successStatus: 201,
    handler: async ({ deps, principal, params, body, now }, tx) => ({
      status: 201,
      body: await upgradeCluster(deps, tx, principal, params.orgId, params.clusterId, body, now),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/clusters/:clusterId/renew',
    summary:
      '续订: renew the cluster for a term added to its current term end (SPEC §8.2); answers the unpaid renewal order',
    tags: ['clusters'],
    auth: 'user',
    params: ClusterParams,
    body: RenewBody,
    successStatus: 201,
    handler: async ({ deps, principal, params, body, now }, tx) => ({
      status: 201,
      body: await renewCluster(deps, tx, principal, params.orgId, params.clusterId, body, now),
    }),
  }),
];
