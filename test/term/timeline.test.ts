import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture, pay, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import {
  DAY,
  getCluster,
  iso,
  listedIn,
  ONE_YEAR,
  stateChanges,
  storedState,
  subscribed,
  upgrade,
  YEAR_DAYS,
} from './support.js';

/**
 * SPEC §8.1: running → expiring (termEndsAt − 30 d) → expired (termEndsAt) → recycled (+7 d) → deleted
 * (+37 d), each instant exact at read before any job runs, then persisted by the `term` job once.
 */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

// These two run first on the file's database: the `term` job's counts are of their cluster alone (the
// first one's is deleted, final, before the second starts).
describe('the expiry timeline', () => {
  it('moves at each boundary exactly (−1 s, at, +1 s), at read first, then once by the term job', async () => {
    const { cluster, paidAt } = await subscribed(t, org, { term: ONE_YEAR });
    const end = iso(paidAt, YEAR_DAYS * DAY);
    expect(cluster.termEndsAt).toBe(end);
    expect(cluster.state).toBe('running');
    expect(cluster.recycleAt).toBe(iso(end, 7 * DAY));
    expect(cluster.deleteAt).toBe(iso(end, 37 * DAY));
    expect(cluster.availableActions).toEqual(['upgrade', 'renew']);

    const boundaries = [
      { at: iso(end, -30 * DAY), from: 'running', to: 'expiring', actions: ['upgrade', 'renew'] },
      { at: end, from: 'expiring', to: 'expired', actions: ['renew'] },
      { at: iso(end, 7 * DAY), from: 'expired', to: 'recycled', actions: [] },
      { at: iso(end, 37 * DAY), from: 'recycled', to: 'deleted', actions: [] },
    ];
    const expected: { from: string; to: string }[] = [];
    const before = (await stateChanges(t, cluster.id)).length;
    for (const b of boundaries) {
      // One second before: still the earlier state, at read and as persisted; the job moves nothing.
      t.clock.set(iso(b.at, -1000));
      expect((await getCluster(t, org, cluster.id)).state).toBe(b.from);
      expect((await t.jobs.runAllOnce()).term).toEqual({ moved: 0, failed: 0 });
      expect(await storedState(t, cluster.id)).toBe(b.from);
      expect(await listedIn(t, org, b.from)).toEqual([cluster.id]);
      expect(await listedIn(t, org, b.to)).toEqual([]);

      // Exactly at the instant, before any job: the later state, in one read and in the filtered list.
      t.clock.set(b.at);
      const read = await getCluster(t, org, cluster.id);
      expect(read.state).toBe(b.to);
      expect(read.availableActions).toEqual(b.actions);
      expect(read.termEndsAt).toBe(end);
      expect(read.recycleAt).toBe(iso(end, 7 * DAY));
      expect(read.deleteAt).toBe(iso(end, 37 * DAY));
      expect(await storedState(t, cluster.id)).toBe(b.from);
      expect(await listedIn(t, org, b.to)).toEqual([cluster.id]);
      expect(await listedIn(t, org, b.from)).toEqual([]);

      // The term job persists it, once: a second run at the same instant moves nothing.
      expect((await t.jobs.runAllOnce()).term).toEqual({ moved: 1, failed: 0 });
      expect(await storedState(t, cluster.id)).toBe(b.to);
      expect((await t.jobs.runAllOnce()).term).toEqual({ moved: 0, failed: 0 });
      expected.push({ from: b.from, to: b.to });
      expect((await stateChanges(t, cluster.id)).slice(before)).toEqual(expected);

      // One second after: unchanged.
      t.clock.set(iso(b.at, 1000));
      expect((await getCluster(t, org, cluster.id)).state).toBe(b.to);
      expect((await t.jobs.runAllOnce()).term).toEqual({ moved: 0, failed: 0 });
    }
    // Deleted is final.
    t.clock.set(iso(end, 400 * DAY));
    expect((await getCluster(t, org, cluster.id)).state).toBe('deleted');
    expect((await t.jobs.runAllOnce()).term).toEqual({ moved: 0, failed: 0 });
  });

  it('a cluster the job has not seen for weeks reads, and is persisted as, where the timeline is now', async () => {
    const { cluster } = await subscribed(t, org, { term: ONE_YEAR });
    const end = cluster.termEndsAt as string;
    t.clock.set(iso(end, 7 * DAY + 1));
    expect((await getCluster(t, org, cluster.id)).state).toBe('recycled');
    expect(await storedState(t, cluster.id)).toBe('running');
    expect((await t.jobs.runAllOnce()).term).toEqual({ moved: 1, failed: 0 });
    expect(await storedState(t, cluster.id)).toBe('recycled');
    expect((await stateChanges(t, cluster.id)).at(-1)).toEqual({ from: 'running', to: 'recycled' });
  });
});

describe('creating and upgrading show instead of expiring; the instants still hold', () => {
  beforeAll(async () => {
    org = await createOrg(t);
  });

  it('a paid 1-month cluster is creating (not expiring) until provisioned, then expiring', async () => {
    const { cluster, order } = await buyCluster(t, org);
    await topUp(t, org, order.amount);
    expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
    await t.jobs.runAllOnce();
    const c = await getCluster(t, org, cluster.id);
    // a month is 30 days: the whole term lies inside the expiring window
    expect(c.termEndsAt).toBe(iso(t.clock.now(), 30 * DAY));
    expect(c.state).toBe('creating');
    expect(await listedIn(t, org, 'expiring')).toEqual([]);
    expect(await storedState(t, cluster.id)).toBe('creating');
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    expect((await getCluster(t, org, cluster.id)).state).toBe('expiring');
    expect(await listedIn(t, org, 'expiring')).toEqual([cluster.id]);
  });

  it('a creating cluster whose term has ended reads expired at termEndsAt, not creating', async () => {
    const { cluster, order } = await buyCluster(t, org);
    await topUp(t, org, order.amount);
    expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
    await t.jobs.runAllOnce();
    const end = (await getCluster(t, org, cluster.id)).termEndsAt as string;
    // no job runs: the cluster is still creating as persisted
    t.clock.set(iso(end, -1000));
    expect((await getCluster(t, org, cluster.id)).state).toBe('creating');
    t.clock.set(end);
    expect((await getCluster(t, org, cluster.id)).state).toBe('expired');
    expect(await storedState(t, cluster.id)).toBe('creating');
    t.clock.set(iso(end, 7 * DAY));
    expect((await getCluster(t, org, cluster.id)).state).toBe('recycled');
  });

  it('an upgrading cluster inside the expiring window shows upgrading, then expiring once applied', async () => {
    const { cluster } = await subscribed(t, org);
    expect(cluster.state).toBe('expiring');
    const up = await upgrade(t, org, cluster.id, { cuSize: 2 });
    expect(up.status, up.body).toBe(201);
    await topUp(t, org, up.json.order.amount);
    expect((await pay(t, org.id, up.json.order.id, org.admin)).status).toBe(200);
    await t.jobs.runAllOnce();
    const during = await getCluster(t, org, cluster.id);
    expect(during.state).toBe('upgrading');
    expect(during.upgradingTo).toEqual({ cuSize: 2, replicas: 1 });
    expect(await listedIn(t, org, 'upgrading')).toEqual([cluster.id]);
    expect(await storedState(t, cluster.id)).toBe('upgrading');
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    const after = await getCluster(t, org, cluster.id);
    expect(after.state).toBe('expiring');
    expect(after.cuSize).toBe(2);
    expect(after.termEndsAt).toBe(cluster.termEndsAt);
  });
});

describe('usage along the timeline (SPEC §8.1)', () => {
  it('an expired or recycled cluster’s storage is still billed; usage after deleteAt is refused', async () => {
    const { cluster } = await subscribed(t, org);
    const end = cluster.termEndsAt as string;
    const usage = (id: string, start: string, stop: string) =>
      api(t, 'POST', '/v1/internal/usage', {
        auth: t.op,
        body: {
          events: [
            {
              id: `${id}-${cluster.id}`,
              orgId: org.id,
              clusterId: cluster.id,
              metric: 'storage',
              quantity: 10,
              start,
              end: stop,
            },
          ],
        },
      });
    t.clock.set(iso(end, 3 * DAY));
    expect((await usage('expired', iso(end, DAY), iso(end, 2 * DAY))).status).toBe(200);
    t.clock.set(iso(end, 20 * DAY));
    expect((await usage('recycled', iso(end, 10 * DAY), iso(end, 11 * DAY))).status).toBe(200);
    t.clock.set(iso(end, 37 * DAY + 3600_000));
    // up to deleteAt exactly: accepted; a millisecond past it: refused
    expect((await usage('last', iso(end, 36 * DAY), cluster.deleteAt)).status).toBe(200);
    const after = await usage('after', iso(end, 36 * DAY), iso(cluster.deleteAt, 1));
    expect(after.status, after.body).toBe(400);
    expect(after.json.error.code).toBe('VALIDATION_FAILED');
    for (const day of [DAY, 10 * DAY]) {
      const month = iso(end, day).slice(0, 7);
      const bill = await api(t, 'GET', `/v1/orgs/${org.id}/bills/${month}`, { auth: org.admin.auth });
      expect(bill.status, bill.body).toBe(200);
      const lines = bill.json.lines.filter(
        (l: { kind: string; clusterId: string }) => l.kind === 'usage' && l.clusterId === cluster.id,
      );
      expect(lines.length).toBeGreaterThan(0);
    }
  });
});
