import { z } from 'zod';
import { QuoteBody } from '../../../contract/api.js';
import { authorizeOrg, authorizeProject, orgAccess } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { quotePurchase } from '../pricing/price.js';
import { priceUpgrade, requireCluster } from './upgrade-cluster.js';

export const pricingRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/catalog',
    summary: 'Regions, CU types, sizes, terms and prices (minor units)',
    tags: ['pricing'],
    auth: 'user',
    handler: async ({ deps }) => ({ body: deps.catalog }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/orgs/:orgId/quotes',
    summary: 'Price a purchase or an upgrade without creating anything',
    tags: ['pricing'],
    auth: 'user',
    params: z.object({ orgId: Id }),
    body: QuoteBody,
    handler: async ({ deps, principal, params, body, now }, tx) => {
      orgAccess(principal, params.orgId);
      if (body.type === 'new_purchase') {
        authorizeOrg(principal, params.orgId, 'quote.create');
        return { body: { ...quotePurchase(deps.catalog, body, body.term), quotedAt: now } };
      }
      const cluster = await requireCluster(tx, params.orgId, body.clusterId);
      authorizeProject(principal, params.orgId, cluster.project_id, 'cluster.upgrade', 'cluster');
      return { body: { ...priceUpgrade(deps, cluster, body, now), clusterId: cluster.id, quotedAt: now } };
    },
  }),
];
