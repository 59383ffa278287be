import { api } from '../../api/endpoints.js';
import type { Balance } from '../../api/types.js';

/**
 * The balance the arrears banner reads, kept per org for a short while: the banner sits above every page, and
 * moving between pages must not cost a request each time. A page that changes what is owed (a bill confirmed)
 * calls refreshArrears so that the banner follows at once.
 */
export const ARREARS_TTL_MS = 30_000;

interface Entry {
  at: number;
  balance?: Balance;
  pending?: Promise<Balance | undefined>;
}

const entries = new Map<string, Entry>();
const listeners = new Set<(orgId: string) => void>();

/** The cached balance of an org, if fresh. */
export function cachedArrears(orgId: string, now = Date.now()): Balance | undefined {
  const e = entries.get(orgId);
  return e && now - e.at < ARREARS_TTL_MS ? e.balance : undefined;
}

/**
 * The org's balance: the cached one while fresh, else one request (shared by every caller meanwhile). A
 * failure answers undefined: the banner stays silent rather than blank a page.
 */
export function loadArrears(orgId: string, now = Date.now()): Promise<Balance | undefined> {
  const e = entries.get(orgId);
  if (e?.pending) return e.pending;
  if (e && now - e.at < ARREARS_TTL_MS) return Promise.resolve(e.balance);
  const pending = api.balance(orgId).then(
    (balance) => {
      entries.set(orgId, { at: Date.now(), balance });
      return balance;
    },
    () => {
      // remembered as "nothing to say" for the same while: a failing server is not asked on every page
      entries.set(orgId, { at: Date.now() });
      return undefined;
    },
  );
  entries.set(orgId, { at: e?.at ?? 0, balance: e?.balance, pending });
  return pending;
}

/** Forget the org's cached balance and let every banner of it load again. */
export function refreshArrears(orgId: string): void {
  entries.delete(orgId);
  for (const l of listeners) l(orgId);
}

export function onArrearsRefresh(fn: (orgId: string) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
