import { beforeAll, describe, expect, it } from 'vitest';
import { api, createOrg, type OrgFixture, pay, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import {
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
  storedStatus,
  subscribed,
  upgrade,
} from './support.js';

/**
 * SPEC §8.1: at `expired` the cluster's unpaid upgrade is cancelled by the system (reason cluster_expired);
 * at `recycled` its unpaid renewal is (reason cluster_recycled). Exact at read, persisted by the sweeper.
 */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const SYSTEM = { type: 'system', id: null, email: null };

describe('the system cancels an unpaid upgrade at the cluster’s expiry', () => {
  it('reads cancelled at termEndsAt exactly, refuses pay and cancel, and the sweeper persists it', async () => {
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    const end = cluster.termEndsAt as string;
    // Two days before the end: the order's 7-day deadline lies after the expiry, so the expiry ends it.
    t.clock.set(iso(end, -2 * DAY));
    const order = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 2 }), 201).order;
    expect(order.expiresAt).toBe(iso(end, 5 * DAY));
    expect(order.cancelsAt).toBe(end);
    expect((await getCluster(t, org, cluster.id)).pendingOrder).toEqual({
      id: order.id,
      type: 'upgrade',
      expiresAt: order.expiresAt,
    });
    await topUp(t, org, order.amount);
    const balance = await cash(t, org);

    t.clock.set(iso(end, -1000));
    const before = await getOrder(t, org, order.id);
    expect(before.status).toBe('unpaid');
    expect(before.availableActions).toEqual(['pay', 'cancel', 'download']);
    expect(before.history).toHaveLength(1);
    await t.jobs.runAllOnce();
    expect(await storedStatus(t, order.id)).toBe('unpaid');

    t.clock.set(end);
    const entry = { from: 'unpaid', to: 'cancelled', at: end, by: SYSTEM, reason: 'cluster_expired' };
    const atEnd = await getOrder(t, org, order.id);
    expect(atEnd.status).toBe('cancelled');
    expect(atEnd.cancelledAt).toBe(end);
    expect(atEnd.cancelledBy).toBeNull();
    expect(atEnd.availableActions).toEqual(['download']);
    expect(atEnd.history.at(-1)).toEqual(entry);
    expect(await storedStatus(t, order.id)).toBe('unpaid');
    const cluster2 = await getCluster(t, org, cluster.id);
    expect(cluster2.state).toBe('expired');
    expect(cluster2.pendingOrder).toBeNull();
    expect(cluster2.availableActions).toEqual(['renew']);

    const refused = expectError(await pay(t, org.id, order.id, org.admin), 409, 'ORDER_NOT_PAYABLE');
    expect(refused.details).toMatchObject({ status: 'cancelled', orderId: order.id });
    const notCancellable = expectError(
      await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, { auth: org.admin.auth }),
      409,
      'ORDER_NOT_CANCELLABLE',
    );
    expect(notCancellable.details).toMatchObject({ status: 'cancelled' });
    expect(await cash(t, org)).toBe(balance);

    // The sweeper writes the same end, with the same history entry, once.
    const run = await t.jobs.runAllOnce();
    expect((run.sweeper as { timedOut: number }).timedOut).toBe(1);
    expect(await storedStatus(t, order.id)).toBe('cancelled');
    const persisted = await getOrder(t, org, order.id);
    expect(persisted).toEqual(atEnd);
    expect(((await t.jobs.runAllOnce()).sweeper as { timedOut: number }).timedOut).toBe(0);
    expect((await getOrder(t, org, order.id)).history).toEqual([...before.history, entry]);
    // The cluster was not upgraded.
    expect((await getCluster(t, org, cluster.id)).cuSize).toBe(1);
  });

  it('an upgrade whose deadline comes before the expiry times out instead (cancelsAt null)', async () => {
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, -8 * DAY));
    const order = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 2 }), 201).order;
    expect(order.cancelsAt).toBeNull();
    t.clock.set(order.expiresAt);
    const read = await getOrder(t, org, order.id);
    expect(read.status).toBe('timed_out');
    expect(read.history.at(-1)).toEqual({
      from: 'unpaid',
      to: 'timed_out',
      at: order.expiresAt,
      by: SYSTEM,
      reason: null,
    });
  });
});

describe('the system cancels an unpaid renewal at the cluster’s recycle', () => {
  it('reads cancelled at recycleAt exactly; pay is ORDER_NOT_PAYABLE (cluster_recycled); the sweeper persists it', async () => {
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    const end = cluster.termEndsAt as string;
    const recycleAt = cluster.recycleAt as string;
    // Renewed in the expired buffer, a day after the end: its deadline (+7 d) is after the recycle.
    t.clock.set(iso(end, DAY));
    const order = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    expect(order.expiresAt).toBe(iso(end, 8 * DAY));
    expect(order.cancelsAt).toBe(recycleAt);
    await topUp(t, org, order.amount);
    const balance = await cash(t, org);

    t.clock.set(iso(recycleAt, -1000));
    expect((await getOrder(t, org, order.id)).status).toBe('unpaid');
    expect((await getCluster(t, org, cluster.id)).state).toBe('expired');
    await t.jobs.runAllOnce();
    expect(await storedStatus(t, order.id)).toBe('unpaid');

    t.clock.set(recycleAt);
    const entry = { from: 'unpaid', to: 'cancelled', at: recycleAt, by: SYSTEM, reason: 'cluster_recycled' };
    const read = await getOrder(t, org, order.id);
    expect(read.status).toBe('cancelled');
    expect(read.cancelledAt).toBe(recycleAt);
    expect(read.history.at(-1)).toEqual(entry);
    expect((await getCluster(t, org, cluster.id)).state).toBe('recycled');

    const refused = expectError(await pay(t, org.id, order.id, org.admin), 409, 'ORDER_NOT_PAYABLE');
    // SPEC §8.2: details {reason: "cluster_recycled"}
    expect(refused.details).toMatchObject({
      status: 'cancelled',
      orderId: order.id,
      reason: 'cluster_recycled',
    });
    expect(await cash(t, org)).toBe(balance);
    expect((await getCluster(t, org, cluster.id)).termEndsAt).toBe(end);

    await t.jobs.runAllOnce();
    expect(await storedStatus(t, order.id)).toBe('cancelled');
    expect((await getOrder(t, org, order.id)).history.at(-1)).toEqual(entry);
    expect(
      expectError(await pay(t, org.id, order.id, org.admin), 409, 'ORDER_NOT_PAYABLE').details,
    ).toMatchObject({ status: 'cancelled', reason: 'cluster_recycled' });
  });

  it('a user’s own cancellation carries no system reason', async () => {
    const { cluster } = await subscribed(t, org);
    const order = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    expectStatus(
      await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, { auth: org.admin.auth }),
      200,
    );
    const read = await getOrder(t, org, order.id);
    expect(read.history.at(-1)).toEqual({
      from: 'unpaid',
      to: 'cancelled',
      at: t.clock.now().toISOString(),
      by: { type: 'user', id: org.admin.id, email: org.admin.email },
      reason: null,
    });
    const refused = expectError(await pay(t, org.id, order.id, org.admin), 409, 'ORDER_NOT_PAYABLE');
    expect(refused.details.reason).toBeUndefined();
  });
});
