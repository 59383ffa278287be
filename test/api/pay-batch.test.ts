import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAY_BATCH_MAX, PayBatcher, payAlone } from '../../server/src/orders/pay-batcher.js';
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
import { onPostgres, startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Payments without an Idempotency-Key are made in batches (orders/pay-batcher.ts), on both databases. A batch decides each payment as it would be
 * decided alone at its place in the sequence: the tests compare answers with those of payments made alone.
 */
/** A batcher that gathers on either database, one batch at a time. */
const batcherOf = (t: TestTally) =>
  new PayBatcher(t.deps, { waitMs: 1, maxWaitMs: 1, max: PAY_BATCH_MAX, concurrency: 1 });

describe('batched payments', () => {
  let t: TestTally;
  beforeAll(async () => {
    t = await startTestTally();
  });

  /** An unpaid new purchase of `cuSize` CU (90,000 fen per CU for a month). */
  const order = async (org: OrgFixture, cuSize = 1) =>
    (await buyCluster(t, org, org.admin, { cuSize })).order as { id: string; amount: number };

  it('one org short of cash: in arrival order, each payment that fits what the earlier ones left is paid', async () => {
    const org = await createOrg(t);
    // Arrival order: 1 CU, 2 CU, 1 CU, 1 CU, 2 CU, 1 CU over 250,000 fen.
    const sizes = [1, 2, 1, 1, 2, 1];
    const orders = [];
    for (const s of sizes) orders.push(await order(org, s));
    expect(orders.map((o) => o.amount)).toEqual([90_000, 180_000, 90_000, 90_000, 180_000, 90_000]);
    await topUp(t, org, 250_000);
    const batcher = batcherOf(t);
    const now = t.clock.now();
    // Queued in one turn of the event loop: one batch, in this order.
    const results = await Promise.all(
      orders.map((o) =>
        batcher.pay({ orgId: org.id, orderId: o.id, payerId: org.admin.id, projectIds: null, now }),
      ),
    );
    // 250,000 → 160,000 (1st) → 2nd short → 70,000 (3rd) → 4th, 5th, 6th short.
    expect(results.map((r) => r.paid)).toEqual([true, false, true, false, false, false]);
    expect(results.map((r) => r.cashBefore)).toEqual([250_000, 160_000, 160_000, 70_000, 70_000, 70_000]);
    expect(results.map((r) => r.cashAfter)).toEqual([160_000, null, 70_000, null, null, null]);
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(70_000);
    const statuses = await sql<{ id: string; status: string }>`
      select id, status from orders where org_id = ${org.id}`.execute(t.deps.db);
    const paid = new Set(statuses.rows.filter((r) => r.status === 'paid').map((r) => r.id));
    expect(paid).toEqual(new Set([orders[0]!.id, orders[2]!.id]));
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('the same order twice in a batch: the first pays, the second finds it paid', async () => {
    const org = await createOrg(t);
    const o = await order(org);
    await topUp(t, org, o.amount * 3);
    const batcher = batcherOf(t);
    const now = t.clock.now();
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        batcher.pay({ orgId: org.id, orderId: o.id, payerId: org.admin.id, projectIds: null, now }),
      ),
    );
    expect(a!.paid).toBe(true);
    expect(b!.paid).toBe(false);
    expect(b!.before?.status).toBe('paid');
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(o.amount * 2);
  });

  /**
   * One set of payments of several orgs, among them bad ones: another org's order, an expired order, an id
   * not found, an org short of cash, an order already paid, a project-scoped caller out of scope. Every
   * payment's answer must not depend on the others (the good ones all fit), so each is compared with the
   * answer of the same payment made alone in an identical world.
   */
  interface World {
    payments: { orgId: string; orderId: string; as: Member; label: string }[];
  }
  async function world(): Promise<World> {
    const a = await createOrg(t, { projects: 2 });
    const b = await createOrg(t);
    const c = await createOrg(t);
    const d = await createOrg(t);
    const expired = await order(a);
    t.clock.advance(7 * 24 * 3600_000 + 1_000);
    const { p2Admin } = await addRoleMembers(t, a, ['p2Admin']);
    const a1 = await order(a);
    const a2 = await order(a);
    const b1 = await order(b);
    const c1 = await order(c);
    const d1 = await order(d);
    const d2 = await order(d);
    const done = await order(d);
    await topUp(t, a, 200_000);
    await topUp(t, b, 90_000);
    await topUp(t, c, 89_999);
    await topUp(t, d, 300_000);
    expect((await pay(t, d.id, done.id, d.admin)).status).toBe(200);
    const p = (org: OrgFixture, orderId: string, label: string, as: Member = org.admin) => ({
      orgId: org.id,
      orderId,
      as,
      label,
    });
    return {
      payments: [
        p(a, a1.id, 'a1 pays'),
        p(a, b1.id, "another org's order"),
        p(d, d1.id, 'd1 pays'),
        p(a, expired.id, 'expired'),
        p(c, c1.id, 'short of cash'),
        p(a, 'ord_00000000000000000000000000', 'not found'),
        p(d, done.id, 'already paid'),
        p(a, a2.id, 'out of scope', p2Admin),
        p(b, b1.id, 'b1 pays'),
        p(d, d2.id, 'd2 pays'),
      ],
    };
  }

  /** An answer without its ids and instants: what must be the same in both worlds. */
  function shape(r: Awaited<ReturnType<typeof pay>>) {
    if (r.status === 200) {
      return {
        status: 200,
        order: r.json.order.status,
        amount: r.json.order.amount,
        cash: r.json.balance.cash,
      };
    }
    const { orderId: _o, ...details } = r.json.error.details ?? {};
    return { status: r.status, code: r.json.error.code, details };
  }

  it('a bad payment in a batch changes no other payment’s answer', async () => {
    // Each world is made just before its payments (a world's making moves the clock past the other's deadlines).
    const send = (x: World['payments'][number]) => pay(t, x.orgId, x.orderId, x.as);
    const alone = await world();
    const sequential: Awaited<ReturnType<typeof pay>>[] = [];
    for (const x of alone.payments) sequential.push(await send(x));
    const together = await world();
    const concurrent = await Promise.all(together.payments.map(send));
    const expected = Object.fromEntries(alone.payments.map((x, i) => [x.label, shape(sequential[i]!)]));
    const got = Object.fromEntries(together.payments.map((x, i) => [x.label, shape(concurrent[i]!)]));
    // The good payments’ balances depend on which of the org's payments went first: compare those by set.
    const cashOf = (m: Record<string, ReturnType<typeof shape>>, labels: string[]) =>
      labels.map((l) => (m[l] as { cash?: number }).cash).sort();
    expect(cashOf(got, ['d1 pays', 'd2 pays'])).toEqual(cashOf(expected, ['d1 pays', 'd2 pays']));
    for (const l of ['d1 pays', 'd2 pays']) {
      delete (got[l] as { cash?: number }).cash;
      delete (expected[l] as { cash?: number }).cash;
    }
    expect(got).toEqual(expected);
    // And what the refusals say, so that this test fails if they all came out alike.
    expect(expected['a1 pays']).toMatchObject({ status: 200 });
    expect(expected["another org's order"]).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(expected.expired).toMatchObject({ status: 409, details: { status: 'timed_out' } });
    expect(expected['short of cash']).toMatchObject({ status: 402, details: { shortfall: 1 } });
    expect(expected['not found']).toMatchObject({ status: 404 });
    expect(expected['already paid']).toMatchObject({ status: 409, details: { status: 'paid' } });
    expect(expected['out of scope']).toMatchObject({ status: 404 });
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('payments of different orgs (one statement for the batch): each answer is the one it gets alone', async () => {
    /** Seven orgs, one payment each: two that pay and five refusals of different kinds. */
    const orgWorld = async () => {
      const orgs = [await createOrg(t, { projects: 2 })];
      for (let i = 0; i < 6; i++) orgs.push(await createOrg(t));
      type Seven = [OrgFixture, OrgFixture, OrgFixture, OrgFixture, OrgFixture, OrgFixture, OrgFixture];
      const [a, b, c, d, e, f, g] = orgs as Seven;
      const expired = await order(b);
      t.clock.advance(7 * 24 * 3600_000 + 1_000);
      const { p2Admin } = await addRoleMembers(t, a, ['p2Admin']);
      const [a1, c1, d1, e1, g1] = [
        await order(a),
        await order(c),
        await order(d),
        await order(e),
        await order(g),
      ];
      await topUp(t, a, 200_000);
      await topUp(t, b, 200_000);
      await topUp(t, c, 89_999);
      await topUp(t, d, 200_000);
      await topUp(t, f, 200_000);
      await topUp(t, g, 200_000);
      expect((await pay(t, d.id, d1.id, d.admin)).status).toBe(200);
      const p = (org: OrgFixture, orderId: string, as: Member = org.admin) => ({
        orgId: org.id,
        orderId,
        payerId: as.id,
        projectIds: as === p2Admin ? [a.projects[1]!.id] : null,
      });
      return [
        p(a, a1.id, p2Admin), // out of the payer's projects
        p(b, expired.id), // timed out
        p(c, c1.id), // short of cash by 1
        p(d, d1.id), // already paid
        p(e, e1.id), // no cash at all
        p(f, g1.id), // another org's order: not found
        p(g, g1.id), // pays
      ];
    };
    const view = (r: Awaited<ReturnType<PayBatcher['pay']>>) => ({
      found: r.before !== undefined,
      status: r.before?.status,
      paid: r.paid,
      cashBefore: r.cashBefore,
      cashAfter: r.cashAfter,
    });
    const alone = await orgWorld();
    const aloneAnswers = [];
    for (const x of alone)
      aloneAnswers.push(view(await payAlone(t.deps, t.deps.db, { ...x, now: t.clock.now() })));
    const together = await orgWorld();
    const now = t.clock.now();
    const batched = (await Promise.all(together.map((x) => batcherOf(t).pay({ ...x, now })))).map(view);
    expect(batched).toEqual(aloneAnswers);
    expect(aloneAnswers.map((r) => [r.found, r.paid])).toEqual([
      [true, false],
      [true, false],
      [true, false],
      [true, false],
      [true, false],
      [false, false],
      [true, true],
    ]);
    expect(aloneAnswers[2]).toMatchObject({ cashBefore: 89_999, cashAfter: null });
    expect(aloneAnswers[6]).toMatchObject({ cashBefore: 200_000, cashAfter: 110_000 });
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('a payment whose row fails the batch fails alone; the others are paid and answered', async () => {
    const org = await createOrg(t);
    const bad = await order(org);
    const good = [await order(org), await order(org), await order(org)];
    await topUp(t, org, 90_000 * 4);
    // Bad data in one order: its update raises (a trigger stands for whatever the row holds).
    await sql
      .raw(`create function refuse_one() returns trigger language plpgsql as $$
        begin if new.id = '${bad.id}' then raise exception 'bad row'; end if; return new; end $$`)
      .execute(t.deps.db);
    await sql
      .raw('create trigger refuse_one before update on orders for each row execute function refuse_one()')
      .execute(t.deps.db);
    try {
      const batcher = batcherOf(t);
      const now = t.clock.now();
      // One batch: queued in one turn of the event loop.
      const settled = await Promise.allSettled(
        [bad, ...good].map((o) =>
          batcher.pay({ orgId: org.id, orderId: o.id, payerId: org.admin.id, projectIds: null, now }),
        ),
      );
      expect(settled[0]!.status).toBe('rejected');
      expect(settled.slice(1).map((r) => r.status === 'fulfilled' && r.value.paid)).toEqual([
        true,
        true,
        true,
      ]);
      // Over HTTP, the bad one is a 500 and the good ones still pay.
      const more = [await order(org), await order(org)];
      await topUp(t, org, 90_000 * 2);
      const answers = await Promise.all([bad, ...more].map((o) => pay(t, org.id, o.id, org.admin)));
      expect(answers.map((r) => r.status)).toEqual([500, 200, 200]);
    } finally {
      await sql.raw('drop trigger refuse_one on orders').execute(t.deps.db);
      await sql.raw('drop function refuse_one()').execute(t.deps.db);
    }
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(90_000);
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('many orgs at once: every payment that fits is paid once and answered 200 only if committed', async () => {
    const orgs = [];
    for (let i = 0; i < 6; i++) orgs.push(await createOrg(t));
    const orders: { org: OrgFixture; id: string }[] = [];
    for (const [i, org] of orgs.entries()) {
      for (let k = 0; k < 4; k++) orders.push({ org, id: (await order(org)).id });
      // Org i can pay i of its 4 orders (at most 4).
      if (i > 0) await topUp(t, org, 90_000 * Math.min(i, 4));
    }
    const answers = await Promise.all(orders.map((o) => pay(t, o.org.id, o.id, o.org.admin)));
    const rows = await sql<{ id: string; status: string }>`
      select id, status from orders where id = any(${orders.map((o) => o.id)}::text[])`.execute(t.deps.db);
    const status = new Map(rows.rows.map((r) => [r.id, r.status]));
    for (const [i, o] of orders.entries()) {
      expect(answers[i]!.status === 200, o.id).toBe(status.get(o.id) === 'paid');
      if (answers[i]!.status !== 200) expect(answers[i]!.json.error.code).toBe('INSUFFICIENT_BALANCE');
    }
    for (const [i, org] of orgs.entries()) {
      const paid = orders.filter((o) => o.org === org && status.get(o.id) === 'paid').length;
      expect(paid, `org ${i}`).toBe(Math.min(i, 4));
    }
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  // PostgreSQL: a lock held by another connection (PGlite has one connection).
  it.runIf(onPostgres)(
    'batches running at once never share an org: a payment of another org is not held behind one waiting for this org',
    async () => {
      const a = await createOrg(t);
      const b = await createOrg(t);
      await topUp(t, a, 3 * 90_000);
      await topUp(t, b, 3 * 90_000);
      const [a1, a2, b1] = [await order(a), await order(a), await order(b)];
      const batcher = new PayBatcher(t.deps, { waitMs: 1, maxWaitMs: 1, max: PAY_BATCH_MAX, concurrency: 2 });
      const now = t.clock.now();
      const payOf = (org: OrgFixture, orderId: string) =>
        batcher.pay({ orgId: org.id, orderId, payerId: org.admin.id, projectIds: null, now });
      // Another transaction holds org a's balance: a batch paying a waits for it.
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => {
        locked = r;
      });
      const holder = t.deps.db.transaction().execute(async (tx) => {
        await sql`select 1 from balances where org_id = ${a.id} for update`.execute(tx);
        locked();
        await released;
      });
      await isLocked;
      const first = payOf(a, a1.id);
      await sleep(50); // a1's batch runs, and waits for the balance
      const second = payOf(a, a2.id);
      const other = payOf(b, b1.id);
      let secondSettled = false;
      void second.then(() => {
        secondSettled = true;
      });
      // b's payment is made by the second batch at once; a's second payment waits for the first's batch.
      expect(await Promise.race([other, sleep(5_000).then(() => 'held behind org a')])).toMatchObject({
        paid: true,
      });
      expect(secondSettled).toBe(false);
      release();
      await holder;
      expect(await first).toMatchObject({ paid: true });
      expect(await second).toMatchObject({ paid: true, cashAfter: 90_000 });
      expect(await checkInvariants(t.deps.db)).toEqual([]);
    },
  );
});
