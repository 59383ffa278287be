import { z } from 'zod';
import { ClusterListQuery, CreateClusterBody, UpgradeBody } from '../../../contract/api.js';
import { authorizeProject, listableProjectIds, orgAccess } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import { decodeTimeCursor, pageOf, timeCursorOf } from '../platform/pagination.js';
import { presentCluster } from './clusters.presenter.js';
import { getCluster, listClusters } from './clusters.repository.js';
import { createCluster } from './create-cluster.js';
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
    summary: 'List clusters the caller can see',
    tags: ['clusters'],
    auth: 'user',
    params: OrgParams,
    query: ClusterListQuery,
    handler: async ({ deps, principal, params, query, now }) => {
      const projectIds = listableProjectIds(principal, params.orgId, 'cluster.list', query.projectId);
      const rows = await listClusters(
        deps.db,
        params.orgId,
        { projectIds, state: query.state },
        {
          limit: query.limit,
          after: decodeTimeCursor(query.cursor),
        },
      );
      return {
        body: pageOf(rows, query.limit, (r) => presentCluster(r, now), timeCursorOf),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/clusters/:clusterId',
    summary: 'One cluster',
    tags: ['clusters'],
    auth: 'user',
    params: ClusterParams,
    handler: async ({ deps, principal, params, now }) => {
      orgAccess(principal, params.orgId);
      const c = await getCluster(deps.db, params.orgId, params.clusterId);
      if (!c) throw new AppError('NOT_FOUND', 'cluster not found');
      authorizeProject(principal, params.orgId, c.project_id, 'cluster.read', 'cluster');
      return { body: presentCluster(c, now) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/clusters/:clusterId/upgrade',
    summary: '升配: raise CU size and/or replicas of a running cluster; answers the unpaid upgrade order',
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
];
