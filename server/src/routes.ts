import { accessRoutes } from './access/access.routes.js';
import { apiKeyRoutes } from './access/api-keys.routes.js';
import { invitationRoutes } from './access/invitations.routes.js';
import { billRoutes } from './billing/bills.routes.js';
import { clusterRoutes } from './clusters/clusters.routes.js';
import { documentRoutes } from './documents/documents.routes.js';
import type { RouteSpec } from './http/route.js';
import { jobRoutes } from './jobs/jobs.routes.js';
import { moneyRoutes } from './ledger/money.routes.js';
import { orderRoutes } from './orders/orders.routes.js';
import { internalRoutes } from './orgs/internal.routes.js';
import { pricingRoutes } from './pricing/pricing.routes.js';
import { usageRoutes } from './usage/usage.routes.js';

/** Every route of the API, in one list: the server registers them and the OpenAPI document lists them. */
export const routes: RouteSpec[] = [
  ...accessRoutes,
  ...apiKeyRoutes,
  ...invitationRoutes,
  ...pricingRoutes,
  ...clusterRoutes,
  ...documentRoutes,
  ...orderRoutes,
  ...moneyRoutes,
  ...internalRoutes,
  ...billRoutes,
  ...usageRoutes,
  ...jobRoutes,
];
