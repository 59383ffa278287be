import { api } from '../../api/endpoints.js';
import { prefetch } from '../../lib/prefetch.js';

/** What the orders page asks for when opened without filters (every field the page sets, in its order). */
export const DEFAULT_QUERY = { limit: 20 };
export const defaultOrdersKey = (orgId: string) => `orders:${orgId}:default`;

/** Opening /orgs/{orgId}/orders directly: ask for the first page while the bundle is still starting. */
export function prefetchOrdersFromUrl(loc: Location): void {
  const m = /^\/orgs\/([A-Za-z0-9_-]{1,64})\/orders\/?$/.exec(loc.pathname);
  if (!m?.[1] || loc.search) return;
  const orgId = m[1];
  prefetch(defaultOrdersKey(orgId), () => api.orders(orgId, { ...DEFAULT_QUERY }));
}
