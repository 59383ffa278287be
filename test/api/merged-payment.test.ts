import { beforeAll, describe, expect, it } from 'vitest';
import {
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
import { checkInvariants } from '../invariants.js';

/** 合并支付 (SPEC §10.1), with the SPEC's example: ¥1,800.00 + ¥24,840.00 against ¥26,000.00. */
let t: TestTally;
let org: OrgFixture;
let roles: Record<'p1Admin' | 'p1Viewer' | 'billingAdmin', Member>;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  roles = await addRoleMembers(t, org, ['p1Admin', 'p1Viewer', 'billingAdmin']);
});

const payMany = (orderIds: string[], as: Member = org.admin) =>
  api(t, 'POST', `/v1/orgs/${org.id}/orders/pay`, { auth: as.auth, body: { orderIds } });
const cash = async () =>
  (await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth })).json.cash;

describe('merged payment', () => {
  let small: { id: string; amount: number };
  let upgrade: { id: string; amount: number };

  it('prices the SPEC example: a 2 CU 1-month purchase (¥1,800.00) and a 2 → 4 CU upgrade taking 1 year on a 3-year cluster with 180 days left (¥24,840.00)', async () => {
    const three = await buyCluster(t, org, org.admin, { cuSize: 2, term: { unit: 'year', count: 3 } });
    await topUp(t, org, three.order.amount);
    expect((await pay(t, org.id, three.order.id, org.admin)).status).toBe(200);
    await t.jobs.runAllOnce();
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    // 3 years = 1,080 days from payment; 900 days later exactly 180 remain.
    t.clock.advance(900 * DAY - t.config.provisionSeconds * 1000);
    const up = await api(t, 'POST', `/v1/orgs/${org.id}/clusters/${three.cluster.id}/upgrade`, {
      auth: org.admin.auth,
      body: { cuSize: 4, term: { unit: 'year', count: 1 } },
    });
    expect(up.status).toBe(201);
    expect(up.json.order.amount).toBe(2_484_000);
    upgrade = up.json.order;
    small = (await buyCluster(t, org, org.admin, { cuSize: 2 })).order;
    expect(small.amount).toBe(180_000);
  });

  it('refuses the total when cash is short (402, the total shortfall ¥640.00) and pays nothing', async () => {
    await topUp(t, org, 2_600_000);
    const before = await cash();
    expect(before).toBe(2_600_000);
    const r = await payMany([small.id, upgrade.id]);
    expect(r.status).toBe(402);
    expect(r.json.error.code).toBe('INSUFFICIENT_BALANCE');
    expect(r.json.error.details).toMatchObject({ balance: 2_600_000, amount: 2_664_000, shortfall: 64_000 });
    expect(await cash()).toBe(before);
    for (const id of [small.id, upgrade.id]) {
      const o = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${id}`, { auth: org.admin.auth });
      expect(o.json.status).toBe('unpaid');
    }
  });

  it('authorizes each order: a project viewer is 403, an unknown order 404, and nothing is paid', async () => {
    expect((await payMany([small.id], roles.p1Viewer)).status).toBe(403);
    expect((await payMany([small.id], roles.billingAdmin)).status).toBe(403);
    const unknown = await payMany([small.id, 'ord_unknown']);
    expect(unknown.status).toBe(404);
    expect((await payMany([small.id, small.id])).status).toBe(400);
    expect((await payMany([])).status).toBe(400);
    expect(await cash()).toBe(2_600_000);
  });

  it('pays all at once with one paidAt, each with its own debit and history, once cash covers the total', async () => {
    await topUp(t, org, 64_000);
    const r = await payMany([small.id, upgrade.id], roles.p1Admin);
    expect(r.status).toBe(200);
    expect(r.json.total).toBe(2_664_000);
    expect(r.json.balance.cash).toBe(0);
    const paidAt = new Set(r.json.orders.map((o: { paidAt: string }) => o.paidAt));
    expect(paidAt.size).toBe(1);
    expect(r.json.orders.map((o: { status: string }) => o.status)).toEqual(['paid', 'paid']);
    const ledger = await api(t, 'GET', `/v1/orgs/${org.id}/ledger?limit=100`, { auth: org.admin.auth });
    const debits = ledger.json.items.filter(
      (e: { kind: string; orderId?: string | null }) =>
        e.kind === 'order_payment' && (e.orderId === small.id || e.orderId === upgrade.id),
    );
    expect(
      debits.map((e: { amount: number }) => Math.abs(e.amount)).sort((a: number, b: number) => a - b),
    ).toEqual([180_000, 2_484_000]);
    for (const id of [small.id, upgrade.id]) {
      const o = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${id}`, { auth: org.admin.auth });
      expect(o.json.history.map((h: { to: string }) => h.to)).toEqual(['unpaid', 'paid']);
      expect(o.json.history[1].by).toEqual({
        type: 'user',
        id: roles.p1Admin.id,
        email: roles.p1Admin.email,
      });
    }
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('names every order that is not payable (409, details.orders) and pays none of the others', async () => {
    const fresh = (await buyCluster(t, org, org.admin)).order;
    await topUp(t, org, fresh.amount);
    const r = await payMany([fresh.id, small.id]);
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('ORDER_NOT_PAYABLE');
    expect(r.json.error.details.orders).toEqual([{ id: small.id, status: 'paid' }]);
    const o = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${fresh.id}`, { auth: org.admin.auth });
    expect(o.json.status).toBe('unpaid');
    expect(await cash()).toBe(fresh.amount);
  });
});
