import { EmptyBody, LoginBody } from '../../../contract/api.js';
import { errorBody, statusOf } from '../http/errors.js';
import { type Answer, defineRoute } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import { readCookie, SESSION_COOKIE } from './authenticate.js';
import { hashToken } from './secrets.js';
import { PASSWORD_ROUTE_CEILING, SESSION_HOURS, signIn } from './sign-in-user.js';

export const signInRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/auth/login',
    summary: 'Console sign-in: sets an HttpOnly session cookie; answers the CSRF token for later changes',
    tags: ['access'],
    auth: 'none',
    body: LoginBody,
    // The sign-in manages its own short transactions (sign-in-user.ts): none may stay open while the
    // password is hashed, and a failure must stay counted although the answer is an error. Without a
    // principal there is no Idempotency-Key scope, so nothing is lost.
    noTransaction: true,
    rateLimit: PASSWORD_ROUTE_CEILING,
    handler: async ({ deps, body, now, req }): Promise<Answer> => {
      // No account has such an email, and PostgreSQL text cannot hold a NUL: refused before any lookup.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
      if (/[\u0000-\u001f\u007f]/.test(body.email)) {
        throw new AppError('VALIDATION_FAILED', 'email: contains a control character', {
          in: 'body',
          issues: [{ field: 'email', message: 'contains a control character' }],
        });
      }
      const r = await signIn(deps, { email: body.email, password: body.password, address: req.ip }, now);
      if (r.kind === 'throttled') {
        return {
          status: statusOf('RATE_LIMITED'),
          body: errorBody('RATE_LIMITED', 'too many failed sign-ins; try again later', {
            retryAfterSeconds: r.retryAfterSeconds,
          }),
          headers: { 'retry-after': String(r.retryAfterSeconds) },
        };
      }
      if (r.kind === 'busy') {
        return {
          status: statusOf('UNAVAILABLE'),
          body: errorBody('UNAVAILABLE', 'too many sign-ins in progress; retry', { retryAfterSeconds: 1 }),
          headers: { 'retry-after': '1' },
        };
      }
      if (r.kind === 'invalid') throw new AppError('INVALID_CREDENTIALS', 'wrong email or password');
      const secure = deps.config.cookieSecure ? '; Secure' : '';
      return {
        body: { user: r.user, csrfToken: r.csrfToken },
        headers: {
          'set-cookie': `${SESSION_COOKIE}=${r.token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_HOURS * 3600}${secure}`,
        },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/auth/logout',
    summary: 'Console sign-out',
    tags: ['access'],
    auth: 'user',
    body: EmptyBody,
    handler: async ({ req }, tx) => {
      let token: string | undefined;
      try {
        token = readCookie(req, SESSION_COOKIE);
      } catch {
        // Not valid percent-encoding (the caller signed in with an API key): no session of ours to end.
        token = undefined;
      }
      if (token) await tx.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
      return {
        body: { signedOut: true },
        headers: { 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` },
      };
    },
  }),
];
