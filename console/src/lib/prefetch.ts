/**
 * Requests started before React has rendered anything (from the URL alone), so that the first screen does not
 * wait for the bundle to evaluate, render, and only then ask. A page takes its answer once; later loads fetch.
 *
 * This module is also the page's first script: the build makes it an entry of its own, loaded before the
 * app's code (console/vite.config.ts), so the requests below leave while the app's code still downloads. It
 * imports nothing, so that it stays a small file.
 */
const started = new Map<string, Promise<unknown>>();
/** The answers of `started` that have arrived: a page renders them in its first render, not one tick later. */
const arrived = new Map<string, unknown>();

export function prefetch<T>(key: string, load: () => Promise<T>): void {
  if (started.has(key)) return;
  const p = load();
  p.then(
    (v) => {
      if (started.get(key) === p) arrived.set(key, v);
    },
    () => {}, // the page that takes it handles the error
  );
  started.set(key, p);
}

export function takePrefetched<T>(key: string): Promise<T> | undefined {
  const p = started.get(key) as Promise<T> | undefined;
  started.delete(key);
  arrived.delete(key);
  return p;
}

/** The answer to `key` if it has already arrived (taken, like takePrefetched), else undefined. */
export function takeArrived<T>(key: string): T | undefined {
  if (!arrived.has(key)) return undefined;
  const v = arrived.get(key) as T;
  started.delete(key);
  arrived.delete(key);
  return v;
}

/** Settles when every request started so far has been answered (or has failed). */
export function allStarted(): Promise<void> {
  return Promise.allSettled([...started.values()]).then(() => {});
}

/** The first page of an org's orders without filters, exactly as the API client asks for it. */
export const ORDERS_PAGE_PATH = /^\/orgs\/([A-Za-z0-9_-]{1,64})\/orders\/?$/;
export const FIRST_ORDERS_LIMIT = 20;
export const firstOrdersPath = (orgId: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/orders?limit=${FIRST_ORDERS_LIMIT}`;

/** GET requests answered before the app's code runs, by path: each taken once. */
const early = new Map<string, Promise<Response>>();

/** The GETs the page at `loc` will make first, with the session cookie, as api/client.ts makes them. */
export function startEarlyRequests(loc: Pick<Location, 'pathname' | 'search'>): void {
  if (typeof fetch !== 'function') return;
  const paths: string[] = [];
  // every signed-in page asks who is signed in first (app/session.tsx)
  if (!/^\/(login|invite)(\/|$)/.test(loc.pathname)) paths.push('/v1/me');
  const orders = ORDERS_PAGE_PATH.exec(loc.pathname);
  if (orders?.[1] && !loc.search) paths.push(firstOrdersPath(orders[1]));
  for (const path of paths) {
    if (early.has(path)) continue;
    const p = fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    p.catch(() => {}); // taken by earlyOr, which falls back to the app's own request
    early.set(path, p);
  }
}

/**
 * The early answer to `path` when it came back 2xx (its JSON), else `load()`: any failure — network, 401,
 * 5xx — is asked again through the API client, which reports it the usual way (sign-in, error codes).
 */
export function earlyOr<T>(path: string, load: () => Promise<T>): Promise<T> {
  const p = early.get(path);
  early.delete(path);
  if (!p) return load();
  return p.then(
    (res) => (res.ok ? (res.json() as Promise<T>).catch(() => load()) : load()),
    () => load(),
  );
}

/**
 * The first use of the browser's date formatting (Intl) loads its locale and time-zone data: 20–50 ms of the main
 * thread, which the first screen's times (lib/time.ts) would pay in the middle of its first render. Done here
 * instead, when the main thread is idle while the page's code downloads; the data stays loaded for the page.
 */
export function warmDateFormatting(): void {
  if (typeof Intl === 'undefined') return;
  const warm = () => {
    new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hourCycle: 'h23', second: '2-digit' }).formatToParts(
      0,
    );
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(warm, { timeout: 1000 });
  else setTimeout(warm, 0);
}

if (typeof window !== 'undefined' && typeof document !== 'undefined') {
  startEarlyRequests(window.location);
  warmDateFormatting();
}
