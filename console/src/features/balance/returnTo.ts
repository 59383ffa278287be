/**
 * The way back from 充值 (`?returnTo=`): only a path of this console inside the same org, never another site
 * (`//evil.example`, `https:…`, `\\`), another org or anything outside /orgs/{orgId}/. Anything else gives no way
 * back rather than a wrong one.
 */
export function safeReturnTo(raw: string | null | undefined, orgId: string): string | undefined {
  if (!raw || raw.length > 512) return undefined;
  // one leading slash, then no slash or backslash (protocol-relative and Windows-style paths are other sites)
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u001f\u007f]/.test(raw)) return undefined;
  const base = 'https://console.invalid';
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base) return undefined;
  const prefix = `/orgs/${encodeURIComponent(orgId)}/`;
  // the normalized path (dot segments resolved) must still be inside the org
  if (!url.pathname.startsWith(prefix) || url.pathname.length === prefix.length) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Is the way back an order's page (返回订单) rather than another page (返回)? */
export const isOrderPath = (path: string, orgId: string): boolean =>
  new RegExp(`^/orgs/${orgId.replace(/[^A-Za-z0-9_-]/g, '')}/orders/[A-Za-z0-9_-]+$`).test(
    path.split(/[?#]/)[0] ?? '',
  );
