export const ORG_ROLES = ['org_admin', 'org_billing_admin', 'org_member'] as const;
export const PROJECT_ROLES = ['project_admin', 'project_editor', 'project_viewer'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export interface OrgAccess {
  orgRole: OrgRole;
  projects: Map<string, ProjectRole>;
}

export type Principal =
  | { kind: 'operator'; id: 'operator' }
  | {
      kind: 'user';
      id: string;
      email: string;
      via: 'api_key' | 'session';
      /** A key acts in one org: `orgs` then holds that org alone. */
      apiKeyId?: string;
      orgs: Map<string, OrgAccess>;
      csrfToken?: string;
    };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;
