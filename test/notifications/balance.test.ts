import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, addRoleMembers, api, buyCluster, createOrg, pay, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { countTold, DAY, HOUR, inbox, runJobs } from './helpers.js';

/**
 * Low cash balance (SPEC §9): strictly below the org's threshold (default ¥100.00): at once, after 1 h, then
 * daily until it recovers, then a recovery notice; to both admin roles; written to the outbox as
 * `alert.balance_low` / `alert.balance_recovered`. The threshold is the org's, set by its admins.
 */
describe('low balance alerts', () => {
  let t: TestTally;
  beforeAll(async () => {
    t = await startTestTally();
  });

  const events = async (orgId: string) =>
    (
      await sql<{ type: string; payload: unknown }>`
        select type, payload from outbox_events where org_id = ${orgId} and type like 'alert.balance_%'
        order by id`.execute(t.deps.db)
    ).rows;

  it('at once, after 1 h, then daily until recovered; ¥100.00 exactly is not low; then one recovery notice', async () => {
    const org = await createOrg(t);
    const { billingAdmin, p1Admin } = await addRoleMembers(t, org, ['billingAdmin', 'p1Admin']);
    const people = { admin: org.admin, billingAdmin, p1Admin };
    const low = (n: { category: string }) => n.category === 'balance_low';
    const { order } = await buyCluster(t, org);
    // Credited ¥900.00 + ¥100.00, then the order is paid: ¥100.00 left, exactly the threshold, not low.
    await topUp(t, org, order.amount + 10_000);
    expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
    await runJobs(t);
    expect(await events(org.id)).toEqual([]);
    // ¥99.99 once a cent is spent: a second cluster's order is paid to leave 9,999 fen.
    const { order: o2 } = await buyCluster(t, org);
    await topUp(t, org, o2.amount - 1);
    expect((await pay(t, org.id, o2.id, org.admin)).status).toBe(200);
    const started = t.clock.now().getTime();
    await runJobs(t);
    expect(await events(org.id)).toEqual([
      { type: 'alert.balance_low', payload: { cash: 9_999, threshold: 10_000, currency: 'CNY' } },
    ]);
    expect(await countTold(t, people, low)).toEqual({ admin: 1, billingAdmin: 1, p1Admin: 0 });
    const first = (await inbox(t, billingAdmin)).find(low);
    expect(first?.title).toBe('现金余额低于 ¥100.00：当前 ¥99.99');
    expect(first?.link).toBe(`/orgs/${org.id}/balance`);

    const steps: [number, number][] = [
      [HOUR - 1000, 1],
      [HOUR, 2],
      [DAY - 1000, 2],
      [DAY, 3],
      [2 * DAY - 1000, 3],
      [2 * DAY, 4],
    ];
    for (const [after, told] of steps) {
      t.clock.set(new Date(started + after));
      await runJobs(t);
      expect((await countTold(t, people, low)).admin, `after ${after / 1000} s`).toBe(told);
    }
    // Back to exactly ¥100.00: recovered, told once; no more low alerts.
    await topUp(t, org, 1);
    await runJobs(t);
    t.clock.advance(3 * DAY);
    await runJobs(t);
    expect(await countTold(t, people, low)).toEqual({ admin: 4, billingAdmin: 4, p1Admin: 0 });
    expect(await countTold(t, people, (n) => n.category === 'balance_recovered')).toEqual({
      admin: 1,
      billingAdmin: 1,
      p1Admin: 0,
    });
    expect((await events(org.id)).map((e) => e.type)).toEqual([
      ...Array(4).fill('alert.balance_low'),
      'alert.balance_recovered',
    ]);
    expect((await events(org.id)).at(-1)?.payload).toEqual({
      cash: 10_000,
      threshold: 10_000,
      currency: 'CNY',
    });
  });

  it('a new episode after recovery starts at once again', async () => {
    const org = await createOrg(t);
    const { order } = await buyCluster(t, org);
    await topUp(t, org, order.amount);
    expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
    await runJobs(t);
    await topUp(t, org, 50_000);
    await runJobs(t);
    const { order: o2 } = await buyCluster(t, org);
    await topUp(t, org, o2.amount - 50_000);
    expect((await pay(t, org.id, o2.id, org.admin)).status).toBe(200);
    await runJobs(t);
    expect((await events(org.id)).map((e) => e.type)).toEqual([
      'alert.balance_low',
      'alert.balance_recovered',
      'alert.balance_low',
    ]);
  });

  it('an org that never topped up is not alerted', async () => {
    const org = await createOrg(t);
    await runJobs(t);
    expect(await events(org.id)).toEqual([]);
  });

  it('the threshold: read by whoever reads the balance, set by either admin role; a higher one alerts at once', async () => {
    const org = await createOrg(t);
    const { billingAdmin, p1Admin, orgMember } = await addRoleMembers(t, org, [
      'billingAdmin',
      'p1Admin',
      'orgMember',
    ]);
    const url = `/v1/orgs/${org.id}/settings/low-balance`;
    expect((await api(t, 'GET', url, { auth: p1Admin.auth })).json).toEqual({
      threshold: 10_000,
      currency: 'CNY',
    });
    expect((await api(t, 'GET', url, { auth: orgMember.auth })).status).toBe(403);
    expect((await api(t, 'PUT', url, { auth: p1Admin.auth, body: { threshold: 1 } })).status).toBe(403);
    expect((await api(t, 'PUT', url, { auth: orgMember.auth, body: { threshold: 1 } })).status).toBe(403);
    const other = await createOrg(t);
    expect((await api(t, 'PUT', url, { auth: other.admin.auth, body: { threshold: 1 } })).status).toBe(404);
    expect((await api(t, 'PUT', url, { auth: billingAdmin.auth, body: { threshold: -1 } })).status).toBe(400);
    await topUp(t, org, 50_000);
    await runJobs(t);
    expect(await events(org.id)).toEqual([]);
    const set = await api(t, 'PUT', url, { auth: billingAdmin.auth, body: { threshold: 50_001 } });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ threshold: 50_001, currency: 'CNY' });
    await runJobs(t);
    expect(await events(org.id)).toEqual([
      { type: 'alert.balance_low', payload: { cash: 50_000, threshold: 50_001, currency: 'CNY' } },
    ]);
    const admin2 = await addMember(t, org.id, 'org_admin');
    expect((await api(t, 'PUT', url, { auth: admin2.auth, body: { threshold: 50_000 } })).status).toBe(200);
    await runJobs(t);
    expect((await events(org.id)).map((e) => e.type)).toEqual([
      'alert.balance_low',
      'alert.balance_recovered',
    ]);
  });
});
