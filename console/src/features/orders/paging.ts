/**
 * The orders list's pages: the next page by the cursor the page before answered (cheap at any depth), a page
 * jumped to by the row it starts at (offset), which the API bounds. The same bound as the contract's
 * ORDER_LIST_MAX_OFFSET (paging.test.ts holds them equal); copied so the first screen does not load the
 * contract's schemas.
 */
export const MAX_OFFSET = 10_000;

export interface PagePosition {
  /** 1-based */
  page: number;
  cursor?: string;
  offset?: number;
}

/**
 * How to ask for page `n`: by the cursor the page before it answered when that page was seen, else by the row it
 * starts at; undefined when neither reaches it (deeper than the offset bound, no cursor known).
 */
export function positionOf(
  n: number,
  limit: number,
  cursors: ReadonlyMap<number, string>,
): PagePosition | undefined {
  if (n <= 1) return { page: 1 };
  const cursor = cursors.get(n);
  if (cursor) return { page: n, cursor };
  const offset = (n - 1) * limit;
  return offset <= MAX_OFFSET ? { page: n, offset } : undefined;
}

/** The deepest page a jump reaches with this page size. */
export function deepestJump(limit: number): number {
  return Math.floor(MAX_OFFSET / limit) + 1;
}

/** The total to page by while the count is not known yet: the rows seen, and one more when there is a next page. */
export function provisionalTotal(page: number, limit: number, rows: number, more: boolean): number {
  return (page - 1) * limit + rows + (more ? 1 : 0);
}
