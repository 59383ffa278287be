import { z } from 'zod';
import { QuoteBody } from '../../../contract/api.js';
import { authorizeOrg, authorizeProject, orgAccess } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { quotePurchase } from '../pricing/price.js';
import { requireCluster } from './cluster-change.js';
import { priceRenewal } from './renew-cluster.js';
import { priceUpgrade } from './upgrade-cluster.js';

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
    summary:
      'Price a purchase, an upgrade (optionally with a new term) or a renewal without creating anything',
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
      if (body.type === 'renewal') {
        authorizeProject(principal, params.orgId, cluster.project_id, 'cluster.renew', 'cluster');
        return {
          body: { ...priceRenewal(deps, cluster, body.term, now), clusterId: cluster.id, quotedAt: now },
        };
      }
      authorizeProject(principal, params.orgId, cluster.project_id, 'cluster.upgrade', 'cluster');
      return { body: { ...priceUpgrade(deps, cluster, body, now), clusterId: cluster.id, quotedAt: now } };
    },
  }),
];
