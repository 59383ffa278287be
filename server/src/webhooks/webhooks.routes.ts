import type { RouteSpec } from '../http/route.js';

/** Webhook endpoints and their deliveries (SPEC §9). */
export const webhookRoutes: RouteSpec[] = [];
