import { beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  addRoleMembers,
  api,
  buyCluster,
  createOrg,
  type Member,
  type OrgFixture,
  pay,
  topUp,
} from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { countTold, DAY, HOUR, runJobs } from './helpers.js';

/**
 * Who is told what (SPEC §9's table), counted per user over HTTP after several runs of every job: each event
 * reaches exactly its recipients, once. Recipients are resolved from the roles when the message is made.
 */
describe('each event reaches exactly its recipients, once', () => {
  let t: TestTally;
  let org: OrgFixture;
  let people: Record<
    'admin' | 'admin2' | 'billingAdmin' | 'orgMember' | 'p1Admin' | 'p1Viewer' | 'p2Admin',
    Member
  >;
  const none = { admin: 0, admin2: 0, billingAdmin: 0, orgMember: 0, p1Admin: 0, p1Viewer: 0, p2Admin: 0 };

  beforeAll(async () => {
    t = await startTestTally();
    org = await createOrg(t);
    const admin2 = await addMember(t, org.id, 'org_admin');
    const roles = await addRoleMembers(t, org, [
      'billingAdmin',
      'orgMember',
      'p1Admin',
      'p1Viewer',
      'p2Admin',
    ]);
    people = { admin: org.admin, admin2, ...roles };
  });

  const about = (category: string, id: string) => (n: { category: string; title: string }) =>
    n.category === category && n.title.includes(id);

  it('order created, paid: the creator and the Org Admins; top-up credited: both admin roles', async () => {
    const { order } = await buyCluster(t, org, people.p1Admin);
    await runJobs(t);
    expect(await countTold(t, people, about('order_created', order.id))).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
      p1Admin: 1,
    });
    await topUp(t, org, order.amount);
    await runJobs(t);
    expect(await countTold(t, people, (n) => n.category === 'topup_credited')).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
      billingAdmin: 1,
    });
    expect((await pay(t, org.id, order.id, people.p1Admin)).status).toBe(200);
    await runJobs(t);
    expect(await countTold(t, people, about('order_paid', order.id))).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
      p1Admin: 1,
    });
  });

  it('an order still unpaid 24 h before its deadline, then timed out: the creator and the Org Admins', async () => {
    const { order } = await buyCluster(t, org, people.p1Admin);
    const deadline = Date.parse(order.expiresAt);
    t.clock.set(new Date(deadline - 24 * HOUR - 1000));
    await runJobs(t);
    expect(await countTold(t, people, about('order_unpaid', order.id))).toEqual(none);
    t.clock.set(new Date(deadline - 24 * HOUR));
    await runJobs(t);
    expect(await countTold(t, people, about('order_unpaid', order.id))).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
      p1Admin: 1,
    });
    t.clock.set(new Date(deadline));
    await runJobs(t);
    expect(await countTold(t, people, about('order_timed_out', order.id))).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
      p1Admin: 1,
    });
    expect(await countTold(t, people, about('order_unpaid', order.id))).toMatchObject({ admin: 1 });
  });

  it('recipients are resolved when told: a member added before the job runs is told, the role they hold then', async () => {
    const { order } = await buyCluster(t, org);
    const late = await addMember(t, org.id, 'org_admin');
    await runJobs(t);
    expect(await countTold(t, { ...people, late }, about('order_created', order.id))).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
      late: 1,
    });
  });

  it('auto-renew failed (with the shortfall): both admin roles; the system’s renewal order: the Org Admins only', async () => {
    const o2 = await createOrg(t);
    const admin2 = await addMember(t, o2.id, 'org_admin');
    const r2 = await addRoleMembers(t, o2, ['billingAdmin', 'orgMember', 'p1Admin', 'p1Viewer', 'p2Admin']);
    const p2 = { admin: o2.admin, admin2, ...r2 };
    const { cluster, order } = await buyCluster(t, o2, p2.p1Admin);
    await topUp(t, o2, order.amount);
    expect((await pay(t, o2.id, order.id, p2.p1Admin)).status).toBe(200);
    await runJobs(t);
    t.clock.advance(t.config.provisionSeconds * 1000);
    await runJobs(t);
    const on = await api(t, 'PUT', `/v1/orgs/${o2.id}/settings/auto-renew`, {
      auth: o2.admin.auth,
      body: { enabled: true },
    });
    expect(on.status).toBe(200);
    const c = (await api(t, 'GET', `/v1/orgs/${o2.id}/clusters/${cluster.id}`, { auth: o2.admin.auth })).json;
    t.clock.set(new Date(Date.parse(c.termEndsAt) - 7 * DAY));
    await runJobs(t);
    const attempts = await api(t, 'GET', `/v1/orgs/${o2.id}/clusters/${cluster.id}/renewal-attempts`, {
      auth: o2.admin.auth,
    });
    expect(attempts.json.items).toHaveLength(1);
    const attempt = attempts.json.items[0];
    expect(attempt).toMatchObject({ outcome: 'failed', shortfall: 90000 });
    expect(await countTold(t, p2, (n) => n.category === 'auto_renew_failed')).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
      billingAdmin: 1,
    });
    const failed = (await countTold(t, { admin: o2.admin }, (n) => n.category === 'auto_renew_failed')).admin;
    expect(failed).toBe(1);
    expect(await countTold(t, p2, about('order_created', attempt.orderId))).toEqual({
      ...none,
      admin: 1,
      admin2: 1,
    });
  });

  it('one run tells the events of several orgs at once: each reaches its own org’s people, mutes included', async () => {
    // Three orgs, each with an order created by its project admin and a top-up, told by one batch of the job
    // (whose audiences are read in one query for the whole batch).
    const orgs = await Promise.all([createOrg(t), createOrg(t), createOrg(t)]);
    const teams = await Promise.all(
      orgs.map(async (o) => {
        const r = await addRoleMembers(t, o, ['billingAdmin', 'orgMember', 'p1Admin']);
        return { admin: o.admin, ...r };
      }),
    );
    // the second org's admin mutes 订单创建 (not critical)
    const muted = await api(t, 'PUT', '/v1/me/notification-settings', {
      auth: teams[1]!.admin.auth,
      body: { muted: ['order_created'] },
    });
    expect(muted.status).toBe(200);
    const orders = [];
    for (const [i, o] of orgs.entries()) {
      orders.push((await buyCluster(t, o, teams[i]!.p1Admin)).order);
      await topUp(t, o, 1_000 * (i + 1));
    }
    await runJobs(t, 1);
    const nobody = { admin: 0, billingAdmin: 0, orgMember: 0, p1Admin: 0 };
    for (const [i, team] of teams.entries()) {
      expect(await countTold(t, team, about('order_created', orders[i]!.id)), `org ${i}`).toEqual({
        ...nobody,
        admin: i === 1 ? 0 : 1,
        p1Admin: 1,
      });
      const topups = await countTold(t, team, (n) => n.category === 'topup_credited');
      expect(topups, `org ${i}`).toEqual({ ...nobody, admin: 1, billingAdmin: 1 });
      // and nothing of the other orgs' orders
      for (const [j, other] of orders.entries())
        if (j !== i) expect(await countTold(t, team, about('order_created', other.id))).toEqual(nobody);
    }
  });
});
