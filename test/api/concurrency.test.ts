import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../server/src/config.js';
import { connect } from '../../server/src/db/connect.js';
import { createTally, type Tally } from '../../server/src/server.js';
import { api, buyCluster, createOrg, pay, topUp } from '../factories.js';
import { onPostgres, PG_URL, startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

/**
 * Races on real PostgreSQL (PGlite runs one transaction at a time, so races cannot show there). Requests
 * are spread over two app instances with their own connection pools on the same database, as two servers
 * would be.
 */
describe.runIf(onPostgres)('concurrency on PostgreSQL', () => {
  let t: TestTally;
  let second: Tally;

  beforeAll(async () => {
    t = await startTestTally({ poolSize: 24 });
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.deps.db)).rows[0]!.s;
    const db2 = await connect({ databaseUrl: PG_URL, schema, poolSize: 24 });
    second = await createTally({ config: testConfig(), database: db2, clock: t.clock });
    afterAll(async () => {
      await second.close();
      await db2.close();
    });
  });

  const via = (i: number) => (i % 2 === 0 ? t.app : second.app);

  it('32 concurrent pays of one order: exactly one succeeds and the balance is debited once', async () => {
    const org = await createOrg(t);
    const { order } = await buyCluster(t, org);
    await topUp(t, org, order.amount * 5);
    const results = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        via(i).inject({
          method: 'POST',
          url: `/v1/orgs/${org.id}/orders/${order.id}/pay`,
          headers: org.admin.auth,
        }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(31);
    for (const r of results.filter((x) => x.statusCode === 409))
      expect(r.json().error.code).toBe('ORDER_NOT_PAYABLE');
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(order.amount * 4);
  });

  it('concurrent pays of many orders against a balance that covers k of them: exactly k paid', async () => {
    const org = await createOrg(t);
    const orders: { id: string; amount: number; expiresAt: string }[] = [];
    for (let i = 0; i < 40; i++) orders.push((await buyCluster(t, org)).order);
    const k = 13;
    await topUp(t, org, orders[0]!.amount * k + 4_321);
    const results = await Promise.all(
      orders.map((o, i) =>
        via(i).inject({
          method: 'POST',
          url: `/v1/orgs/${org.id}/orders/${o.id}/pay`,
          headers: org.admin.auth,
        }),
      ),
    );
    const paid = results.filter((r) => r.statusCode === 200).length;
    expect(paid).toBe(k);
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      expect(r.statusCode).toBe(402);
      expect(r.json().error.code).toBe('INSUFFICIENT_BALANCE');
    }
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(4_321);
  });

  it('pay vs cancel vs timeout at the deadline: each order reaches exactly one final state', async () => {
    const org = await createOrg(t);
    const orders: { id: string; amount: number; expiresAt: string }[] = [];
    for (let i = 0; i < 24; i++) orders.push((await buyCluster(t, org)).order);
    await topUp(t, org, orders[0]!.amount * orders.length);
    // Stand 1 ms before the deadline and race pay, cancel and the sweeper (which runs at the deadline).
    t.clock.set(new Date(new Date(orders[0]!.expiresAt).getTime() - 1));
    const sweepAt = new Date(orders[orders.length - 1]!.expiresAt);
    const actions = orders.flatMap((o, i) => [
      via(i).inject({
        method: 'POST',
        url: `/v1/orgs/${org.id}/orders/${o.id}/pay`,
        headers: org.admin.auth,
      }),
      via(i + 1).inject({
        method: 'POST',
        url: `/v1/orgs/${org.id}/orders/${o.id}/cancel`,
        headers: org.admin.auth,
      }),
    ]);
    const { timeOutDue } = await import('../../server/src/orders/orders.repository.js');
    const sweeps = [0, 1, 2].map(() =>
      t.deps.db.transaction().execute((tx) => timeOutDue(tx, sweepAt, 1000)),
    );
    const [answers] = await Promise.all([Promise.all(actions), Promise.all(sweeps)]);
    for (const a of answers) expect([200, 409]).toContain(a.statusCode);
    const rows = await t.deps.db
      .selectFrom('orders')
      .select(['id', 'status'])
      .where('org_id', '=', org.id)
      .execute();
    for (const row of rows) expect(['paid', 'cancelled', 'timed_out']).toContain(row.status);
    const history = await t.deps.db
      .selectFrom('order_history')
      .select(['order_id', 'to_status'])
      .where('org_id', '=', org.id)
      .where('seq', '=', 2)
      .execute();
    expect(history).toHaveLength(rows.length);
    for (const h of history) expect(rows.find((r) => r.id === h.order_id)?.status).toBe(h.to_status);
    // Every 200 answer matches the final state of its order.
    answers.forEach((a, i) => {
      if (a.statusCode !== 200) return;
      const o = orders[Math.floor(i / 2)]!;
      expect(rows.find((r) => r.id === o.id)?.status).toBe(i % 2 === 0 ? 'paid' : 'cancelled');
    });
    const paidCount = rows.filter((r) => r.status === 'paid').length;
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(orders[0]!.amount * (orders.length - paidCount));
    t.clock.set(sweepAt);
  });

  it('a double click with one Idempotency-Key on two instances charges once and answers the same', async () => {
    const org = await createOrg(t);
    const { order } = await buyCluster(t, org);
    await topUp(t, org, order.amount);
    const headers = { ...org.admin.auth, 'idempotency-key': `pay-${order.id}` };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        via(i).inject({ method: 'POST', url: `/v1/orgs/${org.id}/orders/${order.id}/pay`, headers }),
      ),
    );
    for (const r of results) expect(r.statusCode).toBe(200);
    expect(new Set(results.map((r) => r.body)).size).toBe(1);
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(0);
  });

  it('the same bank reference reported concurrently is credited once', async () => {
    const org = await createOrg(t);
    const body = {
      remittanceCode: org.remittanceCode,
      amount: 12_345,
      currency: 'CNY',
      bankReference: `race-${org.id}`,
    };
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        via(i).inject({ method: 'POST', url: '/v1/internal/bank-transfers', headers: t.op, payload: body }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(15);
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(12_345);
  });

  it('one reference reported at once in several spellings, round after round: each credited once, never a 5xx', async () => {
    // Two reports that pass the unique key's pre-check together meet again on the primary key (the reference as
    // sent); the claim must treat that as "reported before" too, not as an error.
    const org = await createOrg(t);
    for (let round = 0; round < 40; round++) {
      const ref = `Spell-${round}-${org.id}`;
      const spellings = [ref, ref.toLowerCase(), ` ${ref.toUpperCase()} `, ref];
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          via(i).inject({
            method: 'POST',
            url: '/v1/internal/bank-transfers',
            headers: t.op,
            payload: {
              remittanceCode: org.remittanceCode,
              amount: 100,
              currency: 'CNY',
              bankReference: spellings[i % 4],
            },
          }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort(), `round ${round}`).toEqual([
        ...Array(15).fill(200),
        201,
      ]);
      expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    }
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(40 * 100);
  });

  it('concurrent upgrades of one cluster create one unpaid upgrade order', async () => {
    const org = await createOrg(t);
    const { runningCluster } = await import('../factories.js');
    const c = await runningCluster(t, org);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        via(i).inject({
          method: 'POST',
          url: `/v1/orgs/${org.id}/clusters/${c.id}/upgrade`,
          headers: org.admin.auth,
          payload: { cuSize: 2 },
        }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 201))
      expect(r.json().error.code).toBe('UPGRADE_ALREADY_PENDING');
  });

  it('provisioning happens once per paid order with outbox workers racing on two instances', async () => {
    const org = await createOrg(t);
    const orders: { id: string; clusterId: string; amount: number }[] = [];
    // Bought for 2 months, so that each lands in running and stays there (a 1-month cluster reads expiring at
    // once, and the term job's move to it would race the provisioning under test).
    const twoMonths = { term: { unit: 'month', count: 2 } };
    for (let i = 0; i < 20; i++) orders.push((await buyCluster(t, org, org.admin, twoMonths)).order);
    await topUp(t, org, orders[0]!.amount * orders.length);
    for (const o of orders) expect((await pay(t, org.id, o.id, org.admin)).status).toBe(200);
    await Promise.all([
      t.jobs.runAllOnce(),
      second.jobs.runAllOnce(),
      t.jobs.runAllOnce(),
      second.jobs.runAllOnce(),
    ]);
    t.clock.advance(t.config.provisionSeconds * 1000);
    await Promise.all([t.jobs.runAllOnce(), second.jobs.runAllOnce()]);
    const steps = await t.deps.db
      .selectFrom('outbox_events')
      .select(['aggregate_id', 'payload'])
      .where('org_id', '=', org.id)
      .where('type', '=', 'cluster.state_changed')
      .execute();
    for (const o of orders) {
      const mine = steps
        .filter((s) => s.aggregate_id === o.clusterId)
        .map((s) => (s.payload as { to: string }).to);
      expect(mine.sort()).toEqual(['creating', 'running']);
    }
    const clusters = await api(t, 'GET', `/v1/orgs/${org.id}/clusters?limit=100`, { auth: org.admin.auth });
    expect(clusters.json.items.every((c: { state: string }) => c.state === 'running')).toBe(true);
  });

  it('after all the races, every org balance equals its ledger and every paid order has one debit', async () => {
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });
});
