import { z } from 'zod';
import { CertifyBody, CreateMemberBody, CreateOrgBody, CreateProjectBody } from '../../../contract/api.js';
import { canSeeProject, orgAccess } from '../access/policy.js';
import { defineRoute, Id } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import { isValidTimeZone } from '../platform/time.js';
import { listProjects } from './orgs.repository.js';
import { addMember, certifyOrg, createOrg, createProject, describeMe } from './orgs.service.js';

const OrgParams = z.object({ orgId: Id });

export const orgRoutes = [
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
    url: '/v1/internal/orgs',
    summary: 'Create an org (with its remittance code and an empty balance)',
    tags: ['internal'],
    auth: 'operator',
    body: CreateOrgBody,
    successStatus: 201,
    handler: async ({ body, now }, tx) => {
      if (!isValidTimeZone(body.timeZone)) {
        throw new AppError('VALIDATION_FAILED', 'timeZone: not an IANA time zone', {
          in: 'body',
          issues: [{ field: 'timeZone', message: 'not an IANA time zone' }],
        });
      }
      return { status: 201, body: await createOrg(tx, body, now) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/certification',
    summary:
      'Set whether the org is certified (may buy subscription clusters) and its certification data, the buyer of its invoices (title, tax id, address, phone, bank)',
    tags: ['internal'],
    auth: 'operator',
    params: OrgParams,
    body: CertifyBody,
    handler: async ({ params, body }, tx) => ({ body: await certifyOrg(tx, params.orgId, body) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/projects',
    summary: 'Create a project',
    tags: ['internal'],
    auth: 'operator',
    params: OrgParams,
    body: CreateProjectBody,
    successStatus: 201,
    handler: async ({ params, body, now }, tx) => ({
      status: 201,
      body: await createProject(tx, params.orgId, body.name, now),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/orgs/:orgId/members',
    summary: 'Add a member with roles; answers their API key (shown once)',
    tags: ['internal'],
    // The API key and invitation link are never stored for a replay: 409 IDEMPOTENT_REPLAY_UNAVAILABLE.
    secretAnswer: true,
    auth: 'operator',
    params: OrgParams,
    body: CreateMemberBody,
    successStatus: 201,
    handler: async ({ deps, params, body, now }, tx) => ({
      status: 201,
      body: await addMember(tx, params.orgId, body, now, deps.config.publicUrl),
    }),
  }),
];
