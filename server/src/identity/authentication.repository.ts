import { sql } from 'kysely';
import type { OrgRole, ProjectRole } from '../../../contract/enums.js';
import { PREPARED } from '../db/prepared.js';
import type { Queryable } from '../db/schema.js';
import type { OrgAccess } from '../http/principal.js';

export async function findSession(db: Queryable, tokenHash: string, now: Date) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.email', 'sessions.csrf_token'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.expires_at', '>', now)
    .modifyEnd(sql.raw(PREPARED))
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
    .modifyEnd(sql.raw(PREPARED))
    .execute();
  const orgs = new Map<string, { orgRole: OrgRole; projects: Map<string, ProjectRole> }>();
  for (const r of rows) {
    let access = orgs.get(r.org_id);
    if (!access) {
      access = { orgRole: r.org_role, projects: new Map() };
      orgs.set(r.org_id, access);
    }
    if (r.project_id && r.role) access.projects.set(r.project_id, r.role);
  }
  return orgs;
}

/** The caller behind an API key (kept by identity/principal-cache.ts; only `key.lastUsedAt` moves once read). */
export interface ApiKeyPrincipal {
  id: string;
  email: string;
  key: { id: string; orgId: string; lastUsedAt: Date | null; revokedAt: Date | null };
  orgs: ReadonlyMap<string, OrgAccess>;
}

/**
 * The caller behind an API key, with their role in the key's one org and their project roles there, in one
 * round trip (the hot path of every request). Undefined when no key has this hash.
 */
export async function findPrincipalByApiKeyHash(
  db: Queryable,
  keyHash: string,
): Promise<ApiKeyPrincipal | undefined> {
  const rows = await db
    .selectFrom('api_keys as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.org_id', '=', 'k.org_id').onRef('m.user_id', '=', 'k.user_id'),
    )
    .leftJoin('project_roles as pr', (j) =>
      j.onRef('pr.org_id', '=', 'm.org_id').onRef('pr.user_id', '=', 'm.user_id'),
    )
    .select([
      'u.id',
      'u.email',
      'k.id as key_id',
      'k.last_used_at',
      'k.revoked_at',
      'm.org_id',
      'm.org_role',
      'pr.project_id',
      'pr.role',
    ])
    .where('k.key_hash', '=', keyHash)
    .modifyEnd(sql.raw(PREPARED))
    .execute();
  const first = rows[0];
  if (!first) return undefined;
  const projects = new Map<string, ProjectRole>();
  for (const r of rows) if (r.project_id && r.role) projects.set(r.project_id, r.role);
  const access: OrgAccess = { orgRole: first.org_role, projects };
  return {
    id: first.id,
    email: first.email,
    key: {
      id: first.key_id,
      orgId: first.org_id,
      lastUsedAt: first.last_used_at,
      revokedAt: first.revoked_at,
    },
    orgs: new Map([[first.org_id, access]]),
  };
}

/**
 * Records that a key was used, at most once per `intervalMs`: a conditional UPDATE that changes nothing when
 * another request (or instance) already recorded a recent use.
 */
export async function touchApiKey(db: Queryable, keyHash: string, now: Date, intervalMs: number) {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('key_hash', '=', keyHash)
    .where((eb) =>
      eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', new Date(now.getTime() - intervalMs))]),
    )
    .execute();
}
