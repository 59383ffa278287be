import type { OrgRole, ProjectRole } from '../../../contract/enums.js';
import type { OrgAccess, UserPrincipal } from '../http/principal.js';
import { AppError } from '../platform/errors.js';

/**
 * Who may do what: the whole authorization model in one table (SPEC §1). An action is allowed when the
 * caller's org role is in `org`, or (for project-scoped resources) their role in the resource's project is
 * in `project`. Org-scoped actions listed with project roles are allowed to anyone holding that role in
 * any project of the org (a project admin sees the balance they pay from).
 */
export const POLICY = {
  'catalog.read': { org: ['org_admin', 'org_billing_admin', 'org_member'], project: [] },
  'quote.create': { org: ['org_admin'], project: ['project_admin'] },
  'cluster.list': { org: ['org_admin'], project: ['project_admin', 'project_editor', 'project_viewer'] },
  'cluster.read': { org: ['org_admin'], project: ['project_admin', 'project_editor', 'project_viewer'] },
  'cluster.create': { org: ['org_admin'], project: ['project_admin'] },
  'cluster.upgrade': { org: ['org_admin'], project: ['project_admin'] },
  /** 续订 (SPEC §8.2) */
  'cluster.renew': { org: ['org_admin'], project: ['project_admin'] },
  /** the auto-renew attempts of a cluster, with their amounts and shortfalls (SPEC §8.4) */
  'cluster.renewals.read': { org: ['org_admin'], project: ['project_admin'] },
  /** the 自动续订 switch (SPEC §8.4): seen by whoever sees orders or billing, set by Org Admin */
  'autorenew.read': { org: ['org_admin', 'org_billing_admin'], project: ['project_admin'] },
  'autorenew.set': { org: ['org_admin'], project: [] },
  /** webhook endpoints and their deliveries (SPEC §9) */
  'webhook.manage': { org: ['org_admin'], project: [] },
  /** 发票 (SPEC §10.4): the finance roles; invoiceable items name paid orders and bills */
  /** the low-balance alert's threshold (SPEC §9): seen with the balance, set by the admins who are told */
  'lowbalance.read': { org: ['org_admin', 'org_billing_admin'], project: ['project_admin'] },
  'lowbalance.set': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'invoice.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'invoice.request': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'order.list': { org: ['org_admin'], project: ['project_admin'] },
  'order.read': { org: ['org_admin'], project: ['project_admin'] },
  'order.pay': { org: ['org_admin'], project: ['project_admin'] },
  'order.cancel': { org: ['org_admin'], project: ['project_admin'] },
  'order.download': { org: ['org_admin'], project: ['project_admin'] },
  'order.export': { org: ['org_admin'], project: ['project_admin'] },
  'balance.read': { org: ['org_admin', 'org_billing_admin'], project: ['project_admin'] },
  'remittance.read': { org: ['org_admin', 'org_billing_admin'], project: ['project_admin'] },
  'ledger.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'topup.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'coupon.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'bill.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  /** SPEC §10.2: confirming a pending bill early, or disputing it while pending */
  'bill.confirm': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'bill.dispute': { org: ['org_admin', 'org_billing_admin'], project: [] },
  /** Every member manages their own API keys in the org (SPEC §11); nobody sees another's. */
  'apikey.manage': { org: ['org_admin', 'org_billing_admin', 'org_member'], project: [] },
} as const satisfies Record<string, { org: readonly OrgRole[]; project: readonly ProjectRole[] }>;

export type Action = keyof typeof POLICY;

/** Org roles that can see that every project's resources exist (others see only their projects). */
const ORG_WIDE_VISIBILITY: readonly OrgRole[] = ['org_admin', 'org_billing_admin'];

const includes = <T>(list: readonly T[], v: T | undefined): boolean => v !== undefined && list.includes(v);

/** The caller's access to an org; another org is 404, never 403. */
export function orgAccess(p: UserPrincipal, orgId: string): OrgAccess {
  const access = p.orgs.get(orgId);
  if (!access) throw new AppError('NOT_FOUND', 'organization not found');
  return access;
}

export function canOrg(access: OrgAccess, action: Action): boolean {
  const rule = POLICY[action];
  if (includes(rule.org, access.orgRole)) return true;
  for (const role of access.projects.values()) if (includes(rule.project, role)) return true;
  return false;
}

/** An org-scoped action (balance, ledger, bills, lists). */
export function authorizeOrg(p: UserPrincipal, orgId: string, action: Action): OrgAccess {
  const access = orgAccess(p, orgId);
  if (!canOrg(access, action))
    throw new AppError('FORBIDDEN', `your role may not ${action.replace('.', ' ')}`);
  return access;
}

export function canSeeProject(access: OrgAccess, projectId: string): boolean {
  return includes(ORG_WIDE_VISIBILITY, access.orgRole) || access.projects.has(projectId);
}

export function canProject(access: OrgAccess, projectId: string, action: Action): boolean {
  const rule = POLICY[action];
  return includes(rule.org, access.orgRole) || includes(rule.project, access.projects.get(projectId));
}

/**
 * A resource that belongs to a project: 404 when the caller cannot know it exists, 403 when they can see it
 * but their role lacks the permission.
 */
export function authorizeProject(
  p: UserPrincipal,
  orgId: string,
  projectId: string,
  action: Action,
  what = 'resource',
): OrgAccess {
  const access = orgAccess(p, orgId);
  if (!canSeeProject(access, projectId)) throw new AppError('NOT_FOUND', `${what} not found`);
  if (!canProject(access, projectId, action)) {
    throw new AppError('FORBIDDEN', `your role may not ${action.replace('.', ' ')}`);
  }
  return access;
}

/**
 * For lists of project-scoped resources: `all` when an org role grants the action, else the projects where
 * a project role does; 403 when neither.
 */
export function projectScope(
  p: UserPrincipal,
  orgId: string,
  action: Action,
): { all: true } | { all: false; projectIds: string[] } {
  const access = orgAccess(p, orgId);
  const rule = POLICY[action];
  if (includes(rule.org, access.orgRole)) return { all: true };
  const projectIds = [...access.projects].filter(([, r]) => includes(rule.project, r)).map(([id]) => id);
  if (projectIds.length === 0)
    throw new AppError('FORBIDDEN', `your role may not ${action.replace('.', ' ')}`);
  return { all: false, projectIds };
}

/**
 * The projects a list may show (undefined: all of them), honouring an optional `projectId` filter, which must
 * itself be visible (else 404) and allowed (else 403).
 */
export function listableProjectIds(
  p: UserPrincipal,
  orgId: string,
  action: Action,
  projectId?: string,
): string[] | undefined {
  const scope = projectScope(p, orgId, action);
  if (projectId) {
    authorizeProject(p, orgId, projectId, action, 'project');
    return [projectId];
  }
  return scope.all ? undefined : scope.projectIds;
}
