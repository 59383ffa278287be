import { accessRoutes } from './access/access.routes.js';
import { clusterRoutes } from './clusters/clusters.routes.js';
import type { RouteSpec } from './http/route.js';
import { moneyRoutes } from './ledger/money.routes.js';
import { orderRoutes } from './orders/orders.routes.js';
import { internalRoutes } from './orgs/internal.routes.js';
import { pricingRoutes } from './pricing/pricing.routes.js';

/** Every route of the API, in one list: the server registers them and the OpenAPI document lists them. */
export const routes: RouteSpec[] = [
  ...accessRoutes,
  ...pricingRoutes,
  ...clusterRoutes,
  ...orderRoutes,
  ...moneyRoutes,
  ...internalRoutes,
];
