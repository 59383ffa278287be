import type { OrgRole, ProjectRole } from '../../../contract/enums.js';

/** The caller's roles in one org: what authorization (access/policy.ts) decides from. */
export interface OrgAccess {
  readonly orgRole: OrgRole;
  readonly projects: ReadonlyMap<string, ProjectRole>;
}

/**
 * Who is calling: what a route handler receives (`ctx.principal`). identity/authenticate.ts finds it; the
 * composition root hands that function to the app (AppOptions.authenticate).
 */
export type Principal =
  | { kind: 'operator'; id: 'operator' }
  | {
      kind: 'user';
      id: string;
      email: string;
      via: 'api_key' | 'session';
      /** A key acts in one org: `orgs` then holds that org alone. */
      apiKeyId?: string;
      orgs: ReadonlyMap<string, OrgAccess>;
      csrfToken?: string;
    };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;
