import { api } from '../../api/endpoints.js';
import {
  earlyOr,
  FIRST_ORDERS_LIMIT,
  firstOrdersPath,
  ORDERS_PAGE_PATH,
  prefetch,
} from '../../lib/prefetch.js';

/** What the orders page asks for when opened without filters (every field the page sets, in its order). */
export const DEFAULT_QUERY = { limit: FIRST_ORDERS_LIMIT };
export const defaultOrdersKey = (orgId: string) => `orders:${orgId}:default`;

/**
 * Opening /orgs/{orgId}/orders directly: the first page, which the page's first script asked for while the
 * app's code was still downloading (lib/prefetch.ts), or asked for now.
 */
export function prefetchOrdersFromUrl(loc: Pick<Location, 'pathname' | 'search'>): void {
  const orgId = ORDERS_PAGE_PATH.exec(loc.pathname)?.[1];
  if (!orgId || loc.search) return;
  prefetch(defaultOrdersKey(orgId), () =>
    earlyOr(firstOrdersPath(orgId), () => api.orders(orgId, { ...DEFAULT_QUERY })),
  );
}
