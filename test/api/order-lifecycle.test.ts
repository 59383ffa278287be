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
    // Serving; a 1-month term (30 days) is within the last 30 days at once, so it reads expiring (SPEC §8.1).
    expect(c.json.state).toBe('expiring');
    const bal = await api(t, 'GET', `/v1/orgs/${o2.id}/balance`, { auth: o2.admin.auth });
    expect(bal.json).toEqual({ currency: 'CNY', cash: 10000, coupons: 0, amountDue: 0, frozen: false });
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

  it('the order amount equals the quote made at the same moment, for purchases and upgrades', async () => {
    const o4 = await createOrg(t);
    const shape = {
      region: 'aliyun-cn-hangzhou',
      cuType: 'performance',
      cuSize: 8,
      replicas: 2,
      term: { unit: 'year', count: 1 },
    };
    const quote = await api(t, 'POST', `/v1/orgs/${o4.id}/quotes`, {
      auth: o4.admin.auth,
      body: { type: 'new_purchase', ...shape },
    });
    expect(quote.status).toBe(200);
    expect(quote.json).toMatchObject({
      currency: 'CNY',
      amount: 8 * 2 * 125 * 24 * 360 * 0.7,
      discountPercent: 70,
    });
    const { order } = await buyCluster(t, o4, o4.admin, shape);
    expect([order.amount, order.listAmount, order.discountAmount]).toEqual([
      quote.json.amount,
      quote.json.listAmount,
      quote.json.discountAmount,
    ]);
    const c = await runningCluster(t, o4);
    t.clock.advance(5 * 86_400_000 + 1);
    const uq = await api(t, 'POST', `/v1/orgs/${o4.id}/quotes`, {
      auth: o4.admin.auth,
      body: { type: 'upgrade', clusterId: c.id, replicas: 3 },
    });
    expect(uq.json).toMatchObject({ remainingDays: 25, addedCu: 2, amount: 2 * 125 * 24 * 25 });
    const up = await api(t, 'POST', `/v1/orgs/${o4.id}/clusters/${c.id}/upgrade`, {
      auth: o4.admin.auth,
      body: { replicas: 3 },
    });
    expect(up.json.order.amount).toBe(uq.json.amount);
    // A quote creates nothing.
    const orders = await api(t, 'GET', `/v1/orgs/${o4.id}/orders`, { auth: o4.admin.auth });
    expect(orders.json.items).toHaveLength(3);
  });
});
