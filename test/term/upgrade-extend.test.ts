import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import {
  DAY,
  expectError,
  expectStatus,
  getCluster,
  iso,
  ONE_MONTH,
  ONE_YEAR,
  quote,
  subscribed,
  topUpAndPay,
  upgrade,
  YEAR_DAYS,
} from './support.js';

/** SPEC §8.3: 升配并延长有效期 — the new configuration for a new term, less what is left of the old. */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const THREE_YEARS = { unit: 'year', count: 3 } as const;

describe('upgrade with a new term', () => {
  it('the provider’s figure: 3-year 2 CU with 180 days left → 4 CU for 1 year = ¥24,840.00; the term restarts at payment', async () => {
    const { cluster, order: bought } = await subscribed(t, org, { cuSize: 2, term: THREE_YEARS });
    // 2 × 125 fen × 24 × 30 × 36 × 50% = 3,240,000
    expect(bought.amount).toBe(3_240_000);
    const end = cluster.termEndsAt as string;
    // Exactly 180 days left (a started day counts as one, so any instant in (end − 180 d, end − 179 d] too)
    t.clock.set(iso(end, -180 * DAY));
    const body = { type: 'upgrade', clusterId: cluster.id, cuSize: 4, term: ONE_YEAR };
    const q = expectStatus(await quote(t, org, body), 200);
    const pricing = {
      type: 'upgrade',
      currency: 'CNY',
      amount: 2_484_000,
      // the new term's list price; the discount is the term's and the credit together
      listAmount: 4_320_000,
      discountAmount: 4_320_000 - 2_484_000,
      pricePerCuHour: 125,
      remainingDays: 180,
      hours: 8640,
      discountPercent: 70,
      addedCu: 2,
      cuHours: 34_560,
      newTerm: {
        unit: 'year',
        count: 1,
        months: 12,
        hours: 8640,
        cuHours: 34_560,
        listAmount: 4_320_000,
        discountPercent: 70,
        // 4 × 1 × ¥900 × 12 × 0.7 = ¥30,240.00
        amount: 3_024_000,
      },
      credit: {
        remainingDays: 180,
        hours: 4320,
        cuHours: 8640,
        listAmount: 1_080_000,
        // the 3-year term's 5折
        discountPercent: 50,
        // 2 × ¥30 × 180 × 0.5 = ¥5,400.00
        value: 540_000,
        amount: 540_000,
      },
    };
    expect(q).toEqual({ ...pricing, clusterId: cluster.id, quotedAt: t.clock.now().toISOString() });

    const order = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 4, term: ONE_YEAR }), 201).order;
    expect(order).toMatchObject({
      type: 'upgrade',
      amount: 2_484_000,
      listAmount: 4_320_000,
      discountAmount: 1_836_000,
      pricing,
      configBefore: { cuSize: 2, replicas: 1, term: THREE_YEARS, termEndsAt: end },
      // the new end is known only when paid
      config: { cuSize: 4, replicas: 1, term: ONE_YEAR, termEndsAt: null },
      cancelsAt: null,
    });

    t.clock.advance(3 * 3600_000 + 17_000);
    const paidAt = t.clock.now().toISOString();
    const paid = await topUpAndPay(t, org, order);
    expect(paid.order.paidAt).toBe(paidAt);
    const newEnd = iso(paidAt, YEAR_DAYS * DAY);
    const right = await getCluster(t, org, cluster.id);
    expect(right.termEndsAt).toBe(newEnd);
    expect(right.term).toEqual(ONE_YEAR);
    expect(right.recycleAt).toBe(iso(newEnd, 7 * DAY));
    expect(right.deleteAt).toBe(iso(newEnd, 37 * DAY));
    await t.jobs.runAllOnce();
    expect((await getCluster(t, org, cluster.id)).state).toBe('upgrading');
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    const applied = await getCluster(t, org, cluster.id);
    expect(applied).toMatchObject({
      state: 'running',
      cuSize: 4,
      replicas: 1,
      termEndsAt: newEnd,
      term: ONE_YEAR,
    });
    // the old end means nothing any more
    t.clock.set(end);
    expect((await getCluster(t, org, cluster.id)).state).toBe('running');
  });

  it('remaining days count a started day: one millisecond more than 180 days is 181 days of credit', async () => {
    const { cluster } = await subscribed(t, org, { cuSize: 2, term: THREE_YEARS });
    const body = { type: 'upgrade', clusterId: cluster.id, cuSize: 4, term: ONE_YEAR };
    t.clock.set(iso(cluster.termEndsAt, -180 * DAY - 1));
    const q = expectStatus(await quote(t, org, body), 200);
    // credit 2 × 125 × 24 × 181 × 50% = 543,000
    expect(q.credit).toMatchObject({ remainingDays: 181, value: 543_000, amount: 543_000 });
    expect(q.amount).toBe(3_024_000 - 543_000);
    t.clock.set(iso(cluster.termEndsAt, -179 * DAY - 1));
    expect(expectStatus(await quote(t, org, body), 200).credit.remainingDays).toBe(180);
  });

  it('the amount never goes below zero: the credit is capped at the new term’s price', async () => {
    const { cluster } = await subscribed(t, org, { cuSize: 2, term: THREE_YEARS });
    // about 1080 days left worth 2 × 125 × 24 × 1080 × 50% = 3,240,000 against a month of 4 CU = 360,000
    const q = expectStatus(
      await quote(t, org, { type: 'upgrade', clusterId: cluster.id, cuSize: 4, term: ONE_MONTH }),
      200,
    );
    expect(q.amount).toBe(0);
    expect(q.newTerm.amount).toBe(360_000);
    expect(q.credit).toMatchObject({ remainingDays: 1080, value: 3_240_000, amount: 360_000 });
  });
});

describe('upgrade without a term', () => {
  it('is priced by the remaining days (§3) and leaves termEndsAt and the term unchanged', async () => {
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, -100 * DAY));
    const order = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 2 }), 201).order;
    // 1 added CU × 125 × 24 × 100 days at list price (under a year left)
    expect(order.amount).toBe(300_000);
    expect(order.pricing).toMatchObject({ remainingDays: 100, discountPercent: 100, addedCu: 1 });
    expect(order.pricing.newTerm).toBeUndefined();
    expect(order.pricing.credit).toBeUndefined();
    expect(order.config.termEndsAt).toBe(end);
    // the upgrade is cancelled by the system at the expiry only if that comes before its deadline
    expect(order.cancelsAt).toBeNull();
    t.clock.advance(3600_000);
    await topUpAndPay(t, org, order);
    await t.jobs.runAllOnce();
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    const c = await getCluster(t, org, cluster.id);
    expect(c).toMatchObject({ state: 'running', cuSize: 2, termEndsAt: end, term: ONE_YEAR });
  });

  it('an expired cluster cannot be upgraded, with or without a term (CLUSTER_NOT_READY)', async () => {
    const { cluster } = await subscribed(t, org);
    t.clock.set(cluster.termEndsAt);
    expect(
      expectError(await upgrade(t, org, cluster.id, { cuSize: 2 }), 409, 'CLUSTER_NOT_READY').details,
    ).toMatchObject({ state: 'expired' });
    expectError(await upgrade(t, org, cluster.id, { cuSize: 2, term: ONE_YEAR }), 409, 'CLUSTER_NOT_READY');
    expectError(
      await quote(t, org, { type: 'upgrade', clusterId: cluster.id, cuSize: 2, term: ONE_YEAR }),
      409,
      'CLUSTER_NOT_READY',
    );
  });
});

describe('an upgrade paid just before the expiry', () => {
  it('is applied even when the term job persists the expiry before provisioning starts', async () => {
    const { cluster } = await subscribed(t, org);
    await t.jobs.runAllOnce();
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, -2 * DAY));
    const order = expectStatus(await upgrade(t, org, cluster.id, { cuSize: 2 }), 201).order;
    // Paid one second before the end; the jobs next run at the end (the term job runs before the one that
    // starts provisioning).
    t.clock.set(iso(end, -1000));
    await topUpAndPay(t, org, order);
    t.clock.set(end);
    await t.jobs.runAllOnce();
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    const c = await getCluster(t, org, cluster.id);
    expect(c.state).toBe('expired');
    // SPEC §2: a paid upgrade is applied; the renewal then prices the configuration paid for.
    expect({ cuSize: c.cuSize, replicas: c.replicas }).toEqual({ cuSize: 2, replicas: 1 });
    const q = expectStatus(
      await quote(t, org, { type: 'renewal', clusterId: cluster.id, term: ONE_MONTH }),
      200,
    );
    expect(q.amount).toBe(180_000);
  });
});
