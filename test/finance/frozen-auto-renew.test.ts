import { beforeAll, describe, expect, it } from 'vitest';
import { api, createOrg, runningCluster, topUp } from '../factories.js';
import { BILLING_TEST_CATALOG, startTestTally, type TestTally } from '../harness.js';
import { balance, getBill, orgWithCluster, runJobs, usageOf } from './helpers.js';

let t: TestTally;

beforeAll(async () => {
  t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
});

/**
 * SPEC §10.3 says a frozen org cannot renew clusters; §8.4 is silent on a frozen org's auto-renew. Tally skips
 * the attempt (recorded, reason `org_frozen`, no order, no charge); once the overdue bills are paid the next
 * attempt renews as usual.
 */
describe('auto-renew of a frozen org', () => {
  it('records the attempts as skipped while frozen, and renews once the overdue bill is paid', async () => {
    const { org, clusterId } = await orgWithCluster(t, createOrg);
    t.clock.set('2026-11-10T12:00:00Z');
    await usageOf(t, org, clusterId, 3000);
    // A 1-month cluster bought and paid on Nov 28: its term ends on Dec 28, attempts from Dec 21.
    t.clock.set('2026-11-28T12:00:00Z');
    const monthly = await runningCluster(t, org);
    const on = await api(t, 'PUT', `/v1/orgs/${org.id}/settings/auto-renew`, {
      auth: org.admin.auth,
      body: { enabled: true },
    });
    expect(on.status, on.body).toBe(200);
    // November's bill: issued Dec 1, confirmed Dec 4 with no cash, overdue (frozen) on Dec 18.
    for (const at of ['2026-12-01T00:01:00Z', '2026-12-04T00:00:00Z', '2026-12-18T00:00:00Z']) {
      t.clock.set(at);
      await runJobs(t);
    }
    expect((await getBill(t, org, '2026-11')).status).toBe('overdue');
    expect((await balance(t, org)).frozen).toBe(true);

    t.clock.set(new Date(Date.parse(monthly.termEndsAt) - 7 * 86_400_000).toISOString());
    await runJobs(t);
    await runJobs(t);
    const attempts = async () =>
      (
        await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${monthly.id}/renewal-attempts`, {
          auth: org.admin.auth,
        })
      ).json.items;
    expect(await attempts()).toEqual([
      expect.objectContaining({
        k: 0,
        outcome: 'skipped',
        reason: 'org_frozen',
        orderId: null,
        amount: null,
      }),
    ]);
    const renewals = await api(t, 'GET', `/v1/orgs/${org.id}/orders?type=renewal`, { auth: org.admin.auth });
    expect(renewals.json.items).toEqual([]);

    // Paid (a top-up: the bill first, the rest is cash): the next attempt renews from cash.
    const c = await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${monthly.id}`, { auth: org.admin.auth });
    t.clock.advance(3_600_000);
    await topUp(t, org, 3000 + 200_000);
    expect(await balance(t, org)).toMatchObject({ frozen: false, amountDue: 0 });
    t.clock.set(new Date(Date.parse(monthly.termEndsAt) - 6 * 86_400_000).toISOString());
    await runJobs(t);
    const [latest] = await attempts();
    expect(latest).toMatchObject({ k: 1, outcome: 'paid' });
    const after = await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${monthly.id}`, { auth: org.admin.auth });
    expect(Date.parse(after.json.termEndsAt)).toBeGreaterThan(Date.parse(c.json.termEndsAt));
  });
});
