import type { Queryable } from '../db/schema.js';
import type { OrgAccess, OrgRole, ProjectRole } from './roles.js';

export async function findSession(db: Queryable, tokenHash: string, now: Date) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.email', 'sessions.csrf_token'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst();
}

/** Every org the user belongs to, with their org role and project roles. */
export async function loadOrgAccess(db: Queryable, userId: string): Promise<Map<string, OrgAccess>> {
  const rows = await db
    .selectFrom('memberships as m')
    .leftJoin('project_roles as pr', (j) =>
      j.onRef('pr.org_id', '=', 'm.org_id').onRef('pr.user_id', '=', 'm.user_id'),
    )
    .select(['m.org_id', 'm.org_role', 'pr.project_id', 'pr.role'])
    .where('m.user_id', '=', userId)
    .execute();
  const orgs = new Map<string, OrgAccess>();
  for (const r of rows) {
    let access = orgs.get(r.org_id);
    if (!access) {
      access = { orgRole: r.org_role as OrgRole, projects: new Map() };
      orgs.set(r.org_id, access);
    }
    if (r.project_id && r.role) access.projects.set(r.project_id, r.role as ProjectRole);
  }
  return orgs;
}

/**
 * The caller behind an API key, with every org and project role, in one round trip (the hot path of every
 * request). Undefined when no key has this hash.
 */
export async function findPrincipalByApiKeyHash(
  db: Queryable,
  keyHash: string,
): Promise<{ id: string; email: string; orgs: Map<string, OrgAccess> } | undefined> {
  const rows = await db
    .selectFrom('api_keys as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .leftJoin('memberships as m', 'm.user_id', 'u.id')
    .leftJoin('project_roles as pr', (j) =>
      j.onRef('pr.org_id', '=', 'm.org_id').onRef('pr.user_id', '=', 'm.user_id'),
    )
    .select(['u.id', 'u.email', 'm.org_id', 'm.org_role', 'pr.project_id', 'pr.role'])
    .where('k.key_hash', '=', keyHash)
    .execute();
  const first = rows[0];
  if (!first) return undefined;
  const orgs = new Map<string, OrgAccess>();
  for (const r of rows) {
    if (!r.org_id || !r.org_role) continue;
    let access = orgs.get(r.org_id);
    if (!access) {
      access = { orgRole: r.org_role as OrgRole, projects: new Map() };
      orgs.set(r.org_id, access);
    }
    if (r.project_id && r.role) access.projects.set(r.project_id, r.role as ProjectRole);
  }
  return { id: first.id, email: first.email, orgs };
}
