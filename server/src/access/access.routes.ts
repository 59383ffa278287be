import { z } from 'zod';
import { EmptyBody, LoginBody } from '../../../contract/api.js';
import { SESSION_COOKIE } from '../http/authenticate.js';
import { defineRoute, Id } from '../http/route.js';
import { findUserByEmail, listProjects } from '../orgs/orgs.repository.js';
import { describeMe } from '../orgs/orgs.service.js';
import { AppError } from '../platform/errors.js';
import { randomToken } from '../platform/ids.js';
import { canSeeProject, orgAccess } from './policy.js';
import { hashPassword, hashToken, verifyPassword } from './secrets.js';

const SESSION_HOURS = 12;
let dummyHash: Promise<string> | undefined;

export const accessRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/me',
    summary: 'The caller, with org and project roles',
    tags: ['access'],
    auth: 'user',
    handler: async ({ deps, principal }) => ({ body: await describeMe(deps.db, principal) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/projects',
    summary: 'The projects of the org the caller can see (all of them for org-wide roles), with their role',
    tags: ['access'],
    auth: 'user',
    params: z.object({ orgId: Id }),
    handler: async ({ deps, principal, params }) => {
      // The console needs project names for an Org Admin, who holds no project role (/v1/me lists roles only).
      const access = orgAccess(principal, params.orgId);
      const rows = await listProjects(deps.db, params.orgId);
      const items = rows
        .filter((p) => canSeeProject(access, p.id))
        .map((p) => ({ id: p.id, name: p.name, role: access.projects.get(p.id) ?? null }));
      return { body: { items, nextCursor: null } };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/auth/login',
    summary: 'Console sign-in: sets an HttpOnly session cookie; answers the CSRF token for later changes',
    tags: ['access'],
    auth: 'none',
    body: LoginBody,
    handler: async ({ deps, body, now }, tx) => {
      const user = await findUserByEmail(tx, body.email.toLowerCase());
      // Spend the same work when the user is unknown, so timing does not tell which emails exist.
      dummyHash ??= hashPassword('not-a-password');
      const ok = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash));
      if (!user?.password_hash || !ok) throw new AppError('INVALID_CREDENTIALS', 'wrong email or password');
      const token = randomToken();
      const csrfToken = randomToken(24);
      await tx
        .insertInto('sessions')
        .values({
          token_hash: hashToken(token),
          user_id: user.id,
          csrf_token: csrfToken,
          created_at: now,
          expires_at: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
        })
        .execute();
      const secure = deps.config.cookieSecure ? '; Secure' : '';
      return {
        body: { user: { id: user.id, email: user.email }, csrfToken },
        headers: {
          'set-cookie': `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_HOURS * 3600}${secure}`,
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
      const raw = req.headers.cookie ?? '';
      const m = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]+)`).exec(raw);
      if (m?.[1])
        await tx
          .deleteFrom('sessions')
          .where('token_hash', '=', hashToken(decodeURIComponent(m[1])))
          .execute();
      return {
        body: { signedOut: true },
        headers: { 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` },
      };
    },
  }),
];
