import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture, pay, runningCluster, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

describe('an order from purchase to payment', () => {
  it('creates the cluster pending payment and an unpaid order due in 7 days, priced exactly', async () => {
    const { cluster, order } = await buyCluster(t, org);
    expect(cluster.state).toBe('pending_payment');
    expect(order).toMatchObject({
      type: 'new_purchase',
      status: 'unpaid',
      currency: 'CNY',
      amount: 90000,
      listAmount: 90000,
      discountAmount: 0,
      clusterId: cluster.id,
      availableActions: ['pay', 'cancel', 'download'],
    });
    expect(new Date(order.expiresAt).getTime() - new Date(order.createdAt).getTime()).toBe(168 * 3_600_000);
  });

  it('refuses to pay with a short balance and names the shortfall, changing nothing', async () => {
    const { order } = await buyCluster(t, org);
    const r = await pay(t, org.id, order.id, org.admin);
    expect(r.status).toBe(402);
    expect(r.json.error).toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
      details: { balance: 0, amount: 90000, shortfall: 90000 },
    });
    const after = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${order.id}`, { auth: org.admin.auth });
    expect(after.json.status).toBe('unpaid');
  });

  it('pays from the cash balance once, starts provisioning, and lands in the bill month of payment', async () => {
    const o2 = await createOrg(t);
    const { cluster, order } = await buyCluster(t, o2);
    await topUp(t, o2, 100000);
    const r = await pay(t, o2.id, order.id, o2.admin);
    expect(r.status).toBe(200);
    expect(r.json.order).toMatchObject({
      status: 'paid',
      billMonth: '2026-11',
      availableActions: ['download'],
    });
    expect(r.json.balance).toEqual({ cash: 10000, currency: 'CNY' });
    const again = await pay(t, o2.id, order.id, o2.admin);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'ORDER_NOT_PAYABLE', details: { status: 'paid' } });
    await t.jobs.runAllOnce();
    let c = await api(t, 'GET', `/v1/orgs/${o2.id}/clusters/${cluster.id}`, { auth: o2.admin.auth });
    expect(c.json.state).toBe('creating');
    t.clock.advance(10_000);
    await t.jobs.runAllOnce();
    c = await api(t, 'GET', `/v1/orgs/${o2.id}/clusters/${cluster.id}`, { auth: o2.admin.auth });
    expect(c.json.state).toBe('running');
    const bal = await api(t, 'GET', `/v1/orgs/${o2.id}/balance`, { auth: o2.admin.auth });
    expect(bal.json).toEqual({ currency: 'CNY', cash: 10000, coupons: 0 });
  });

  it('upgrades a running cluster with a prorated order', async () => {
    const o3 = await createOrg(t);
    const c = await runningCluster(t, o3);
    const r = await api(t, 'POST', `/v1/orgs/${o3.id}/clusters/${c.id}/upgrade`, {
      auth: o3.admin.auth,
      body: { cuSize: 2 },
    });
    expect(r.status).toBe(201);
    // 1 more CU × ¥1.25 × 24 h × 30 remaining days (a started day counts) = ¥900.00
    expect(r.json.order).toMatchObject({
      type: 'upgrade',
      amount: 90000,
      configBefore: { cuSize: 1 },
      config: { cuSize: 2 },
    });
    const dup = await api(t, 'POST', `/v1/orgs/${o3.id}/clusters/${c.id}/upgrade`, {
      auth: o3.admin.auth,
      body: { replicas: 2 },
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('UPGRADE_ALREADY_PENDING');
  });
});
