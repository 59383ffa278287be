import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: a usage event spans at most 31 days, ends at most 1 h after now, has a bounded quantity and a start
 * not absurdly far in the past; no sum of usage can overflow, so one org's bad event never breaks a bill.
 */
let t: TestTally;
let org: OrgFixture;
let clusterId: string;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  clusterId = (await buyCluster(t, org)).cluster.id;
});

const HOUR = 3_600_000;
const event = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  orgId: org.id,
  clusterId,
  metric: 'storage',
  quantity: 10,
  start: new Date(t.clock.now().getTime() - 2 * HOUR).toISOString(),
  end: new Date(t.clock.now().getTime() - HOUR).toISOString(),
  ...over,
});

const usage = (events: object[]) => api(t, 'POST', '/v1/internal/usage', { auth: t.op, body: { events } });

async function storedEvents(orgId: string) {
  const r = await sql<{
    n: number;
  }>`select count(*)::int as n from usage_events where org_id = ${orgId}`.execute(t.deps.db);
  return r.rows[0]!.n;
}

describe('usage bounds at ingest', () => {
  it('refuses an event that ends in year 9999, naming the event and the rule, and stores nothing of the batch', async () => {
    const before = await storedEvents(org.id);
    const r = await usage([event('ok-1'), event('far-end', { end: '9999-12-31T00:00:00Z' })]);
    expect(r.status, r.body).toBe(400);
    expect(r.json.error.code).toBe('VALIDATION_FAILED');
    expect(r.json.error.message).toContain('far-end');
    const issues = r.json.error.details.issues as { eventId: string; rule: string }[];
    expect(issues.map((i) => i.eventId)).toContain('far-end');
    expect(issues.map((i) => i.rule)).toContain('max_future_end');
    expect(await storedEvents(org.id)).toBe(before);
  });

  it.each([
    ['span over 31 days', { start: '2026-09-30T00:00:00Z', end: '2026-11-01T00:00:01Z' }, 'max_span'],
    [
      'end more than 1 h after now',
      { start: '2026-11-02T08:00:00Z', end: '2026-11-02T09:00:01Z' },
      'max_future_end',
    ],
    [
      'start more than 366 days ago',
      { start: '2025-10-31T07:59:59Z', end: '2025-11-01T00:00:00Z' },
      'max_past_start',
    ],
    ['quantity over 10,000,000 GB', { quantity: 10_000_001 }, 'max_quantity'],
  ])('refuses %s', async (_what, over, rule) => {
    const id = `bad-${rule}`;
    const r = await usage([event(id, over)]);
    expect(r.status, r.body).toBe(400);
    expect(r.json.error.code).toBe('VALIDATION_FAILED');
    expect(r.json.error.details.issues).toContainEqual(expect.objectContaining({ eventId: id, rule }));
  });

  it('accepts events at the bounds exactly', async () => {
    const now = t.clock.now().getTime();
    const r = await usage([
      event('edge-span', {
        start: new Date(now - 31 * 24 * HOUR).toISOString(),
        end: new Date(now).toISOString(),
        quantity: 10_000_000,
      }),
      event('edge-future', { start: new Date(now).toISOString(), end: new Date(now + HOUR).toISOString() }),
    ]);
    expect(r.status, r.body).toBe(200);
    expect(r.json.accepted).toBe(2);
  });
});

describe('usage rows from before the bounds', () => {
  it('a poisoned row (ends in 9999, huge quantity) leaves the open bill readable and is not billed', async () => {
    const other = await createOrg(t);
    const otherCluster = (await buyCluster(t, other)).cluster.id;
    const good = await api(t, 'POST', '/v1/internal/usage', {
      auth: t.op,
      body: {
        events: [
          {
            id: 'fine',
            orgId: other.id,
            clusterId: otherCluster,
            metric: 'storage',
            quantity: 100,
            start: '2026-11-02T06:00:00Z',
            end: '2026-11-02T07:00:00Z',
          },
        ],
      },
    });
    expect(good.status, good.body).toBe(200);
    const okBill = await api(t, 'GET', `/v1/orgs/${other.id}/bills/2026-11`, { auth: other.admin.auth });
    expect(okBill.status).toBe(200);
    const fineAmount = okBill.json.usageAmount as number;
    expect(fineAmount).toBeGreaterThan(0);

    // As the unbounded ingest used to store it: 10^9 GB for 70 million hours.
    await sql`insert into usage_events (org_id, id, cluster_id, metric, quantity_milli, start_at, end_at, units,
        micros_per_unit, bill_month, received_at)
      values (${other.id}, 'poison', ${otherCluster}, 'storage', 1000000000000, '2026-11-02T06:00:00Z',
        '9999-12-31T00:00:00Z', 70000000, 417, '2026-11', '2026-11-02T08:00:00Z')`.execute(t.deps.db);

    const month = await api(t, 'GET', `/v1/orgs/${other.id}/bills/2026-11`, { auth: other.admin.auth });
    expect(month.status, month.body).toBe(200);
    expect(month.json.usageAmount).toBe(fineAmount);
    const list = await api(t, 'GET', `/v1/orgs/${other.id}/bills`, { auth: other.admin.auth });
    expect(list.status, list.body).toBe(200);
  });
});
