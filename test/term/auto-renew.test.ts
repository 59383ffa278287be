import { beforeAll, describe, expect, it } from 'vitest';
import { addRoleMembers, api, createOrg, type OrgFixture, pay, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import {
  attempts,
  cash,
  DAY,
  expectError,
  expectStatus,
  getCluster,
  getOrder,
  iso,
  ONE_MONTH,
  ONE_YEAR,
  renew,
  setAutoRenew,
  subscribed,
  topUpAndPay,
  upgrade,
  YEAR_DAYS,
} from './support.js';

/** SPEC §8.4: 自动续订 — one switch per org; attempts at termEndsAt − 7 d + k × 24 h, k = 0…13. */
let t: TestTally;

beforeAll(async () => {
  t = await startTestTally();
});

const SYSTEM = { type: 'system', id: null, email: null };

async function clusterOrders(org: OrgFixture, clusterId: string) {
  const list = expectStatus(
    await api(t, 'GET', `/v1/orgs/${org.id}/orders?clusterId=${clusterId}&limit=100`, {
      auth: org.admin.auth,
    }),
    200,
  );
  return list.items as { id: string; type: string; status: string }[];
}

/** Moves the clock to the instant and runs every job once. */
async function runAt(instant: string) {
  t.clock.set(instant);
  return t.jobs.runAllOnce();
}

describe('the switch', () => {
  it('is set by the Org Admin only, read by org admins, billing admins and project admins', async () => {
    const org = await createOrg(t);
    const m = await addRoleMembers(t, org, ['billingAdmin', 'p1Admin', 'orgMember']);
    const url = `/v1/orgs/${org.id}/settings/auto-renew`;
    const off = { enabled: false, updatedAt: null, updatedBy: null };
    expect(expectStatus(await api(t, 'GET', url, { auth: org.admin.auth }), 200)).toEqual(off);
    for (const who of [m.billingAdmin, m.p1Admin, m.orgMember]) {
      expect((await api(t, 'PUT', url, { auth: who.auth, body: { enabled: true } })).status).toBe(403);
    }
    expect(expectStatus(await api(t, 'GET', url, { auth: m.billingAdmin.auth }), 200)).toEqual(off);
    expect((await api(t, 'GET', url, { auth: m.orgMember.auth })).status).toBe(403);
    expectError(
      await api(t, 'PUT', url, { auth: org.admin.auth, body: { enabled: 'yes' } }),
      400,
      'VALIDATION_FAILED',
    );

    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    await topUp(t, org, 5_000_000);
    const on = { enabled: true, updatedAt: t.clock.now().toISOString(), updatedBy: org.admin.id };
    expect(await setAutoRenew(t, org, true)).toEqual(on);
    for (const who of [org.admin, m.billingAdmin, m.p1Admin])
      expect(expectStatus(await api(t, 'GET', url, { auth: who.auth }), 200)).toEqual(on);
    // Setting it again changes nothing (not even who set it last).
    t.clock.advance(60_000);
    expect(await setAutoRenew(t, org, true)).toEqual(on);

    // Turning it on creates no order and moves no money, by itself or through the jobs.
    await t.jobs.runAllOnce();
    expect((await clusterOrders(org, cluster.id)).map((o) => o.type)).toEqual(['new_purchase']);
    expect(await cash(t, org)).toBe(5_000_000);
    expect(await attempts(t, org, cluster.id)).toEqual([]);
    await setAutoRenew(t, org, false);
  });

  it('the attempts are listed to the org admin and the project’s admin, not to the billing admin', async () => {
    const org = await createOrg(t);
    const m = await addRoleMembers(t, org, ['billingAdmin', 'p1Admin', 'p2Admin']);
    const { cluster } = await subscribed(t, org);
    const url = `/v1/orgs/${org.id}/clusters/${cluster.id}/renewal-attempts`;
    expect(expectStatus(await api(t, 'GET', url, { auth: m.p1Admin.auth }), 200).items).toEqual([]);
    expect((await api(t, 'GET', url, { auth: m.billingAdmin.auth })).status).toBe(403);
    expect([403, 404]).toContain((await api(t, 'GET', url, { auth: m.p2Admin.auth })).status);
  });
});

describe('the SPEC’s example', () => {
  it('2 CU × 1 year, ¥10,000.00: fails at −7 d (short ¥5,120.00), top-up at −5.5 d, paid at −5 d, ¥880.00 left', async () => {
    const org = await createOrg(t);
    const { cluster, order: bought } = await subscribed(t, org, { cuSize: 2, term: ONE_YEAR });
    expect(bought.amount).toBe(1_512_000);
    await topUp(t, org, 1_000_000);
    await setAutoRenew(t, org, true);
    const end = cluster.termEndsAt as string;

    await runAt(iso(end, -7 * DAY - 1000));
    expect(await attempts(t, org, cluster.id)).toEqual([]);
    expect((await clusterOrders(org, cluster.id)).map((o) => o.type)).toEqual(['new_purchase']);

    // −7 d: a renewal of ¥15,120.00 (2 × ¥900 × 12 × 0.7) made by the system, not paid
    await runAt(iso(end, -7 * DAY));
    const [first] = await attempts(t, org, cluster.id);
    const renewal = (await clusterOrders(org, cluster.id)).find((o) => o.type === 'renewal');
    expect(renewal).toBeDefined();
    expect(first).toEqual({
      clusterId: cluster.id,
      at: iso(end, -7 * DAY),
      k: 0,
      termEndsAt: end,
      outcome: 'failed',
      orderId: renewal!.id,
      amount: 1_512_000,
      shortfall: 512_000,
      currency: 'CNY',
      reason: 'insufficient_balance',
      recordedAt: iso(end, -7 * DAY),
    });
    const order = await getOrder(t, org, renewal!.id);
    expect(order).toMatchObject({
      type: 'renewal',
      status: 'unpaid',
      amount: 1_512_000,
      createdBy: null,
      config: { cuSize: 2, replicas: 1, term: ONE_YEAR, termEndsAt: iso(end, YEAR_DAYS * DAY) },
    });
    expect(order.history).toEqual([
      { from: null, to: 'unpaid', at: iso(end, -7 * DAY), by: SYSTEM, reason: null },
    ]);
    expect(await cash(t, org)).toBe(1_000_000);
    expect((await getCluster(t, org, cluster.id)).pendingOrder).toMatchObject({
      id: order.id,
      type: 'renewal',
    });

    // Running the job again at the same instant makes no second attempt and no second order.
    for (let i = 0; i < 3; i++) await t.jobs.runAllOnce();
    expect(await attempts(t, org, cluster.id)).toHaveLength(1);
    expect(await clusterOrders(org, cluster.id)).toHaveLength(2);

    // −6 d: the same order, again short
    await runAt(iso(end, -6 * DAY));
    const second = (await attempts(t, org, cluster.id))[1];
    expect(second).toMatchObject({
      k: 1,
      at: iso(end, -6 * DAY),
      outcome: 'failed',
      orderId: order.id,
      shortfall: 512_000,
    });

    // −5.5 d: a top-up of ¥6,000.00 never pays the order by itself
    t.clock.set(iso(end, -5.5 * DAY));
    await topUp(t, org, 600_000);
    await t.jobs.runAllOnce();
    expect((await getOrder(t, org, order.id)).status).toBe('unpaid');
    expect(await cash(t, org)).toBe(1_600_000);
    expect(await attempts(t, org, cluster.id)).toHaveLength(2);

    // −5 d: the attempt pays it
    await runAt(iso(end, -5 * DAY));
    const third = (await attempts(t, org, cluster.id))[2];
    expect(third).toMatchObject({
      k: 2,
      at: iso(end, -5 * DAY),
      termEndsAt: end,
      outcome: 'paid',
      orderId: order.id,
      amount: 1_512_000,
      shortfall: null,
    });
    expect(await cash(t, org)).toBe(88_000);
    const paid = await getOrder(t, org, order.id);
    expect(paid).toMatchObject({ status: 'paid', paidAt: iso(end, -5 * DAY), paidBy: null, createdBy: null });
    expect(paid.history.at(-1)).toEqual({
      from: 'unpaid',
      to: 'paid',
      at: iso(end, -5 * DAY),
      by: SYSTEM,
      reason: null,
    });
    const renewed = await getCluster(t, org, cluster.id);
    expect(renewed).toMatchObject({
      termEndsAt: iso(end, YEAR_DAYS * DAY),
      term: ONE_YEAR,
      pendingOrder: null,
    });

    // Renewed: no more attempts for this end, through the old end and the old recycle.
    for (const d of [-4, -1, 0, 3, 6]) await runAt(iso(end, d * DAY));
    expect(await attempts(t, org, cluster.id)).toHaveLength(3);
    expect((await getCluster(t, org, cluster.id)).state).toBe('running');
    expect(await cash(t, org)).toBe(88_000);
    expect((await clusterOrders(org, cluster.id)).map((o) => o.type).sort()).toEqual([
      'new_purchase',
      'renewal',
    ]);
  });
});

describe('the attempts’ schedule', () => {
  it('the last attempt is k = 13, a day before recycleAt, and none follows', async () => {
    const org = await createOrg(t);
    const { cluster } = await subscribed(t, org);
    await setAutoRenew(t, org, true);
    const end = cluster.termEndsAt as string;
    await runAt(iso(end, -7 * DAY));
    const [k0] = await attempts(t, org, cluster.id);
    expect(k0).toMatchObject({ k: 0, outcome: 'failed', amount: 90_000, shortfall: 90_000 });
    // That order times out at the end (made 7 days before it); a later attempt makes a new one.
    expect((await getOrder(t, org, k0.orderId)).expiresAt).toBe(end);

    // Expired: the attempts go on inside the buffer.
    await runAt(iso(end, 6 * DAY - 1000));
    await runAt(iso(end, 6 * DAY));
    await runAt(iso(end, 7 * DAY - 1000));
    const list = await attempts(t, org, cluster.id);
    expect(list.map((a) => a.k)).toEqual([0, 12, 13]);
    const [, k12, k13] = list;
    expect(k12).toMatchObject({
      at: iso(end, 5 * DAY),
      outcome: 'failed',
      recordedAt: iso(end, 6 * DAY - 1000),
    });
    expect(k12.orderId).not.toBe(k0.orderId);
    expect(k13).toMatchObject({
      at: iso(cluster.recycleAt, -DAY),
      recordedAt: iso(end, 6 * DAY),
      outcome: 'failed',
      orderId: k12.orderId,
    });
    expect((await getOrder(t, org, k0.orderId)).status).toBe('timed_out');

    // Recycled: no attempt, and the unpaid renewal is cancelled by the system.
    await runAt(cluster.recycleAt);
    await runAt(iso(cluster.recycleAt, DAY));
    expect(await attempts(t, org, cluster.id)).toHaveLength(3);
    const cancelled = await getOrder(t, org, k12.orderId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.history.at(-1)).toMatchObject({ by: SYSTEM, reason: 'cluster_recycled' });
    // Money arriving now changes nothing.
    await topUp(t, org, 1_000_000);
    await runAt(iso(cluster.recycleAt, 2 * DAY));
    expect(await attempts(t, org, cluster.id)).toHaveLength(3);
    expect(await cash(t, org)).toBe(1_000_000);
  });

  it('an attempt in the expired buffer that pays brings the cluster back at once, from the old end', async () => {
    const org = await createOrg(t);
    const { cluster } = await subscribed(t, org);
    await setAutoRenew(t, org, true);
    const end = cluster.termEndsAt as string;
    await runAt(iso(end, -7 * DAY));
    await runAt(iso(end, 2 * DAY));
    expect((await getCluster(t, org, cluster.id)).state).toBe('expired');
    await topUp(t, org, 90_000);
    await runAt(iso(end, 3 * DAY));
    const list = await attempts(t, org, cluster.id);
    expect(list.map((a) => [a.k, a.outcome])).toEqual([
      [0, 'failed'],
      [9, 'failed'],
      [10, 'paid'],
    ]);
    expect(await getCluster(t, org, cluster.id)).toMatchObject({
      state: 'expiring',
      termEndsAt: iso(end, 30 * DAY),
      term: ONE_MONTH,
    });
    expect(await cash(t, org)).toBe(0);
  });

  it('an unpaid upgrade makes the attempt skipped; once it is gone the attempts renew', async () => {
    const org = await createOrg(t);
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    await setAutoRenew(t, org, true);
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, -10 * DAY));
    const up = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 2 }), 201).order;
    await topUp(t, org, 10_000_000);
    await runAt(iso(end, -7 * DAY));
    expect(await attempts(t, org, cluster.id)).toEqual([
      expect.objectContaining({
        k: 0,
        outcome: 'skipped',
        orderId: up.id,
        reason: 'upgrade_pending',
        shortfall: null,
      }),
    ]);
    expect((await clusterOrders(org, cluster.id)).map((o) => o.type).sort()).toEqual([
      'new_purchase',
      'upgrade',
    ]);
    expect((await getOrder(t, org, up.id)).status).toBe('unpaid');
    expect(await cash(t, org)).toBe(10_000_000);
    // The upgrade times out at −3 d; the attempt at −3 d renews.
    await runAt(iso(end, -3 * DAY));
    const list = await attempts(t, org, cluster.id);
    expect(list.map((a) => [a.k, a.outcome])).toEqual([
      [0, 'skipped'],
      [4, 'paid'],
    ]);
    expect((await getCluster(t, org, cluster.id)).termEndsAt).toBe(iso(end, YEAR_DAYS * DAY));
    // a year of 1 CU at 7折 = 756,000
    expect(await cash(t, org)).toBe(10_000_000 - 756_000);
  });

  it('a renewal unpaid by a user is reused by the attempt, which pays it', async () => {
    const org = await createOrg(t);
    const { cluster } = await subscribed(t, org);
    await setAutoRenew(t, org, true);
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, -8 * DAY));
    const mine = expectStatus(await renew(t, org, cluster.id, ONE_YEAR), 201).order;
    await topUp(t, org, mine.amount);
    await runAt(iso(end, -7 * DAY));
    expect(await attempts(t, org, cluster.id)).toEqual([
      expect.objectContaining({ k: 0, outcome: 'paid', orderId: mine.id, amount: mine.amount }),
    ]);
    const c = await getCluster(t, org, cluster.id);
    // the user's order's term (a year), not the cluster's month
    expect(c).toMatchObject({ termEndsAt: iso(end, YEAR_DAYS * DAY), term: ONE_YEAR });
    expect((await getOrder(t, org, mine.id)).createdBy).toBe(org.admin.id);
  });

  it('a cluster its user renewed before the window has no attempts', async () => {
    const org = await createOrg(t);
    const { cluster } = await subscribed(t, org);
    await setAutoRenew(t, org, true);
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, -9 * DAY));
    await topUpAndPay(t, org, expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order);
    for (const d of [-7, -3, 0, 6]) await runAt(iso(end, d * DAY));
    expect(await attempts(t, org, cluster.id)).toEqual([]);
  });

  it('switched on inside the window, the first attempt is the next scheduled one, not one from while it was off', async () => {
    const org = await createOrg(t);
    const { cluster } = await subscribed(t, org);
    await topUp(t, org, 90_000);
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, -5.5 * DAY));
    await setAutoRenew(t, org, true);
    // "Turning it on … charges nothing by itself": the attempt at −6 d was while the switch was off.
    await t.jobs.runAllOnce();
    expect(await attempts(t, org, cluster.id)).toEqual([]);
    expect(await cash(t, org)).toBe(90_000);
    await runAt(iso(end, -5 * DAY));
    expect((await attempts(t, org, cluster.id)).map((a) => [a.k, a.outcome])).toEqual([[2, 'paid']]);
    expect(await cash(t, org)).toBe(0);
  });

  it('with the switch off there are no attempts; turned off mid-way, they stop', async () => {
    const org = await createOrg(t);
    const a = await subscribed(t, org);
    await setAutoRenew(t, org, true);
    await setAutoRenew(t, org, false);
    const end = a.cluster.termEndsAt as string;
    for (const d of [-7, -6, -1, 0, 6]) await runAt(iso(end, d * DAY));
    expect(await attempts(t, org, a.cluster.id)).toEqual([]);
    expect((await clusterOrders(org, a.cluster.id)).map((o) => o.type)).toEqual(['new_purchase']);

    const b = await subscribed(t, org);
    await setAutoRenew(t, org, true);
    const endB = b.cluster.termEndsAt as string;
    await runAt(iso(endB, -7 * DAY));
    expect(await attempts(t, org, b.cluster.id)).toHaveLength(1);
    await setAutoRenew(t, org, false);
    for (const d of [-6, -5, 0]) await runAt(iso(endB, d * DAY));
    expect(await attempts(t, org, b.cluster.id)).toHaveLength(1);
    // the attempt's order stays a normal order, payable by a user until it times out
    const [only] = await attempts(t, org, b.cluster.id);
    expect((await getOrder(t, org, only.orderId)).status).toBe('timed_out');
    expectError(await pay(t, org.id, only.orderId, org.admin), 409, 'ORDER_NOT_PAYABLE');
  });
});
