import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

/**
 * The orders list's `q`: an order id's beginning, or any part of the cluster name, case-insensitive for the name.
 * Terms of three characters or more take their candidates from order_search's indexes (migration 0014: the id's
 * range, the name's hashed three-character pieces); shorter ones do not: both must find exactly the orders that
 * match.
 */
let t: TestTally;
let org: OrgFixture;
let other: OrgFixture;
const made: Record<string, string> = {};

const NAMES = ['Prod-Vectors', 'prod-backup', 'staging_100%', 'staging-1000', '生产集群-杭州', 'a_b', 'axb'];

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  other = await createOrg(t);
  for (const name of NAMES) {
    const { order } = await buyCluster(t, org, org.admin, { name });
    made[name] = order.id;
    t.clock.advance(60_000);
  }
  // The same name in another org: never found by this org's search.
  await buyCluster(t, other, other.admin, { name: 'Prod-Vectors' });
});

async function search(q: string, as = org): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const qs = new URLSearchParams({ q, limit: '2', ...(cursor ? { cursor } : {}) });
    const r = await api(t, 'GET', `/v1/orgs/${as.id}/orders?${qs}`, { auth: as.admin.auth });
    expect(r.status, q).toBe(200);
    ids.push(...r.json.items.map((o: { id: string }) => o.id));
    cursor = r.json.nextCursor ?? undefined;
  } while (cursor);
  const count = await api(t, 'GET', `/v1/orgs/${as.id}/orders/count?${new URLSearchParams({ q })}`, {
    auth: as.admin.auth,
  });
  expect(count.json, q).toEqual({ total: ids.length });
  return ids;
}

const byName = (...names: string[]) => names.map((n) => made[n]).sort();

describe('GET …/orders?q=', () => {
  it.each([
    ['prod', ['Prod-Vectors', 'prod-backup']],
    ['VECTORS', ['Prod-Vectors']],
    ['od-ve', ['Prod-Vectors']],
    ['staging', ['staging_100%', 'staging-1000']],
    ['100%', ['staging_100%']],
    ['g_1', ['staging_100%']],
    ['集群', ['生产集群-杭州']],
    ['生产集群-杭', ['生产集群-杭州']],
    ['a_b', ['a_b']],
    ['a_', ['a_b']],
    ['_', ['staging_100%', 'a_b']],
    ['b', ['prod-backup', 'a_b', 'axb']],
    ['nothing-like-it', []],
  ])('%s finds %j', async (q, names) => {
    expect((await search(q)).sort()).toEqual(byName(...names));
  });

  it("an order id's beginning finds that order; the middle of an id finds nothing", async () => {
    const id = made.axb!;
    expect(await search(id.slice(0, 12))).toContain(id);
    expect(await search(id)).toEqual([id]);
    expect(await search(id.slice(4, 16))).toEqual([]);
  });

  it("another org's orders are never found, whatever the term", async () => {
    const mine = await search('Prod-Vectors');
    expect(mine).toEqual([made['Prod-Vectors']]);
    const theirs = await search('Prod-Vectors', other);
    expect(theirs).toHaveLength(1);
    expect(theirs).not.toContain(made['Prod-Vectors']);
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });
});
