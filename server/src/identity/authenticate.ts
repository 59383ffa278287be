import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import type { Principal } from '../http/principal.js';
import type { AuthMode } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import {
  findPrincipalByApiKeyHash,
  findSession,
  loadOrgAccess,
  touchApiKey,
} from './authentication.repository.js';
import { principalCache } from './principal-cache.js';
import { hashToken, safeEqual } from './secrets.js';

export const SESSION_COOKIE = 'tally_session';
/** `last_used_at` is exact to a minute: a key used continuously costs one UPDATE a minute, not one a request. */
export const KEY_USE_RECORD_INTERVAL_MS = 60_000;

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S{1,512})$/i.exec(h);
  if (!m) throw new AppError('UNAUTHENTICATED', 'use Authorization: Bearer <api key>');
  return m[1];
}

/** The named cookie, percent-decoded; a value that is not valid percent-encoding is 401 UNAUTHENTICATED, never a 500. */
export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const raw = req.headers.cookie;
  if (!raw || raw.length > 8192) return undefined;
  for (const part of raw.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        // Not valid percent-encoding: no token this server issued, so the caller is not signed in.
        throw new AppError('UNAUTHENTICATED', 'malformed session cookie: sign in again');
      }
    }
  }
  return undefined;
}

/**
 * API keys (Bearer) for the public API, each acting in its one org, the operator token for the internal API, and the console's session
 * cookie. A cookie-authenticated change must carry the session's CSRF token in X-CSRF-Token.
 */
export async function authenticate(
  deps: Deps,
  req: FastifyRequest,
  mode: AuthMode,
  now: Date,
): Promise<Principal | null> {
  if (mode === 'none') return null;
  const token = bearer(req);
  if (token !== undefined && safeEqual(token, deps.config.operatorToken)) {
    if (mode === 'operator') return { kind: 'operator', id: 'operator' };
    throw new AppError('FORBIDDEN', 'the operator token is for the internal API only');
  }
  if (token !== undefined) {
    const keyHash = hashToken(token);
    // Kept by the process while nothing about the key, its user or their roles changes (principal-cache.ts).
    const user = await principalCache(deps).get(keyHash, () => findPrincipalByApiKeyHash(deps.db, keyHash));
    if (!user) throw new AppError('UNAUTHENTICATED', 'unknown API key');
    if (user.key.revokedAt) throw new AppError('UNAUTHENTICATED', 'this API key was revoked');
    if (mode === 'operator') throw new AppError('FORBIDDEN', 'the internal API needs the operator token');
    // Authentication runs before a POST's transaction opens, on deps.db: the rare write (once a minute per
    // key) never waits for, or holds, the handler's connection (PGlite has one).
    const last = user.key.lastUsedAt;
    if (!last || now.getTime() - last.getTime() >= KEY_USE_RECORD_INTERVAL_MS) {
      await touchApiKey(deps.db, keyHash, now, KEY_USE_RECORD_INTERVAL_MS);
      // the kept principal says so too, or every request would write again until it is forgotten
      user.key.lastUsedAt = now;
    }
    return {
      kind: 'user',
      id: user.id,
      email: user.email,
      via: 'api_key',
      apiKeyId: user.key.id,
      orgs: user.orgs,
    };
  }
  const sessionToken = readCookie(req, SESSION_COOKIE);
  if (sessionToken) {
    const session = await findSession(deps.db, hashToken(sessionToken), now);
    if (session) {
      if (mode === 'operator') throw new AppError('FORBIDDEN', 'the internal API needs the operator token');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const sent = req.headers['x-csrf-token'];
        if (typeof sent !== 'string' || !safeEqual(sent, session.csrf_token)) {
          throw new AppError('CSRF_TOKEN_INVALID', 'missing or wrong X-CSRF-Token for a session request');
        }
      }
      return {
        kind: 'user',
        id: session.id,
        email: session.email,
        via: 'session',
        csrfToken: session.csrf_token,
        orgs: await loadOrgAccess(deps.db, session.id),
      };
    }
  }
  throw new AppError('UNAUTHENTICATED', 'sign in, or send Authorization: Bearer <api key>');
}
