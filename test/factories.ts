import type { TestTally } from './harness.js';

/**
 * Factories over the real internal API: orgs, projects, members with roles, money. Each returns what the
 * tests need (ids and API keys) and fails loudly if the API refuses.
 */
export interface Member {
  id: string;
  email: string;
  apiKey: string;
  auth: { authorization: string };
}

export interface OrgFixture {
  id: string;
  remittanceCode: string;
  projects: { id: string; name: string }[];
  admin: Member;
}

let seq = 0;
const unique = (p: string) => `${p}-${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

export async function api(
  t: TestTally,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  opts: { auth?: { authorization: string }; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await t.app.inject({
    method,
    url,
    headers: { ...(opts.auth ?? {}), ...(opts.headers ?? {}) },
    ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
  });
  let json: any;
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, body: res.body, headers: res.headers };
}

async function ok(r: Awaited<ReturnType<typeof api>>, status: number, what: string) {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.body}`);
  return r.json;
}

export async function createOrg(
  t: TestTally,
  opts: { certified?: boolean; projects?: number; timeZone?: string } = {},
): Promise<OrgFixture> {
  const org = await ok(
    await api(t, 'POST', '/v1/internal/orgs', {
      auth: t.op,
      body: {
        name: unique('org'),
        certified: opts.certified ?? true,
        ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
      },
    }),
    201,
    'create org',
  );
  const projects = [];
  for (let i = 0; i < (opts.projects ?? 2); i++) {
    projects.push(
      await ok(
        await api(t, 'POST', `/v1/internal/orgs/${org.id}/projects`, {
          auth: t.op,
          body: { name: `project-${i + 1}` },
        }),
        201,
        'create project',
      ),
    );
  }
  const admin = await addMember(t, org.id, 'org_admin');
  return { id: org.id, remittanceCode: org.remittanceCode, projects, admin };
}

export async function addMember(
  t: TestTally,
  orgId: string,
  orgRole: 'org_admin' | 'org_billing_admin' | 'org_member',
  projectRoles: { projectId: string; role: 'project_admin' | 'project_editor' | 'project_viewer' }[] = [],
  password?: string,
): Promise<Member> {
  const r = await ok(
    await api(t, 'POST', `/v1/internal/orgs/${orgId}/members`, {
      auth: t.op,
      body: {
        email: `${unique(orgRole)}@example.com`,
        orgRole,
        projectRoles,
        ...(password ? { password } : {}),
      },
    }),
    201,
    'add member',
  );
  return {
    id: r.user.id,
    email: r.user.email,
    apiKey: r.apiKey,
    auth: { authorization: `Bearer ${r.apiKey}` },
  };
}

type ProjectRole = 'project_admin' | 'project_editor' | 'project_viewer';
interface RoleMemberSpec {
  orgRole: 'org_billing_admin' | 'org_member';
  /** a role in the org's first (0) or second (1) project */
  project?: { index: 0 | 1; role: ProjectRole };
}

/** The members the authorization tests need, by name: p1 and p2 are the org's first two projects. */
const ROLE_MEMBERS = {
  billingAdmin: { orgRole: 'org_billing_admin' },
  orgMember: { orgRole: 'org_member' },
  p1Admin: { orgRole: 'org_member', project: { index: 0, role: 'project_admin' } },
  p1Editor: { orgRole: 'org_member', project: { index: 0, role: 'project_editor' } },
  p1Viewer: { orgRole: 'org_member', project: { index: 0, role: 'project_viewer' } },
  p2Admin: { orgRole: 'org_member', project: { index: 1, role: 'project_admin' } },
} as const satisfies Record<string, RoleMemberSpec>;
export type RoleMember = keyof typeof ROLE_MEMBERS;

/** Adds one member per name given, in that order, to the org. */
export async function addRoleMembers<K extends RoleMember>(
  t: TestTally,
  org: OrgFixture,
  names: readonly K[],
): Promise<Record<K, Member>> {
  const members = {} as Record<K, Member>;
  for (const name of names) {
    const spec: RoleMemberSpec = ROLE_MEMBERS[name];
    const projectRoles = [];
    if (spec.project) {
      const project = org.projects[spec.project.index];
      if (!project) throw new Error(`${name}: the org has no project ${spec.project.index + 1}`);
      projectRoles.push({ projectId: project.id, role: spec.project.role });
    }
    members[name] = await addMember(t, org.id, spec.orgRole, projectRoles);
  }
  return members;
}

export async function topUp(
  t: TestTally,
  org: { remittanceCode: string },
  amount: number,
  bankReference = unique('ref'),
) {
  return ok(
    await api(t, 'POST', '/v1/internal/bank-transfers', {
      auth: t.op,
      body: { remittanceCode: org.remittanceCode, amount, currency: 'CNY', bankReference },
    }),
    201,
    'top up',
  );
}

export const PURCHASE = {
  region: 'aliyun-cn-hangzhou',
  cuType: 'performance',
  cuSize: 1,
  replicas: 1,
  term: { unit: 'month', count: 1 },
} as const;

/** A new purchase: answers { cluster, order } (1 CU × 1 replica × 1 month = ¥900.00 = 90000 fen). */
export async function buyCluster(
  t: TestTally,
  org: OrgFixture,
  as: Member = org.admin,
  overrides: Record<string, unknown> = {},
) {
  return ok(
    await api(t, 'POST', `/v1/orgs/${org.id}/clusters`, {
      auth: as.auth,
      body: { ...PURCHASE, projectId: org.projects[0]!.id, name: unique('cluster'), ...overrides },
    }),
    201,
    'buy cluster',
  );
}

export async function pay(
  t: TestTally,
  orgId: string,
  orderId: string,
  as: Member,
  headers: Record<string, string> = {},
) {
  return api(t, 'POST', `/v1/orgs/${orgId}/orders/${orderId}/pay`, { auth: as.auth, headers });
}

/**
 * A serving cluster: bought (1 month unless `overrides` say otherwise), paid, provisioned (runs the jobs past
 * the provisioning delay). A month is 30 days and a cluster reads `expiring` from 30 days before its term
 * ends (SPEC §8.1), so a cluster bought for 1 month is `expiring` as soon as it runs; a longer term is
 * `running`. Either state serves; the state is checked exactly against the term bought.
 */
export async function runningCluster(
  t: TestTally,
  org: OrgFixture,
  overrides: { term?: { unit: 'month' | 'year'; count: number }; projectId?: string } = {},
) {
  const { cluster, order } = await buyCluster(t, org, org.admin, overrides);
  await topUp(t, org, order.amount);
  await ok(await pay(t, org.id, order.id, org.admin), 200, 'pay');
  await t.jobs.runAllOnce();
  t.clock.advance(t.config.provisionSeconds * 1000);
  await t.jobs.runAllOnce();
  const c = await ok(
    await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${cluster.id}`, { auth: org.admin.auth }),
    200,
    'get cluster',
  );
  const expected = servingState(overrides.term ?? PURCHASE.term);
  if (c.state !== expected) throw new Error(`cluster not ${expected}: ${c.state}`);
  return c;
}

/** The state of a cluster just provisioned for `term`: `expiring` when the term is 30 days or less. */
export function servingState(term: { unit: 'month' | 'year'; count: number }): 'running' | 'expiring' {
  return term.unit === 'month' && term.count === 1 ? 'expiring' : 'running';
}
