import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture, pay, runningCluster, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  await topUp(t, org, 10_000_000);
});

describe('the 7-day deadline is exact', () => {
  it('1 ms before the deadline the order can be paid', async () => {
    const { order } = await buyCluster(t, org);
    t.clock.set(new Date(new Date(order.expiresAt).getTime() - 1));
    const r = await pay(t, org.id, order.id, org.admin);
    expect(r.status).toBe(200);
    expect(r.json.order.status).toBe('paid');
  });

  it('at the deadline, before any sweep, no read shows it unpaid and no pay succeeds', async () => {
    const { order, cluster } = await buyCluster(t, org);
    t.clock.set(order.expiresAt);
    const one = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${order.id}`, { auth: org.admin.auth });
    expect(one.json).toMatchObject({
      status: 'timed_out',
      timedOutAt: order.expiresAt,
      availableActions: ['download'],
    });
    expect(one.json.history.map((h: { to: string }) => h.to)).toEqual(['unpaid', 'timed_out']);
    const unpaid = await api(t, 'GET', `/v1/orgs/${org.id}/orders?status=unpaid&limit=100`, {
      auth: org.admin.auth,
    });
    expect(unpaid.json.items.map((o: { id: string }) => o.id)).not.toContain(order.id);
    const timedOut = await api(t, 'GET', `/v1/orgs/${org.id}/orders?status=timed_out&limit=100`, {
      auth: org.admin.auth,
    });
    expect(timedOut.json.items.map((o: { id: string }) => o.id)).toContain(order.id);
    const c = await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${cluster.id}`, { auth: org.admin.auth });
    expect(c.json.state).toBe('cancelled');
    const p = await pay(t, org.id, order.id, org.admin);
    expect(p.status).toBe(409);
    expect(p.json.error).toMatchObject({ code: 'ORDER_NOT_PAYABLE', details: { status: 'timed_out' } });
    const cancel = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, {
      auth: org.admin.auth,
    });
    expect(cancel.json.error).toMatchObject({
      code: 'ORDER_NOT_CANCELLABLE',
      details: { status: 'timed_out' },
    });
  });

  it('the sweeper persists timed_out at the deadline itself, ends the cluster, and runs once', async () => {
    const { order, cluster } = await buyCluster(t, org);
    t.clock.set(new Date(new Date(order.expiresAt).getTime() + 30_000));
    const first = (await t.jobs.runAllOnce()) as { sweeper: { timedOut: number; worstLatenessMs: number } };
    expect(first.sweeper.timedOut).toBeGreaterThanOrEqual(1);
    expect(first.sweeper.worstLatenessMs).toBeGreaterThanOrEqual(30_000);
    const again = (await t.jobs.runAllOnce()) as { sweeper: { timedOut: number } };
    expect(again.sweeper.timedOut).toBe(0);
    const row = await t.deps.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('timed_out');
    expect(row.timed_out_at?.toISOString()).toBe(order.expiresAt);
    const c = await t.deps.db
      .selectFrom('clusters')
      .selectAll()
      .where('id', '=', cluster.id)
      .executeTakeFirstOrThrow();
    expect(c.state).toBe('cancelled');
    const history = await t.deps.db
      .selectFrom('order_history')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('seq')
      .execute();
    expect(history.map((h) => [h.seq, h.to_status, h.actor_type])).toEqual([
      [1, 'unpaid', 'user'],
      [2, 'timed_out', 'system'],
    ]);
    // One event per timed-out order, for the consumers that tell people; born processed for the outbox job
    // (it provisions paid orders only), so a large sweep queues nothing in front of a payment. The cluster
    // that never started has no event of its own: nobody consumes pending_payment → cancelled.
    const sweptAt = new Date(new Date(order.expiresAt).getTime() + 30_000).toISOString();
    const events = await t.deps.db
      .selectFrom('outbox_events')
      .select(['type', 'aggregate_id', 'processed_at', 'notified_at'])
      .where('org_id', '=', org.id)
      .where('aggregate_id', 'in', [order.id, cluster.id])
      .where('type', '<>', 'order.created')
      .execute();
    expect(events.map((e) => [e.type, e.aggregate_id, e.processed_at?.toISOString()])).toEqual([
      ['order.timed_out', order.id, sweptAt],
    ]);
    // The consumers that need it took it: the notification job told the admin.
    expect(events[0]?.notified_at).not.toBeNull();
    const told = await t.deps.db
      .selectFrom('notifications')
      .select('category')
      .where('org_id', '=', org.id)
      .where('link', 'like', `%${order.id}`)
      .execute();
    expect(told.map((n) => n.category)).toContain('order_timed_out');
  });

  it('a top-up never pays an order (page FAQ): it stays unpaid until the user pays', async () => {
    const { order } = await buyCluster(t, org);
    await topUp(t, org, order.amount * 2);
    await t.jobs.runAllOnce();
    const r = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${order.id}`, { auth: org.admin.auth });
    expect(r.json.status).toBe('unpaid');
  });

  it('a timed-out upgrade leaves the cluster unchanged and does not block the next upgrade', async () => {
    const o = await createOrg(t);
    const c = await runningCluster(t, o);
    const up = await api(t, 'POST', `/v1/orgs/${o.id}/clusters/${c.id}/upgrade`, {
      auth: o.admin.auth,
      body: { replicas: 2 },
    });
    expect(up.status).toBe(201);
    t.clock.set(up.json.order.expiresAt);
    const next = await api(t, 'POST', `/v1/orgs/${o.id}/clusters/${c.id}/upgrade`, {
      auth: o.admin.auth,
      body: { replicas: 3 },
    });
    expect(next.status).toBe(201);
    const old = await api(t, 'GET', `/v1/orgs/${o.id}/orders/${up.json.order.id}`, { auth: o.admin.auth });
    expect(old.json.status).toBe('timed_out');
    const cl = await api(t, 'GET', `/v1/orgs/${o.id}/clusters/${c.id}`, { auth: o.admin.auth });
    // A 1-month cluster reads expiring from the start (SPEC §8.1): serving, its configuration unchanged.
    expect(cl.json).toMatchObject({ state: 'expiring', cuSize: 1, replicas: 1 });
  });

  it('a cancelled upgrade leaves the cluster unchanged; a paid one applies after provisioning', async () => {
    const o = await createOrg(t);
    const c = await runningCluster(t, o);
    const up1 = await api(t, 'POST', `/v1/orgs/${o.id}/clusters/${c.id}/upgrade`, {
      auth: o.admin.auth,
      body: { cuSize: 4 },
    });
    await api(t, 'POST', `/v1/orgs/${o.id}/orders/${up1.json.order.id}/cancel`, { auth: o.admin.auth });
    let cl = await api(t, 'GET', `/v1/orgs/${o.id}/clusters/${c.id}`, { auth: o.admin.auth });
    expect(cl.json).toMatchObject({ state: 'expiring', cuSize: 1 });
    const up2 = await api(t, 'POST', `/v1/orgs/${o.id}/clusters/${c.id}/upgrade`, {
      auth: o.admin.auth,
      body: { cuSize: 2, replicas: 2 },
    });
    await topUp(t, o, up2.json.order.amount);
    expect((await pay(t, o.id, up2.json.order.id, o.admin)).status).toBe(200);
    await t.jobs.runAllOnce();
    cl = await api(t, 'GET', `/v1/orgs/${o.id}/clusters/${c.id}`, { auth: o.admin.auth });
    expect(cl.json).toMatchObject({
      state: 'upgrading',
      cuSize: 1,
      replicas: 1,
      upgradingTo: { cuSize: 2, replicas: 2 },
    });
    const during = await api(t, 'POST', `/v1/orgs/${o.id}/clusters/${c.id}/upgrade`, {
      auth: o.admin.auth,
      body: { cuSize: 4 },
    });
    expect(during.json.error.code).toBe('CLUSTER_NOT_READY');
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    cl = await api(t, 'GET', `/v1/orgs/${o.id}/clusters/${c.id}`, { auth: o.admin.auth });
    expect(cl.json).toMatchObject({ state: 'expiring', cuSize: 2, replicas: 2 });
  });

  it('a cancelled new purchase leaves no cluster: its record ends as cancelled', async () => {
    const { order, cluster } = await buyCluster(t, org);
    await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, { auth: org.admin.auth });
    const c = await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${cluster.id}`, { auth: org.admin.auth });
    expect(c.json.state).toBe('cancelled');
    const up = await api(t, 'POST', `/v1/orgs/${org.id}/clusters/${cluster.id}/upgrade`, {
      auth: org.admin.auth,
      body: { cuSize: 2 },
    });
    expect(up.json.error.code).toBe('CLUSTER_NOT_READY');
  });
});
