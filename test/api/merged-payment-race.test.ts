import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, pay, topUp } from '../factories.js';
import { onPostgres, startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

/**
 * 合并支付 racing itself and single payments (SPEC §10.1) on PostgreSQL, where they really run at once: overlapping
 * merged payments and single payments of the same orders, with cash for only part of them. Whatever the
 * interleaving, an order is paid once, a merged payment answered 200 paid all its orders at one instant, and
 * cash went down by exactly what the paid orders cost.
 */
describe.runIf(onPostgres)('merged payments racing each other and single payments', () => {
  let t: TestTally;
  beforeAll(async () => {
    t = await startTestTally({ poolSize: 10 });
  });

  it('pays each order once, a merged payment all or nothing, cash exactly the paid total', async () => {
    const org = await createOrg(t);
    for (let round = 0; round < 4; round++) {
      const orders = [];
      for (let i = 0; i < 6; i++) orders.push((await buyCluster(t, org, org.admin)).order);
      const ids = orders.map((o) => o.id as string);
      const amountOf = new Map(orders.map((o) => [o.id as string, o.amount as number]));
      // cash for four of the six
      const funded = orders.slice(0, 4).reduce((s, o) => s + (o.amount as number), 0);
      await topUp(t, org, funded);
      const before = (await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth })).json.cash;
      const merged = [
        [ids[0], ids[1], ids[2]],
        [ids[2], ids[3], ids[4]],
        [ids[4], ids[5]],
        [ids[1], ids[3]],
        [ids[0], ids[5]],
      ] as string[][];
      const answers = await Promise.all([
        ...merged.map((orderIds) =>
          api(t, 'POST', `/v1/orgs/${org.id}/orders/pay`, { auth: org.admin.auth, body: { orderIds } }),
        ),
        pay(t, org.id, ids[0]!, org.admin),
        pay(t, org.id, ids[5]!, org.admin),
        pay(t, org.id, ids[3]!, org.admin),
      ]);
      for (const a of answers) expect([200, 402, 409]).toContain(a.status);

      const now = await Promise.all(
        ids.map(
          async (id) =>
            (await api(t, 'GET', `/v1/orgs/${org.id}/orders/${id}`, { auth: org.admin.auth })).json as {
              id: string;
              status: string;
              paidAt: string | null;
              history: { to: string }[];
            },
        ),
      );
      const byId = new Map(now.map((o) => [o.id, o]));
      for (const o of now)
        expect(o.history.filter((h) => h.to === 'paid').length).toBe(o.status === 'paid' ? 1 : 0);
      // a merged payment answered 200 paid every one of its orders, at one instant
      merged.forEach((orderIds, i) => {
        if (answers[i]!.status !== 200) return;
        const paidAt = new Set(orderIds.map((id) => byId.get(id)!.paidAt));
        expect(orderIds.every((id) => byId.get(id)!.status === 'paid')).toBe(true);
        expect(paidAt.size).toBe(1);
      });
      const paidTotal = now.filter((o) => o.status === 'paid').reduce((s, o) => s + amountOf.get(o.id)!, 0);
      const after = (await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth })).json.cash;
      expect(before - after).toBe(paidTotal);
      expect(after).toBeGreaterThanOrEqual(0);
      expect(answers.some((a) => a.status === 200)).toBe(true);
      // leave no payable order behind for the next round's cash
      for (const o of now) if (o.status === 'unpaid') await topUp(t, org, amountOf.get(o.id)!);
      for (const o of now)
        if (o.status === 'unpaid') expect((await pay(t, org.id, o.id, org.admin)).status).toBe(200);
    }
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });
});
