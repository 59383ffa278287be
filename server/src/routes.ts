import { billRoutes } from './billing/bills.routes.js';
import { clusterRoutes } from './clusters/clusters.routes.js';
import { pricingRoutes } from './clusters/pricing.routes.js';
import { couponRoutes } from './coupons/coupons.routes.js';
import type { RouteSpec } from './http/route.js';
import { apiKeyRoutes } from './identity/api-keys.routes.js';
import { invitationRoutes } from './identity/invitations.routes.js';
import { signInRoutes } from './identity/sign-in.routes.js';
import { jobRoutes } from './jobs/jobs.routes.js';
import { ledgerRoutes } from './ledger/ledger.routes.js';
import { orderDocumentRoutes } from './orders/order-documents.routes.js';
import { orderRoutes } from './orders/orders.routes.js';
import { orgRoutes } from './orgs/orgs.routes.js';
import { testClockRoutes } from './test-clock/test-clock.routes.js';
import { topupRoutes } from './topups/topups.routes.js';
import { usageRoutes } from './usage/usage.routes.js';

/** Every route of the API, in one list: the server registers them and the OpenAPI document lists them. */
export const routes: RouteSpec[] = [
  ...signInRoutes,
  ...orgRoutes,
  ...apiKeyRoutes,
  ...invitationRoutes,
  ...pricingRoutes,
  ...clusterRoutes,
  ...orderDocumentRoutes,
  ...orderRoutes,
  ...ledgerRoutes,
  ...topupRoutes,
  ...couponRoutes,
  ...testClockRoutes,
  ...billRoutes,
  ...usageRoutes,
  ...jobRoutes,
];
