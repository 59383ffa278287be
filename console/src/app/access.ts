import type { MeOrg } from '../api/types.js';

/**
 * What the caller may do in an org, from GET /v1/me alone: the console's copy of the server's authorization
 * table (server/src/access/policy.ts), limited to the actions a screen offers. A unit test checks it against
 * that table for every combination of roles, so the console never offers what the API would refuse.
 */
type OrgRole = MeOrg['orgRole'];
type ProjectRole = MeOrg['projects'][number]['role'];

export const CONSOLE_POLICY = {
  'cluster.list': { org: ['org_admin'], project: ['project_admin', 'project_editor', 'project_viewer'] },
  'cluster.create': { org: ['org_admin'], project: ['project_admin'] },
  'cluster.upgrade': { org: ['org_admin'], project: ['project_admin'] },
  'cluster.renew': { org: ['org_admin'], project: ['project_admin'] },
  'order.list': { org: ['org_admin'], project: ['project_admin'] },
  'balance.read': { org: ['org_admin', 'org_billing_admin'], project: ['project_admin'] },
  'remittance.read': { org: ['org_admin', 'org_billing_admin'], project: ['project_admin'] },
  'topup.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'coupon.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'bill.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'bill.confirm': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'bill.dispute': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'apikey.manage': { org: ['org_admin', 'org_billing_admin', 'org_member'], project: [] },
  'ledger.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'invoice.read': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'invoice.request': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'webhook.manage': { org: ['org_admin'], project: [] },
  'lowbalance.read': { org: ['org_admin', 'org_billing_admin'], project: ['project_admin'] },
  'lowbalance.set': { org: ['org_admin', 'org_billing_admin'], project: [] },
  'order.pay': { org: ['org_admin'], project: ['project_admin'] },
} as const satisfies Record<string, { org: readonly OrgRole[]; project: readonly ProjectRole[] }>;

export type ConsoleAction = keyof typeof CONSOLE_POLICY;

/** Allowed when the org role grants it, or the caller holds a granting role in any project of the org. */
export function can(org: Pick<MeOrg, 'orgRole' | 'projects'>, action: ConsoleAction): boolean {
  const rule = CONSOLE_POLICY[action];
  if ((rule.org as readonly OrgRole[]).includes(org.orgRole)) return true;
  return org.projects.some((p) => (rule.project as readonly ProjectRole[]).includes(p.role));
}

/**
 * The sections of an org (the path segment after /orgs/:orgId/) and the action each needs; `member` is a
 * page of the signed-in user's own (消息, 设置), open to every member of the org.
 */
export const SECTIONS = {
  orders: 'order.list',
  bills: 'bill.read',
  balance: 'balance.read',
  ledger: 'ledger.read',
  topup: 'remittance.read',
  invoices: 'invoice.read',
  clusters: 'cluster.list',
  notifications: 'member',
  settings: 'member',
  webhooks: 'webhook.manage',
  'api-keys': 'apikey.manage',
} as const satisfies Record<string, ConsoleAction | 'member'>;

export type Section = keyof typeof SECTIONS;

export function canSee(org: Pick<MeOrg, 'orgRole' | 'projects'>, section: Section): boolean {
  const action = SECTIONS[section];
  return action === 'member' || can(org, action);
}

/** The page a user lands on: the first of these they may use, else the page that says whom to ask. */
const LANDING: Section[] = ['orders', 'balance', 'bills', 'clusters'];

export function landingSection(org: Pick<MeOrg, 'orgRole' | 'projects'>): Section | 'home' {
  return LANDING.find((s) => canSee(org, s)) ?? 'home';
}

export function landingPath(org: MeOrg): string {
  return `/orgs/${org.id}/${landingSection(org)}`;
}
