import { Currency, type OrgRole, type ProjectRole } from '../../../contract/enums.js';
import type { CreatedProject, Me, Org } from '../../../contract/responses.js';
import type { Queryable, Tx } from '../db/schema.js';
import type { UserPrincipal } from '../http/principal.js';
import { issueApiKey } from '../identity/api-keys.service.js';
import { createInvitation } from '../identity/invitations.service.js';
import { hashPassword } from '../identity/secrets.js';
import { findUserByEmail, insertUser } from '../identity/users.repository.js';
import { AppError } from '../platform/errors.js';
import { newId, newRemittanceCode } from '../platform/ids.js';
import * as repo from './orgs.repository.js';

export function presentOrg(o: NonNullable<Awaited<ReturnType<typeof repo.getOrg>>>): Org {
  return {
    id: o.id,
    name: o.name,
    currency: Currency.parse(o.currency),
    timeZone: o.time_zone,
    certified: o.certified,
    certification: o.cert_kind
      ? {
          kind: o.cert_kind,
          title: o.cert_title ?? '',
          taxId: o.cert_tax_id,
          address: o.cert_address,
          phone: o.cert_phone,
          bank: o.cert_bank,
          bankAccount: o.cert_bank_account,
        }
      : null,
    remittanceCode: o.remittance_code,
    createdAt: o.created_at.toISOString(),
  };
}

export function presentProject(p: {
  org_id: string;
  id: string;
  name: string;
  created_at: Date;
}): CreatedProject {
  return { id: p.id, orgId: p.org_id, name: p.name, createdAt: p.created_at.toISOString() };
}

export async function createOrg(
  tx: Tx,
  input: { name: string; currency: string; timeZone: string; certified: boolean },
  now: Date,
) {
  for (let attempt = 0; attempt < 8; attempt++) {
    const id = newId('org', now);
    const ok = await repo.insertOrgIfCodeFree(tx, { ...input, id, remittanceCode: newRemittanceCode(), now });
    if (ok) {
      await repo.createBalance(tx, id, input.currency, now);
      return presentOrg((await repo.getOrg(tx, id))!);
    }
  }
  throw new Error('could not allocate a unique remittance code');
}

export async function requireOrg(db: Queryable, orgId: string) {
  const org = await repo.getOrg(db, orgId);
  if (!org) throw new AppError('NOT_FOUND', 'organization not found');
  return org;
}

/**
 * The operator's certification of an org: `certified` alone keeps the data held before; with `kind` the data
 * (title, tax id, address, phone, bank, account) replaces the old as a whole. Invoices copy it when requested,
 * so a change never alters an invoice already requested.
 */
export async function certifyOrg(
  tx: Tx,
  orgId: string,
  body: {
    certified: boolean;
    kind?: 'enterprise' | 'personal' | undefined;
    title?: string | undefined;
    taxId?: string | undefined;
    address?: string | undefined;
    phone?: string | undefined;
    bank?: string | undefined;
    bankAccount?: string | undefined;
  },
) {
  const data: repo.CertificationData | undefined =
    body.kind && body.title
      ? {
          kind: body.kind,
          title: body.title,
          taxId: body.taxId ?? null,
          address: body.address ?? null,
          phone: body.phone ?? null,
          bank: body.bank ?? null,
          bankAccount: body.bankAccount ?? null,
        }
      : undefined;
  const org = await repo.setCertified(tx, orgId, body.certified, data);
  if (!org) throw new AppError('NOT_FOUND', 'organization not found');
  return presentOrg(org);
}

export async function createProject(tx: Tx, orgId: string, name: string, now: Date) {
  await requireOrg(tx, orgId);
  return presentProject(await repo.insertProject(tx, { orgId, id: newId('proj', now), name, now }));
}

/**
 * Adds a member to an org, creating the user on first sight of the email, and issues them an API key for
 * this org only (shown this once; only its hash is stored). A password given for a new user is theirs; an
 * existing user's password is never set or changed here, since whoever adds them to one org must gain
 * nothing in their others (SPEC §11). A user who has no password gets a one-time invitation link to set one,
 * absolute on `publicUrl` (config.publicUrl; the demo seed, whose members all have passwords, passes none).
 */
export async function addMember(
  tx: Tx,
  orgId: string,
  input: {
    email: string;
    password?: string | undefined;
    orgRole: OrgRole;
    projectRoles?: { projectId: string; role: ProjectRole }[] | undefined;
  },
  now: Date,
  publicUrl = '',
) {
  await requireOrg(tx, orgId);
  const email = input.email.trim().toLowerCase();
  for (const pr of input.projectRoles ?? []) {
    if (!(await repo.getProject(tx, orgId, pr.projectId))) {
      throw new AppError(
        'VALIDATION_FAILED',
        `projectRoles: project ${pr.projectId} is not in this organization`,
        {
          in: 'body',
          issues: [{ field: 'projectRoles.projectId', message: 'unknown project' }],
        },
      );
    }
  }
  let user = await findUserByEmail(tx, email);
  const created = !user;
  if (!user) {
    await insertUser(tx, {
      id: newId('usr', now),
      email,
      passwordHash: input.password ? await hashPassword(input.password) : null,
      now,
    });
    user = (await findUserByEmail(tx, email))!;
  }
  if (!(await repo.insertMembershipIfAbsent(tx, { orgId, userId: user.id, orgRole: input.orgRole, now }))) {
    throw new AppError('ALREADY_MEMBER', `${email} is already a member of this organization`);
  }
  for (const pr of input.projectRoles ?? []) {
    await repo.insertProjectRole(tx, { orgId, projectId: pr.projectId, userId: user.id, role: pr.role });
  }
  const { secret } = await issueApiKey(tx, { orgId, userId: user.id, name: 'default' }, now);
  const hasPassword = user.password_hash !== null;
  const invitation = hasPassword
    ? undefined
    : await createInvitation(tx, { orgId, userId: user.id }, now, publicUrl);
  return {
    user: {
      id: user.id,
      email,
      orgId,
      orgRole: input.orgRole,
      projectRoles: input.projectRoles ?? [],
      created,
      hasPassword,
    },
    apiKey: secret,
    ...(invitation ? { invitation } : {}),
  };
}

/** GET /v1/me: the caller with their org and project roles (an API key's: its one org). */
export async function describeMe(db: Queryable, p: UserPrincipal): Promise<Me> {
  const [allOrgs, projects] = await Promise.all([
    repo.listOrgsOfUser(db, p.id),
    repo.listProjectsOfUser(db, p.id),
  ]);
  const orgs = allOrgs.filter((o) => p.orgs.has(o.id));
  return {
    user: { id: p.id, email: p.email },
    authenticatedBy: p.via,
    ...(p.csrfToken ? { csrfToken: p.csrfToken } : {}),
    orgs: orgs.map((o) => ({
      id: o.id,
      name: o.name,
      currency: Currency.parse(o.currency),
      timeZone: o.time_zone,
      certified: o.certified,
      orgRole: o.org_role,
      projects: projects
        .filter((pr) => pr.org_id === o.id)
        .map((pr) => ({ id: pr.id, name: pr.name, role: pr.role })),
    })),
  };
}
