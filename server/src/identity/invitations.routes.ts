import { z } from 'zod';
import { AcceptInvitationBody } from '../../../contract/api.js';
import { defineRoute } from '../http/route.js';
import { acceptInvitation, describeInvitation } from './invitations.service.js';
import { PASSWORD_ROUTE_CEILING } from './sign-in-user.js';

/** Tokens are 43 base64url characters; anything else names no invitation. */
const TokenParams = z.object({
  token: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'not an invitation token'),
});

/** Invitation links (SPEC §11): the token in the path is the credential, so these need no sign-in. */
export const invitationRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/invitations/:token',
    summary: 'Whom an open invitation link is for, and until when it works',
    tags: ['access'],
    auth: 'none',
    params: TokenParams,
    handler: async ({ deps, params, now }) => ({
      body: await describeInvitation(deps.db, params.token, now),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/invitations/:token/accept',
    summary: 'Set the invited user’s password, once; then sign in with it',
    tags: ['access'],
    auth: 'none',
    params: TokenParams,
    body: AcceptInvitationBody,
    rateLimit: PASSWORD_ROUTE_CEILING,
    // The password is hashed (through the hashing gate) before the one short transaction opens: no
    // connection is held while hashing. Without a principal there is no Idempotency-Key scope to keep.
    noTransaction: true,
    handler: async ({ deps, params, body, now }) => ({
      body: await acceptInvitation(deps.db, params.token, body.password, now),
    }),
  }),
];
