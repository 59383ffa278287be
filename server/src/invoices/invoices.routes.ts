import type { RouteSpec } from '../http/route.js';

/** 发票: eligible items, requests and their documents (SPEC §10.4). */
export const invoiceRoutes: RouteSpec[] = [];
