import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  addRoleMembers,
  api,
  createOrg,
  type Member,
  type OrgFixture,
  pay,
  runningCluster,
  topUp,
} from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { countTold, DAY, inbox, runJobs } from './helpers.js';

/**
 * Expiry reminders (SPEC §9): T − 30, − 7, − 3, − 1 days, at expiry and at recycle, to the Org Admins and the
 * cluster's Project Admins; each once (several runs of every job at every step); none once renewed. Also
 * written to the outbox as `alert.cluster_expiring` for the webhooks.
 */
describe('cluster expiry reminders', () => {
  let t: TestTally;
  let org: OrgFixture;
  let people: Record<'admin' | 'billingAdmin' | 'p1Admin' | 'p1Viewer' | 'p2Admin', Member>;

  beforeAll(async () => {
    t = await startTestTally();
    org = await createOrg(t);
    const roles = await addRoleMembers(t, org, ['billingAdmin', 'p1Admin', 'p1Viewer', 'p2Admin']);
    people = { admin: org.admin, ...roles };
  });

  const alerts = async (clusterId: string) =>
    (
      await sql<{ payload: { daysLeft: number; clusterId: string; termEndsAt: string } }>`
        select payload from outbox_events where type = 'alert.cluster_expiring' and aggregate_id = ${clusterId}
        order by id`.execute(t.deps.db)
    ).rows.map((r) => r.payload);

  it('T − 30/7/3/1 d, at expiry and at recycle: once each, to the Org Admins and the project’s Project Admins', async () => {
    const c = await runningCluster(t, org);
    const end = Date.parse(c.termEndsAt);
    const mine = (n: { title: string }) => n.title.includes(c.name);
    const expectTold = async (counts: Record<string, number>) => {
      const byCategory: Record<string, number> = {};
      for (const n of (await inbox(t, people.p1Admin)).filter(mine))
        byCategory[n.category] = (byCategory[n.category] ?? 0) + 1;
      expect(byCategory).toEqual(counts);
    };
    // A 1-month term is 30 days: T − 30 d is the payment itself.
    await runJobs(t);
    await expectTold({ cluster_expiring: 1 });
    t.clock.set(new Date(end - 7 * DAY - 1000));
    await runJobs(t);
    await expectTold({ cluster_expiring: 1 });
    t.clock.set(new Date(end - 7 * DAY));
    await runJobs(t);
    await expectTold({ cluster_expiring: 2 });
    t.clock.set(new Date(end - 3 * DAY));
    await runJobs(t);
    await expectTold({ cluster_expiring: 2, cluster_expiring_soon: 1 });
    t.clock.set(new Date(end - 1 * DAY));
    await runJobs(t);
    await expectTold({ cluster_expiring: 2, cluster_expiring_soon: 2 });
    t.clock.set(new Date(end));
    await runJobs(t);
    await expectTold({ cluster_expiring: 2, cluster_expiring_soon: 2, cluster_expired: 1 });
    t.clock.set(new Date(end + 7 * DAY));
    await runJobs(t);
    await expectTold({
      cluster_expiring: 2,
      cluster_expiring_soon: 2,
      cluster_expired: 1,
      cluster_recycled: 1,
    });
    expect(await countTold(t, people, mine)).toEqual({
      admin: 6,
      billingAdmin: 0,
      p1Admin: 6,
      p1Viewer: 0,
      p2Admin: 0,
    });
    expect((await alerts(c.id)).map((a) => a.daysLeft)).toEqual([30, 7, 3, 1]);
    expect((await alerts(c.id))[0]).toEqual({
      clusterId: c.id,
      clusterName: c.name,
      projectId: org.projects[0]!.id,
      termEndsAt: c.termEndsAt,
      daysLeft: 30,
    });
    const soon = (await inbox(t, org.admin)).find((n) => mine(n) && n.category === 'cluster_expiring_soon');
    expect(soon?.title).toBe(`集群 ${c.name} 将在 1 天后到期`);
    expect(soon?.link).toBe(`/orgs/${org.id}/clusters`);
  });

  it('a late run tells only the latest milestone (T − 3 d, not T − 7 d as well)', async () => {
    const start = t.clock.now().getTime();
    const c = await runningCluster(t, org);
    const end = Date.parse(c.termEndsAt);
    expect(end).toBeGreaterThan(start);
    t.clock.set(new Date(end - 2 * DAY));
    await runJobs(t);
    expect((await alerts(c.id)).map((a) => a.daysLeft)).toEqual([30, 3]);
  });

  it('none once renewed: a renewal paid at T − 10 d ends the reminders of the old term', async () => {
    const c = await runningCluster(t, org);
    const end = Date.parse(c.termEndsAt);
    t.clock.set(new Date(end - 10 * DAY));
    const renew = await api(t, 'POST', `/v1/orgs/${org.id}/clusters/${c.id}/renew`, {
      auth: org.admin.auth,
      body: { term: { unit: 'year', count: 1 } },
    });
    expect(renew.status).toBe(201);
    await topUp(t, org, renew.json.order.amount);
    expect((await pay(t, org.id, renew.json.order.id, org.admin)).status).toBe(200);
    for (const at of [end - 7 * DAY, end - 3 * DAY, end - DAY, end, end + 7 * DAY]) {
      t.clock.set(new Date(at));
      await runJobs(t);
    }
    const told = (await inbox(t, org.admin)).filter((n) => n.title.includes(c.name));
    expect(told.map((n) => n.category)).toEqual(['cluster_expiring']);
    expect((await alerts(c.id)).map((a) => a.daysLeft)).toEqual([30]);
  });

  it('a Project Admin added to the project later is told the next reminder; an org member is not', async () => {
    const c = await runningCluster(t, org);
    const newcomer = await addMember(t, org.id, 'org_member', [
      { projectId: org.projects[0]!.id, role: 'project_admin' },
    ]);
    const bystander = await addMember(t, org.id, 'org_member');
    t.clock.set(new Date(Date.parse(c.termEndsAt) - 7 * DAY));
    await runJobs(t);
    const mine = (n: { title: string; category: string }) => n.title.includes(c.name);
    expect(await countTold(t, { newcomer, bystander }, mine)).toEqual({ newcomer: 1, bystander: 0 });
  });
});
