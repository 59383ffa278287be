import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAutoRenew } from '../../server/src/clusters/auto-renew.js';
import { sweepTermTimeline } from '../../server/src/clusters/term-sweeper.js';
import { testConfig } from '../../server/src/config.js';
import { connect } from '../../server/src/db/connect.js';
import { timeOutDue } from '../../server/src/orders/orders.repository.js';
import { ManualClock } from '../../server/src/platform/clock.js';
import { createTally, type Tally } from '../../server/src/server.js';
import { api, buyCluster, createOrg, type OrgFixture, pay, topUp } from '../factories.js';
import { closeAfterFile, freshDatabase, onPostgres, PG_URL, type TestTally } from '../harness.js';
import {
  attempts,
  cash,
  DAY,
  expectStatus,
  getCluster,
  getOrder,
  iso,
  ONE_MONTH,
  renew,
  setAutoRenew,
  stateChanges,
  storedState,
  storedStatus,
} from './support.js';

/**
 * SPEC §8 under races: three app instances on one database, each with its own connection pool on
 * PostgreSQL (PGlite is shared in-process and runs one transaction at a time, so there the same requests
 * serialize and must still end the same way). Requests and job runs start together with Promise.all.
 */
let t: TestTally;
let instances: Tally[];

beforeAll(async () => {
  const clock = new ManualClock('2026-11-02T08:00:00Z');
  const config = testConfig({ provisionSeconds: 10 });
  const database = await freshDatabase(10);
  const first = await createTally({ config, database, clock });
  const others: Tally[] = [];
  const pools: { close(): Promise<void> }[] = [];
  for (let i = 0; i < 2; i++) {
    let db = database;
    if (onPostgres) {
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(first.deps.db)).rows[0]!
        .s;
      db = await connect({ databaseUrl: PG_URL, schema, poolSize: 10 });
      pools.push(db);
    }
    others.push(await createTally({ config, database: db, clock }));
  }
  instances = [first, ...others];
  t = { ...first, clock, config, op: { authorization: `Bearer ${config.operatorToken}` } };
  closeAfterFile(async () => {
    for (const i of instances) await i.close();
    for (const p of pools) await p.close();
    await database.close();
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Clusters per race: fewer on PGlite, where the requests serialize anyway. */
const N = onPostgres ? 8 : 4;
const via = (i: number) => instances[i % instances.length]!;
const inject = (i: number, method: 'GET' | 'POST', url: string, auth: object, body?: object) =>
  via(i).app.inject({
    method,
    url,
    headers: auth as Record<string, string>,
    ...(body ? { payload: body } : {}),
  });

/** One org per cluster, each a paid, provisioned 1-month cluster; all bought at one instant (one termEndsAt). */
async function clusters(n: number) {
  const out: { org: OrgFixture; clusterId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const org = await createOrg(t, { projects: 1 });
    const { cluster, order } = await buyCluster(t, org);
    await topUp(t, org, order.amount);
    expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
    out.push({ org, clusterId: cluster.id });
  }
  await t.jobs.runAllOnce();
  t.clock.advance(t.config.provisionSeconds * 1000);
  await t.jobs.runAllOnce();
  const end = (await getCluster(t, out[0]!.org, out[0]!.clusterId)).termEndsAt as string;
  for (const c of out) expect((await getCluster(t, c.org, c.clusterId)).termEndsAt).toBe(end);
  return { list: out, end };
}

async function paymentsOf(orderId: string) {
  return t.deps.db
    .selectFrom('ledger_transactions')
    .select('id')
    .where('kind', '=', 'order_payment')
    .where('ref_id', '=', orderId)
    .execute();
}

// First in the file: the term job's counts are of these clusters alone.
describe('the term job on three instances at once', () => {
  it('moves each cluster once: the runs’ counts add up to the clusters, one state change each', async () => {
    const { list, end } = await clusters(N + 4);
    // persisted as expiring first
    t.clock.set(iso(end, -1000));
    await t.jobs.runAllOnce();
    for (const c of list) expect(await storedState(t, c.clusterId)).toBe('expiring');
    t.clock.set(end);
    const runs = await Promise.all(instances.map((i) => i.jobs.runAllOnce()));
    const moved = runs.map((r) => (r.term as { moved: number; failed: number }).moved);
    expect(moved.reduce((a, b) => a + b, 0)).toBe(list.length);
    for (const r of runs) expect((r.term as { failed: number }).failed).toBe(0);
    for (const c of list) {
      expect(await storedState(t, c.clusterId)).toBe('expired');
      const toExpired = (await stateChanges(t, c.clusterId)).filter((e) => e.to === 'expired');
      expect(toExpired).toEqual([{ from: 'expiring', to: 'expired' }]);
    }
    const again = await Promise.all(instances.map((i) => i.jobs.runAllOnce()));
    for (const r of again) expect(r.term).toEqual({ moved: 0, failed: 0 });
  });
});

describe('renewals racing', () => {
  it('two POST …/renew at once: one 201, the other CLUSTER_ORDER_PENDING naming the first', async () => {
    const { list } = await clusters(N);
    const answers = await Promise.all(
      list.flatMap((c, i) =>
        [0, 1].map((j) =>
          inject(i + j, 'POST', `/v1/orgs/${c.org.id}/clusters/${c.clusterId}/renew`, c.org.admin.auth, {
            term: ONE_MONTH,
          }),
        ),
      ),
    );
    list.forEach((c, i) => {
      const pair = [answers[2 * i]!, answers[2 * i + 1]!];
      const made = pair.filter((a) => a.statusCode === 201);
      const refused = pair.filter((a) => a.statusCode === 409);
      expect(made, `cluster ${c.clusterId}`).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.json().error).toMatchObject({
        code: 'CLUSTER_ORDER_PENDING',
        details: { orderId: made[0]!.json().order.id, type: 'renewal' },
      });
    });
    for (const c of list) {
      const orders = expectStatus(
        await api(t, 'GET', `/v1/orgs/${c.org.id}/orders?clusterId=${c.clusterId}&type=renewal`, {
          auth: c.org.admin.auth,
        }),
        200,
      );
      expect(orders.items).toHaveLength(1);
    }
  });

  it('a user paying the renewal while the auto-renew attempt runs: exactly one payment, one debit', async () => {
    const { list, end } = await clusters(N);
    t.clock.set(iso(end, -8 * DAY));
    const orders: { id: string; amount: number }[] = [];
    for (const c of list) {
      await setAutoRenew(t, c.org, true);
      const order = expectStatus(await renew(t, c.org, c.clusterId, ONE_MONTH), 201).order;
      await topUp(t, c.org, 2 * order.amount);
      orders.push(order);
    }
    t.clock.set(iso(end, -7 * DAY));
    // The attempts (three instances' runs of the job) start together with the payments, which start one after
    // another, so that each side wins some of the races.
    const [answers, runs] = await Promise.all([
      Promise.all(
        list.map(async (c, i) => {
          await sleep(i * 20);
          return inject(i, 'POST', `/v1/orgs/${c.org.id}/orders/${orders[i]!.id}/pay`, c.org.admin.auth);
        }),
      ),
      Promise.all(instances.map((i) => runAutoRenew(i.deps, new Date(iso(end, -7 * DAY))))),
    ]);
    // Each attempt that paid is one the user's payment lost to.
    const attemptsPaid = runs.reduce((n, r) => n + r.paid, 0);
    let byUser = 0;
    let byAttempt = 0;
    for (const [i, c] of list.entries()) {
      const order = orders[i]!;
      const answer = answers[i]!;
      const tries = await attempts(t, c.org, c.clusterId);
      const paidAttempts = tries.filter((a) => a.outcome === 'paid');
      if (answer.statusCode === 200) {
        byUser++;
        expect(paidAttempts).toEqual([]);
        expect((await getOrder(t, c.org, order.id)).paidBy).toBe(c.org.admin.id);
      } else {
        byAttempt++;
        expect(answer.statusCode).toBe(409);
        expect(answer.json().error).toMatchObject({ code: 'ORDER_NOT_PAYABLE', details: { status: 'paid' } });
        expect(paidAttempts).toEqual([expect.objectContaining({ k: 0, orderId: order.id })]);
        expect((await getOrder(t, c.org, order.id)).paidBy).toBeNull();
      }
      expect(tries.length).toBeLessThanOrEqual(1);
      expect(await storedStatus(t, order.id)).toBe('paid');
      expect(await paymentsOf(order.id)).toHaveLength(1);
      expect(await cash(t, c.org)).toBe(order.amount);
      expect((await getCluster(t, c.org, c.clusterId)).termEndsAt).toBe(iso(end, 30 * DAY));
      const renewals = expectStatus(
        await api(t, 'GET', `/v1/orgs/${c.org.id}/orders?clusterId=${c.clusterId}&type=renewal`, {
          auth: c.org.admin.auth,
        }),
        200,
      );
      expect(renewals.items).toHaveLength(1);
    }
    expect(byAttempt).toBe(attemptsPaid);
    expect(byUser + byAttempt).toBe(list.length);
    // Later runs make no attempt for the old end.
    await Promise.all(instances.map((i) => i.jobs.runAllOnce()));
    for (const c of list)
      expect(
        (await attempts(t, c.org, c.clusterId)).filter((a) => a.outcome === 'paid').length,
      ).toBeLessThanOrEqual(1);
  });

  it('the auto-renew job on three instances at once: one attempt and one order per cluster', async () => {
    const { list, end } = await clusters(N);
    for (const c of list) await setAutoRenew(t, c.org, true);
    t.clock.set(iso(end, -7 * DAY));
    const runs = await Promise.all(instances.map((i) => i.jobs.runAllOnce()));
    const failed = runs.reduce((n, r) => n + (r['auto-renew'] as { failed: number }).failed, 0);
    expect(failed).toBe(list.length);
    for (const r of runs) expect((r['auto-renew'] as { errors: number }).errors).toBe(0);
    for (const c of list) {
      const tries = await attempts(t, c.org, c.clusterId);
      expect(tries).toEqual([expect.objectContaining({ k: 0, outcome: 'failed', shortfall: 90_000 })]);
      const renewals = expectStatus(
        await api(t, 'GET', `/v1/orgs/${c.org.id}/orders?clusterId=${c.clusterId}&type=renewal`, {
          auth: c.org.admin.auth,
        }),
        200,
      );
      expect(renewals.items.map((o: { id: string }) => o.id)).toEqual([tries[0]!.orderId]);
    }
  });

  it('pay at recycleAt − 1 ms against the sweeper at recycleAt: each renewal ends once, paid or cancelled', async () => {
    const { list, end } = await clusters(N + 2);
    const recycleAt = iso(end, 7 * DAY);
    t.clock.set(iso(end, DAY));
    const orders: { id: string; amount: number }[] = [];
    for (const c of list) {
      const order = expectStatus(await renew(t, c.org, c.clusterId, ONE_MONTH), 201).order;
      expect(order.cancelsAt).toBe(recycleAt);
      await topUp(t, c.org, order.amount);
      orders.push(order);
    }
    t.clock.set(iso(recycleAt, -1));
    const dbs = instances.map((i) => i.deps.db);
    const [answers] = await Promise.all([
      Promise.all(
        list.map((c, i) =>
          inject(i, 'POST', `/v1/orgs/${c.org.id}/orders/${orders[i]!.id}/pay`, c.org.admin.auth),
        ),
      ),
      // Each instance's sweeper takes one order at a time, from a moment after the first payments start, so
      // that each side wins some of the races.
      Promise.all(
        dbs.map(async (db, i) => {
          await sleep(2 + i);
          for (;;) {
            const r = await db.transaction().execute((tx) => timeOutDue(tx, new Date(recycleAt), 1));
            if (r.count === 0) return;
          }
        }),
      ),
    ]);
    t.clock.set(recycleAt);
    await t.jobs.runAllOnce();
    for (const [i, c] of list.entries()) {
      const order = await getOrder(t, c.org, orders[i]!.id);
      const answer = answers[i]!;
      const ends = order.history.filter((h: { from: string | null }) => h.from === 'unpaid');
      expect(ends).toHaveLength(1);
      const cluster = await getCluster(t, c.org, c.clusterId);
      if (answer.statusCode === 200) {
        expect(order.status).toBe('paid');
        expect(await paymentsOf(order.id)).toHaveLength(1);
        expect(await cash(t, c.org)).toBe(0);
        expect(cluster.termEndsAt).toBe(iso(end, 30 * DAY));
        expect(cluster.state).toBe('expiring');
      } else {
        expect(answer.statusCode).toBe(409);
        expect(answer.json().error.code).toBe('ORDER_NOT_PAYABLE');
        expect(order.status).toBe('cancelled');
        expect(ends[0]).toMatchObject({
          to: 'cancelled',
          at: recycleAt,
          by: { type: 'system', id: null },
          reason: 'cluster_recycled',
        });
        expect(await paymentsOf(order.id)).toEqual([]);
        expect(await cash(t, c.org)).toBe(orders[i]!.amount);
        expect(cluster.termEndsAt).toBe(end);
        expect(cluster.state).toBe('recycled');
      }
      expect(await storedStatus(t, order.id)).toBe(order.status);
      expect(await storedState(t, c.clusterId)).toBe(cluster.state);
    }
  });
});

describe('the term job persisting the recycle while a payment from just before it is in flight', () => {
  it('a renewal paid with an instant before recycleAt renews the cluster even if the term job already moved it', async () => {
    const { list, end } = await clusters(1);
    const c = list[0]!;
    const recycleAt = iso(end, 7 * DAY);
    t.clock.set(iso(end, DAY));
    const order = expectStatus(await renew(t, c.org, c.clusterId, ONE_MONTH), 201).order;
    await topUp(t, c.org, order.amount);
    // Another instance's term job runs at recycleAt (before any sweeper there)…
    expect((await sweepTermTimeline(t.deps.db, new Date(recycleAt))).moved).toBeGreaterThanOrEqual(1);
    expect(await storedState(t, c.clusterId)).toBe('recycled');
    // …while a payment whose instant was taken a millisecond earlier reaches the database after it.
    t.clock.set(iso(recycleAt, -1));
    const paid = await pay(t, c.org.id, order.id, c.org.admin);
    t.clock.set(recycleAt);
    await t.jobs.runAllOnce();
    const cluster = await getCluster(t, c.org, c.clusterId);
    if (paid.status === 200) {
      // Money taken, so the renewal holds: the term runs on from the old end.
      expect(cluster.termEndsAt).toBe(iso(end, 30 * DAY));
      expect(cluster.state).toBe('expiring');
      expect(await storedState(t, c.clusterId)).toBe('expiring');
    } else {
      expect(paid.status).toBe(409);
      expect(await cash(t, c.org)).toBe(order.amount);
      expect(cluster.state).toBe('recycled');
    }
  });
});
