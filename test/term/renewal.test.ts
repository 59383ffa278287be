import { beforeAll, describe, expect, it } from 'vitest';
import { addRoleMembers, api, buyCluster, createOrg, type OrgFixture, pay } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { pdfText } from '../pdf-text.js';
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
  quote,
  renew,
  storedState,
  subscribed,
  topUpAndPay,
  upgrade,
  YEAR_DAYS,
} from './support.js';

/** SPEC §8.2: 续订 — priced as a new purchase, the term added to the old end, refused once recycled. */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t, { timeZone: 'Asia/Shanghai' });
});

describe('the renewal’s price', () => {
  it('4 CU × 1 replica for 1 year at 7折 is ¥30,240.00: the quote, and the order made at the same moment', async () => {
    const { cluster } = await subscribed(t, org, { cuSize: 4 });
    const end = cluster.termEndsAt as string;
    const q = expectStatus(
      await quote(t, org, { type: 'renewal', clusterId: cluster.id, term: ONE_YEAR }),
      200,
    );
    const pricing = {
      type: 'renewal',
      currency: 'CNY',
      // 4 × 1 × 125 fen × 24 × 30 × 12 = 4,320,000 list; × 70% = 3,024,000
      amount: 3_024_000,
      listAmount: 4_320_000,
      discountAmount: 1_296_000,
      pricePerCuHour: 125,
      hours: 8640,
      discountPercent: 70,
      cuHours: 34_560,
      months: 12,
    };
    expect(q).toEqual({ ...pricing, clusterId: cluster.id, quotedAt: t.clock.now().toISOString() });

    const order = expectStatus(await renew(t, org, cluster.id, ONE_YEAR), 201).order;
    expect(order).toMatchObject({
      type: 'renewal',
      status: 'unpaid',
      clusterId: cluster.id,
      amount: q.amount,
      listAmount: q.listAmount,
      discountAmount: q.discountAmount,
      pricing,
      createdBy: org.admin.id,
      config: {
        region: 'aliyun-cn-hangzhou',
        cuType: 'performance',
        cuSize: 4,
        replicas: 1,
        term: ONE_YEAR,
        termEndsAt: iso(end, YEAR_DAYS * DAY),
      },
      configBefore: { cuSize: 4, replicas: 1, term: ONE_MONTH, termEndsAt: end },
      expiresAt: iso(t.clock.now(), 7 * DAY),
      // the recycle comes long after the payment deadline
      cancelsAt: null,
    });
    const c = await getCluster(t, org, cluster.id);
    expect(c.pendingOrder).toEqual({ id: order.id, type: 'renewal', expiresAt: order.expiresAt });
    expect(c.availableActions).toEqual([]);
  });

  it('the quote of a cluster that cannot be renewed is CLUSTER_NOT_RENEWABLE', async () => {
    const { cluster } = await subscribed(t, org);
    t.clock.set(cluster.recycleAt);
    const e = expectError(
      await quote(t, org, { type: 'renewal', clusterId: cluster.id, term: ONE_MONTH }),
      409,
      'CLUSTER_NOT_RENEWABLE',
    );
    expect(e.details).toEqual({ state: 'recycled' });
  });
});

describe('when a cluster can be renewed', () => {
  it('running: 201, and paying adds the term to the old end; the cluster’s term becomes the renewal’s', async () => {
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    expect(cluster.state).toBe('running');
    const order = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    t.clock.advance(3600_000);
    const paid = await topUpAndPay(t, org, order);
    expect(paid.order.status).toBe('paid');
    const c = await getCluster(t, org, cluster.id);
    expect(c.termEndsAt).toBe(iso(cluster.termEndsAt, 30 * DAY));
    expect(c.term).toEqual(ONE_MONTH);
    expect(c.state).toBe('running');
    expect(c.pendingOrder).toBeNull();
    expect(c.recycleAt).toBe(iso(c.termEndsAt, 7 * DAY));
  });

  it('expiring: 201, and once paid the cluster runs again at once', async () => {
    const { cluster } = await subscribed(t, org);
    expect(cluster.state).toBe('expiring');
    const order = expectStatus(await renew(t, org, cluster.id, ONE_YEAR), 201).order;
    await topUpAndPay(t, org, order);
    const c = await getCluster(t, org, cluster.id);
    expect(c.state).toBe('running');
    expect(c.term).toEqual(ONE_YEAR);
    expect(c.termEndsAt).toBe(iso(cluster.termEndsAt, YEAR_DAYS * DAY));
    // and the term job does not move it back
    await t.jobs.runAllOnce();
    expect(await storedState(t, cluster.id)).toBe('running');
  });

  it('expired (the 7-day buffer): the term runs from the OLD end, and the cluster is back at once', async () => {
    const a = await subscribed(t, org);
    const b = await subscribed(t, org);
    const endA = a.cluster.termEndsAt as string;
    const endB = b.cluster.termEndsAt as string;
    t.clock.set(iso(endB, 3 * DAY));
    await t.jobs.runAllOnce();
    expect(await storedState(t, a.cluster.id)).toBe('expired');
    expect((await getCluster(t, org, b.cluster.id)).state).toBe('expired');
    const oneMonth = expectStatus(await renew(t, org, a.cluster.id, ONE_MONTH), 201).order;
    const oneYear = expectStatus(await renew(t, org, b.cluster.id, ONE_YEAR), 201).order;
    expect(oneMonth.config.termEndsAt).toBe(iso(endA, 30 * DAY));
    // the system would cancel them at the recycle, before their deadline
    expect(oneMonth.cancelsAt).toBe(a.cluster.recycleAt);
    t.clock.advance(5 * 3600_000);
    await topUpAndPay(t, org, oneMonth);
    await topUpAndPay(t, org, oneYear);
    // under 27 days left of a month: expiring; a year from the old end: running — both without any job
    const ca = await getCluster(t, org, a.cluster.id);
    expect(ca).toMatchObject({ state: 'expiring', termEndsAt: iso(endA, 30 * DAY), term: ONE_MONTH });
    const cb = await getCluster(t, org, b.cluster.id);
    expect(cb).toMatchObject({ state: 'running', termEndsAt: iso(endB, YEAR_DAYS * DAY), term: ONE_YEAR });
    expect(cb.recycleAt).toBe(iso(endB, (YEAR_DAYS + 7) * DAY));
    await t.jobs.runAllOnce();
    expect(await storedState(t, a.cluster.id)).toBe('expiring');
    expect(await storedState(t, b.cluster.id)).toBe('running');
    // past the original recycle instant the renewed cluster is not recycled
    t.clock.set(iso(endB, 8 * DAY));
    expect((await getCluster(t, org, b.cluster.id)).state).toBe('running');
  });

  it('creating: 201; paid, the term runs on from the first end and the cluster is still being created', async () => {
    const { cluster, order } = await buyCluster(t, org);
    await topUpAndPay(t, org, order);
    await t.jobs.runAllOnce();
    const creating = await getCluster(t, org, cluster.id);
    expect(creating.state).toBe('creating');
    expect(creating.availableActions).toEqual(['renew']);
    const ren = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    await topUpAndPay(t, org, ren);
    const c = await getCluster(t, org, cluster.id);
    expect(c).toMatchObject({ state: 'creating', termEndsAt: iso(creating.termEndsAt, 30 * DAY) });
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    // 60 days left, provisioned: running
    expect((await getCluster(t, org, cluster.id)).state).toBe('running');
  });

  it('upgrading: 201, priced for the configuration being applied; paid, it stays upgrading', async () => {
    const { cluster } = await subscribed(t, org);
    const up = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 2 }), 201).order;
    await topUpAndPay(t, org, up);
    await t.jobs.runAllOnce();
    expect((await getCluster(t, org, cluster.id)).state).toBe('upgrading');
    const ren = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    // 2 CU × 1 replica × 125 × 24 × 30 = 180,000
    expect(ren.amount).toBe(180_000);
    expect(ren.config).toMatchObject({ cuSize: 2, replicas: 1 });
    await topUpAndPay(t, org, ren);
    expect(await getCluster(t, org, cluster.id)).toMatchObject({
      state: 'upgrading',
      termEndsAt: iso(cluster.termEndsAt, 30 * DAY),
    });
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    expect(await getCluster(t, org, cluster.id)).toMatchObject({ state: 'running', cuSize: 2 });
  });

  it('by the project’s Project Admin; not by another project’s, nor by the billing admin', async () => {
    const m = await addRoleMembers(t, org, ['p1Admin', 'p2Admin', 'billingAdmin']);
    const { cluster } = await subscribed(t, org);
    // another project's cluster is not shown to its admin at all
    expect((await renew(t, org, cluster.id, ONE_MONTH, m.p2Admin)).status).toBe(404);
    expect((await renew(t, org, cluster.id, ONE_MONTH, m.billingAdmin)).status).toBe(403);
    const order = expectStatus(await renew(t, org, cluster.id, ONE_MONTH, m.p1Admin), 201).order;
    expect(order.createdBy).toBe(m.p1Admin.id);
  });
});

describe('when a cluster cannot be renewed: CLUSTER_NOT_RENEWABLE with its state', () => {
  it('recycled and deleted', async () => {
    const { cluster } = await subscribed(t, org);
    t.clock.set(iso(cluster.recycleAt, -1));
    expect((await renew(t, org, cluster.id, ONE_MONTH)).status).toBe(201);
    const second = await subscribed(t, org);
    t.clock.set(second.cluster.recycleAt);
    const recycled = expectError(
      await renew(t, org, second.cluster.id, ONE_MONTH),
      409,
      'CLUSTER_NOT_RENEWABLE',
    );
    expect(recycled.details).toEqual({ state: 'recycled' });
    t.clock.set(second.cluster.deleteAt);
    const deleted = expectError(
      await renew(t, org, second.cluster.id, ONE_MONTH),
      409,
      'CLUSTER_NOT_RENEWABLE',
    );
    expect(deleted.details).toEqual({ state: 'deleted' });
    await t.jobs.runAllOnce();
    expect(
      expectError(await renew(t, org, second.cluster.id, ONE_MONTH), 409, 'CLUSTER_NOT_RENEWABLE').details,
    ).toEqual({ state: 'deleted' });
  });

  it('pending_payment and cancelled (a new purchase not paid, or cancelled)', async () => {
    const unpaid = await buyCluster(t, org);
    expect(
      expectError(await renew(t, org, unpaid.cluster.id, ONE_MONTH), 409, 'CLUSTER_NOT_RENEWABLE').details,
    ).toEqual({ state: 'pending_payment' });
    const cancelled = await buyCluster(t, org);
    expectStatus(
      await api(t, 'POST', `/v1/orgs/${org.id}/orders/${cancelled.order.id}/cancel`, {
        auth: org.admin.auth,
      }),
      200,
    );
    expect(
      expectError(await renew(t, org, cancelled.cluster.id, ONE_MONTH), 409, 'CLUSTER_NOT_RENEWABLE').details,
    ).toEqual({ state: 'cancelled' });
    // nothing was made
    const list = expectStatus(
      await api(t, 'GET', `/v1/orgs/${org.id}/orders?clusterId=${unpaid.cluster.id}`, {
        auth: org.admin.auth,
      }),
      200,
    );
    expect(list.items.map((o: { type: string }) => o.type)).toEqual(['new_purchase']);
  });
});

describe('at most one unpaid upgrade or renewal per cluster', () => {
  it('an unpaid upgrade: renew is CLUSTER_ORDER_PENDING, a second upgrade stays UPGRADE_ALREADY_PENDING', async () => {
    const { cluster } = await subscribed(t, org);
    const up = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 2 }), 201).order;
    const e = expectError(await renew(t, org, cluster.id, ONE_MONTH), 409, 'CLUSTER_ORDER_PENDING');
    expect(e.details).toEqual({ orderId: up.id, type: 'upgrade' });
    expectError(await upgrade(t, org, cluster.id, { replicas: 2 }), 409, 'UPGRADE_ALREADY_PENDING');
    expect((await getCluster(t, org, cluster.id)).pendingOrder).toMatchObject({ id: up.id, type: 'upgrade' });

    // Cancelled, the way is free: a renewal now blocks both a second renewal and an upgrade.
    expectStatus(
      await api(t, 'POST', `/v1/orgs/${org.id}/orders/${up.id}/cancel`, { auth: org.admin.auth }),
      200,
    );
    const ren = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    expect(
      expectError(await renew(t, org, cluster.id, ONE_YEAR), 409, 'CLUSTER_ORDER_PENDING').details,
    ).toEqual({ orderId: ren.id, type: 'renewal' });
    expect(
      expectError(await upgrade(t, org, cluster.id, { cuSize: 2 }), 409, 'CLUSTER_ORDER_PENDING').details,
    ).toEqual({ orderId: ren.id, type: 'renewal' });
    const orders = expectStatus(
      await api(t, 'GET', `/v1/orgs/${org.id}/orders?clusterId=${cluster.id}&status=unpaid`, {
        auth: org.admin.auth,
      }),
      200,
    );
    expect(orders.items.map((o: { id: string }) => o.id)).toEqual([ren.id]);
    // Paid, it no longer blocks.
    await topUpAndPay(t, org, ren);
    expect((await renew(t, org, cluster.id, ONE_MONTH)).status).toBe(201);
  });

  it('a renewal that timed out no longer blocks', async () => {
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    const ren = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    t.clock.set(ren.expiresAt);
    expect((await getOrder(t, org, ren.id)).status).toBe('timed_out');
    expect((await renew(t, org, cluster.id, ONE_MONTH)).status).toBe(201);
  });
});

describe('a paid renewal in the bill, the order list, the PDF and the export', () => {
  it('is a subscription line of the month it was paid in, and listed by ?type=renewal', async () => {
    const { cluster } = await subscribed(t, org, { cuSize: 4 });
    const order = expectStatus(await renew(t, org, cluster.id, ONE_YEAR), 201).order;
    t.clock.advance(60_000);
    const before = await cash(t, org);
    const paid = await topUpAndPay(t, org, order);
    expect(paid.balance.cash).toBe(before);
    const month = t.clock.now().toISOString().slice(0, 7);
    expect(paid.order.billMonth).toBe(month);
    expect(paid.order.paidBy).toBe(org.admin.id);

    const bill = expectStatus(
      await api(t, 'GET', `/v1/orgs/${org.id}/bills/${month}`, { auth: org.admin.auth }),
      200,
    );
    const line = bill.lines.find((l: { orderId: string | null }) => l.orderId === order.id);
    expect(line).toMatchObject({
      kind: 'subscription',
      settlement: 'prepaid',
      orderType: 'renewal',
      clusterId: cluster.id,
      amount: 3_024_000,
      paidAt: t.clock.now().toISOString(),
    });

    const renewals = expectStatus(
      await api(t, 'GET', `/v1/orgs/${org.id}/orders?type=renewal&limit=100`, { auth: org.admin.auth }),
      200,
    );
    expect(renewals.items.length).toBeGreaterThan(1);
    for (const o of renewals.items) expect(o.type).toBe('renewal');
    expect(renewals.items.map((o: { id: string }) => o.id)).toContain(order.id);
    const all = expectStatus(
      await api(t, 'GET', `/v1/orgs/${org.id}/orders?clusterId=${cluster.id}`, { auth: org.admin.auth }),
      200,
    );
    expect(all.items.map((o: { type: string }) => o.type).sort()).toEqual(['new_purchase', 'renewal']);

    const pdf = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${org.id}/orders/${order.id}/document`,
      headers: org.admin.auth,
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const text = await pdfText(pdf.rawPayload);
    expect(text).toContain(order.id);
    expect(text).toContain('续订');
    expect(text).toContain('已支付');
    expect(text).toMatch(/应付金额[ \t]+¥30,240\.00/);
    expect(text).toMatch(/购买时长[ \t]+1\s?年/);

    const csv = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${org.id}/orders/export?format=csv&type=renewal`,
      headers: org.admin.auth,
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.split(/\r?\n/).filter((r) => r.length > 0);
    const row = rows.find((r) => r.includes(order.id));
    expect(row).toBeDefined();
    expect(row).toContain('续订');
    expect(row).toContain('已支付');
    expect(row).toContain('30240.00');
    expect(row).toContain(month);
    for (const r of rows.slice(1)) expect(r).toContain('续订');
  });
});

describe('pay refused for a renewal', () => {
  it('is INSUFFICIENT_BALANCE without cash, and nothing moves', async () => {
    const { cluster } = await subscribed(t, org);
    const order = expectStatus(await renew(t, org, cluster.id, ONE_MONTH), 201).order;
    const balance = await cash(t, org);
    expect(balance).toBeLessThan(order.amount);
    expectError(await pay(t, org.id, order.id, org.admin), 402, 'INSUFFICIENT_BALANCE');
    expect((await getCluster(t, org, cluster.id)).termEndsAt).toBe(cluster.termEndsAt);
  });
});
