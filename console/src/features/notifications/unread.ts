import { useSyncExternalStore } from 'react';
import { notificationsApi } from './api.js';

/**
 * The unread count shared by the header's 消息 entry and the 消息 page: one number for the whole console, so
 * that marking a message read on the page updates the header at once. `undefined` when it is not known (not
 * yet loaded, or the last request failed): the header then shows no count rather than a wrong one.
 */
let count: number | undefined;
const listeners = new Set<() => void>();
// Each refresh gets a number; an answer that arrives after a newer refresh started is dropped.
let latest = 0;

function emit(next: number | undefined): void {
  if (next === count) return;
  count = next;
  for (const l of listeners) l();
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useUnreadCount(): number | undefined {
  return useSyncExternalStore(subscribe, () => count);
}

/** Asks the server for the count (the cheap unread-count route); a failure hides the count. */
export async function refreshUnread(): Promise<void> {
  const mine = ++latest;
  try {
    const r = await notificationsApi.unreadCount();
    if (mine === latest) emit(r.count);
  } catch {
    if (mine === latest) emit(undefined);
  }
}

/** After marking read on the page: the count changes at once, then the server's own count replaces it. */
export function unreadChanged(delta: number | 'none'): void {
  latest++;
  if (delta === 'none') emit(0);
  else if (count !== undefined) emit(Math.max(0, count + delta));
  void refreshUnread();
}
