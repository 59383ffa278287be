/**
 * The console's one way to call the API: same-origin fetch with the session cookie, the CSRF token on every
 * change, an Idempotency-Key where the caller gives one, and every failure as an ApiError carrying the
 * server's code and message (so no screen is ever left blank). Every answer also tells the console the server's
 * clock, which its countdowns use (lib/useNow.ts).
 */

import { observeServerClock, serverClockOf } from '../lib/useNow.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the session has ended (401 on a call that needed it): the app goes back to sign-in. */
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

/** A fresh key for one user intent (one dialog opening): retries and double clicks reuse it. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = c.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface CallOptions {
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Do not treat a 401 as the end of the session (the sign-in call itself). */
  anonymous?: boolean;
}

async function toApiError(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: Record<string, unknown> = {};
  try {
    const j = (await res.json()) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    if (j.error) {
      code = j.error.code ?? code;
      message = j.error.message ?? message;
      details = j.error.details ?? {};
    }
  } catch {
    // not JSON (a proxy's error page): keep the HTTP status text
  }
  return new ApiError(res.status, code, message, details);
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export async function request(method: Method, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const change = method !== 'GET';
  // a DELETE carries no body
  const body = change && method !== 'DELETE' ? JSON.stringify(opts.body ?? {}) : undefined;
  if (change) {
    if (body) headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  }
  let res: Response;
  const sentMs = Date.now();
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body,
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', (err as Error).message || 'network error');
  }
  const clock = serverClockOf(res.headers);
  if (clock) observeServerClock({ ...clock, sentMs, receivedMs: Date.now() });
  if (!res.ok) {
    const e = await toApiError(res);
    if (e.status === 401 && !opts.anonymous && onUnauthenticated) onUnauthenticated();
    throw e;
  }
  return res;
}

export async function call<T>(method: Method, path: string, opts: CallOptions = {}): Promise<T> {
  const res = await request(method, path, opts);
  return (await res.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => call<T>('GET', path, { signal });
export const post = <T>(path: string, body: unknown = {}, idempotencyKey?: string) =>
  call<T>('POST', path, { body, idempotencyKey });
export const put = <T>(path: string, body: unknown) => call<T>('PUT', path, { body });
export const del = <T>(path: string) => call<T>('DELETE', path);

/** A query string from the set values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Downloads a document (PDF, CSV) as a file: fetch it with the session, then save the blob. */
export async function downloadFile(path: string, fallbackName: string): Promise<string> {
  const res = await request('GET', path);
  const blob = await res.blob();
  const cd = res.headers.get('content-disposition') ?? '';
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
  const name = star?.[1] ? decodeURIComponent(star[1]) : (plain?.[1] ?? fallbackName);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
