import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../server/src/demo/seed-demo.js';
import { api } from '../factories.js';
import { onPostgres, startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

let t: TestTally;

beforeAll(async () => {
  t = await startTestTally();
});

describe('the demo data of `npm start`', () => {
  it('seeds a certified org with orders in every status, a funded balance, and sign-ins that work', async () => {
    const demo = await seedDemo(t.deps);
    expect(demo).not.toBeNull();
    const auth = { authorization: `Bearer ${demo!.apiKey}` };
    const orders = await api(t, 'GET', `/v1/orgs/${demo!.orgId}/orders?limit=100`, { auth });
    const statuses = new Set(orders.json.items.map((o: { status: string }) => o.status));
    expect([...statuses].sort()).toEqual(['cancelled', 'paid', 'timed_out', 'unpaid']);
    const types = new Set(orders.json.items.map((o: { type: string }) => o.type));
    expect([...types].sort()).toEqual(['new_purchase', 'renewal', 'upgrade']);
    const clusters = await api(t, 'GET', `/v1/orgs/${demo!.orgId}/clusters?limit=100`, { auth });
    const states = new Set(clusters.json.items.map((c: { state: string }) => c.state));
    for (const s of ['running', 'expiring', 'expired']) expect(states).toContain(s);
    const balance = await api(t, 'GET', `/v1/orgs/${demo!.orgId}/balance`, { auth });
    expect(balance.json.cash).toBeGreaterThan(0);
    const login = await api(t, 'POST', '/v1/auth/login', {
      body: { email: demo!.email, password: demo!.password },
    });
    expect(login.status).toBe(200);
    for (const other of demo!.others) {
      expect(
        (await api(t, 'POST', '/v1/auth/login', { body: { email: other.email, password: other.password } }))
          .status,
      ).toBe(200);
    }
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('does nothing on a database that already has data', async () => {
    expect(await seedDemo(t.deps)).toBeNull();
  });
});

describe.runIf(onPostgres)('instances started together on one empty database', () => {
  let fresh: TestTally;
  beforeAll(async () => {
    fresh = await startTestTally({ poolSize: 6 });
  });

  it('seed the demo once: one prints the sign-in, the others find its org', async () => {
    const results = await Promise.all([seedDemo(fresh.deps), seedDemo(fresh.deps), seedDemo(fresh.deps)]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const orgs = await fresh.deps.db.selectFrom('orgs').select('id').execute();
    expect(orgs).toHaveLength(1);
    expect(await checkInvariants(fresh.deps.db)).toEqual([]);
  });
});
