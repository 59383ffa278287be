import { documentOf, responseOf } from '../../contract/responses.js';
import { billRoutes } from './billing/bills.routes.js';
import { autoRenewRoutes } from './clusters/auto-renew.routes.js';
import { clusterRoutes } from './clusters/clusters.routes.js';
import { pricingRoutes } from './clusters/pricing.routes.js';
import { couponRoutes } from './coupons/coupons.routes.js';
import type { RouteSpec } from './http/route.js';
import { apiKeyRoutes } from './identity/api-keys.routes.js';
import { invitationRoutes } from './identity/invitations.routes.js';
import { signInRoutes } from './identity/sign-in.routes.js';
import { invoiceRoutes } from './invoices/invoices.routes.js';
import { jobRoutes } from './jobs/jobs.routes.js';
import { balanceRoutes } from './ledger/balance.routes.js';
import { ledgerRoutes } from './ledger/ledger.routes.js';
import { notificationRoutes } from './notifications/notifications.routes.js';
import { orderDocumentRoutes } from './orders/order-documents.routes.js';
import { orderRoutes } from './orders/orders.routes.js';
import { orgRoutes } from './orgs/orgs.routes.js';
import { testClockRoutes } from './test-clock/test-clock.routes.js';
import { topupRoutes } from './topups/topups.routes.js';
import { usageRoutes } from './usage/usage.routes.js';
import { webhookRoutes } from './webhooks/webhooks.routes.js';

/**
 * A route with its answer from the contract: `responseOf["METHOD url"]` (the JSON success schema) or
 * `documentOf["METHOD url"]` (the media types of a document). A route the contract does not describe is
 * refused here, so the server does not start and every test fails until contract/responses.ts has it.
 */
export function withContract(route: RouteSpec): RouteSpec {
  const key = `${route.method} ${route.url}`;
  if (Object.hasOwn(documentOf, key))
    return { ...route, produces: documentOf[key as keyof typeof documentOf] };
  if (Object.hasOwn(responseOf, key))
    return { ...route, response: route.response ?? responseOf[key as keyof typeof responseOf] };
  throw new Error(
    `route ${key} has no answer in contract/responses.ts: add its schema to responseOf (or its media types to documentOf)`,
  );
}

/** Every route of the API, in one list: the server registers them and the OpenAPI document lists them. */
export const routes: RouteSpec[] = [
  ...signInRoutes,
  ...orgRoutes,
  ...apiKeyRoutes,
  ...invitationRoutes,
  ...pricingRoutes,
  ...clusterRoutes,
  ...autoRenewRoutes,
  ...orderDocumentRoutes,
  ...orderRoutes,
  ...balanceRoutes,
  ...ledgerRoutes,
  ...topupRoutes,
  ...couponRoutes,
  ...testClockRoutes,
  ...billRoutes,
  ...usageRoutes,
  ...notificationRoutes,
  ...webhookRoutes,
  ...invoiceRoutes,
  ...jobRoutes,
].map(withContract);
