import { useSyncExternalStore } from 'react';

/**
 * "Now" is the server's time, not the browser's: a computer whose clock is hours wrong must still count an
 * order's payment deadline down right, and keep 支付 while the server would take the payment. Each API answer
 * carries the server's clock (`x-server-time`, else the HTTP `Date` header); the console keeps the offset
 * between it and the browser's clock and adds it to the browser's clock everywhere it needs "now".
 */

/** The browser's clock error the console ignores: below it a new sample would only make countdowns jitter. */
export const OFFSET_TOLERANCE_MS = 1000;

/**
 * The offset after one more sample of the server's clock: the server stamped `serverMs` while the request was
 * under way (sent at `sentMs`, answered at `receivedMs`, browser time), so the best estimate of the browser's
 * time at that stamp is the middle of the round trip. A sample within the tolerance of the current offset keeps
 * it (no jitter from network delays); a larger difference (the browser's clock was changed, or the server's
 * test clock moved) is adopted at once. `precisionMs` is the sample's resolution: the `Date` header has whole
 * seconds only, so the sample must differ by more than that to count.
 */
export function nextOffset(
  current: number | undefined,
  sample: { serverMs: number; sentMs: number; receivedMs: number; precisionMs?: number },
): number {
  const { serverMs, sentMs, receivedMs, precisionMs = 0 } = sample;
  if (!Number.isFinite(serverMs) || !Number.isFinite(sentMs) || !Number.isFinite(receivedMs))
    return current ?? 0;
  const offset = Math.round(serverMs + precisionMs / 2 - (sentMs + Math.max(sentMs, receivedMs)) / 2);
  if (current === undefined) return offset;
  return Math.abs(offset - current) > OFFSET_TOLERANCE_MS + precisionMs ? offset : current;
}

/** The server's clock as an answer states it: `x-server-time` (ms), else `Date` (seconds); undefined if neither. */
export function serverClockOf(headers: {
  get(name: string): string | null;
}): { serverMs: number; precisionMs: number } | undefined {
  const precise = headers.get('x-server-time');
  if (precise) {
    const ms = Date.parse(precise);
    if (Number.isFinite(ms)) return { serverMs: ms, precisionMs: 0 };
  }
  const date = headers.get('date');
  if (date) {
    const ms = Date.parse(date);
    if (Number.isFinite(ms)) return { serverMs: ms, precisionMs: 1000 };
  }
  return undefined;
}

let offset: number | undefined;
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

/** The server's time now, as well as the console knows it (the browser's until the first answer). */
export function serverNow(): number {
  return Date.now() + (offset ?? 0);
}

/** The current offset (server − browser, ms); 0 before any answer. */
export function serverOffset(): number {
  return offset ?? 0;
}

/** Called by the API client with every answer's clock; a changed offset moves every countdown at once. */
export function observeServerClock(sample: {
  serverMs: number;
  sentMs: number;
  receivedMs: number;
  precisionMs?: number;
}): void {
  const next = nextOffset(offset, sample);
  if (next === offset) return;
  offset = next;
  now = serverNow();
  for (const l of listeners) l();
}

/** For tests: forget what the server said. */
export function resetServerClock(): void {
  offset = undefined;
  now = Date.now();
}

// One shared ticker for every countdown on the page (not one timer per row).
function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  if (!timer) {
    now = serverNow();
    timer = setInterval(() => {
      now = serverNow();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The server's current time (ms), updated every second while any component uses it. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
