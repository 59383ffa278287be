import type { RouteSpec } from '../http/route.js';

/** 站内信, the operator's mail box and notification settings (SPEC §9). */
export const notificationRoutes: RouteSpec[] = [];
