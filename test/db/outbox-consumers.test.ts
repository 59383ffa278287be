import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { completeProvisioning, processOutbox } from '../../server/src/clusters/provisioning.js';
import { actsOn, bornColumns, bornColumnsSql } from '../../server/src/outbox/consumers.js';
import { buyCluster, createOrg, type OrgFixture, pay, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  await topUp(t, org, 10_000_000);
});

/** Events of every kind the outbox holds, with the consumers that act on each. */
const EVENTS: [string, Record<string, unknown>, ('outbox' | 'notifications' | 'webhooks')[]][] = [
  ['order.created', { orderId: 'ord_1' }, ['notifications', 'webhooks']],
  ['order.paid', { orderId: 'ord_1', type: 'new_purchase' }, ['outbox', 'notifications', 'webhooks']],
  ['order.cancelled', { orderId: 'ord_1', by: 'system' }, ['webhooks']],
  ['order.timed_out', { orderId: 'ord_1' }, ['notifications', 'webhooks']],
  ['cluster.state_changed', { clusterId: 'cls_1', from: 'pending_payment', to: 'creating' }, []],
  ['cluster.state_changed', { clusterId: 'cls_1', from: 'creating', to: 'running' }, []],
  ['cluster.state_changed', { clusterId: 'cls_1', from: 'running', to: 'upgrading' }, []],
  ['cluster.state_changed', { clusterId: 'cls_1', from: 'running', to: 'expiring' }, []],
  [
    'cluster.state_changed',
    { clusterId: 'cls_1', from: 'expiring', to: 'expired' },
    ['notifications', 'webhooks'],
  ],
  ['cluster.state_changed', { clusterId: 'cls_1', from: 'expired', to: 'recycled' }, ['notifications']],
  [
    'renewal.attempted',
    { clusterId: 'cls_1', outcome: 'failed', shortfall: 1 },
    ['notifications', 'webhooks'],
  ],
  ['renewal.attempted', { clusterId: 'cls_1', outcome: 'paid' }, []],
  ['alert.order_unpaid', { orderId: 'ord_1' }, ['notifications']],
  ['alert.cluster_expiring', { clusterId: 'cls_1', daysLeft: 7 }, ['notifications', 'webhooks']],
  ['alert.balance_low', { cash: 1, threshold: 2 }, ['notifications', 'webhooks']],
  ['alert.balance_recovered', { cash: 2, threshold: 2 }, ['notifications']],
  ['topup.credited', { amount: 5 }, ['notifications', 'webhooks']],
  ['bill.issued', { month: '2026-11' }, ['notifications', 'webhooks']],
  ['bill.overdue', { month: '2026-11' }, ['notifications', 'webhooks']],
  ['bill.unpaid', { month: '2026-11' }, ['notifications']],
  ['bill.paid', { month: '2026-11' }, []],
  ['invoice.issued', { invoiceId: 'inv_1' }, []],
  ['org.auto_renew_changed', { enabled: true }, []],
];

describe('an event is born done for every consumer that never acts on it', () => {
  it.each(EVENTS)('%s %j: acted on by %j', (type, payload, consumers) => {
    for (const c of ['outbox', 'notifications', 'webhooks'] as const)
      expect(actsOn(c, type, payload), c).toBe(consumers.includes(c));
  });

  it('the statement form (events written inside SQL) agrees with the row form for every kind', async () => {
    const now = new Date('2026-12-01T00:00:00.000Z');
    for (const [type, payload] of EVENTS) {
      for (const literal of [true, false]) {
        // A literal type (emitSql with a name) and a type computed per row (the sweep's 'order.' || status).
        const typeSql = literal ? sql.lit(type) : sql`${type}::text`;
        const born = bornColumnsSql(typeSql, sql`${JSON.stringify(payload)}::jsonb`, now);
        const r = await sql<Record<string, Date | null>>`select ${born.processed_at} as processed_at,
          ${born.notified_at} as notified_at, ${born.webhooked_at} as webhooked_at`.execute(t.deps.db);
        const row = r.rows[0] ?? {};
        const got = Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, v === null ? null : new Date(v).toISOString()]),
        );
        const want = Object.fromEntries(
          Object.entries(bornColumns(type, payload, now)).map(([k, v]) => [k, v?.toISOString() ?? null]),
        );
        expect(got, `${type} ${JSON.stringify(payload)}`).toEqual(want);
      }
    }
  });

  it("a payment's cluster steps are born done; its order.paid waits for each consumer, and each takes it", async () => {
    const { order, cluster } = await buyCluster(t, org);
    expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
    const events = () =>
      t.deps.db
        .selectFrom('outbox_events')
        .select(['type', 'payload', 'created_at', 'processed_at', 'notified_at', 'webhooked_at'])
        .where('org_id', '=', org.id)
        .where('aggregate_id', 'in', [order.id, cluster.id])
        .where('type', '<>', 'order.created')
        .orderBy('id')
        .execute();
    const paid = (await events()).find((e) => e.type === 'order.paid');
    expect(paid).toMatchObject({ processed_at: null, notified_at: null, webhooked_at: null });

    // Provisioning alone takes it (the cluster → creating), and later finishes it (→ running): two steps nobody
    // acts on, done for every consumer from their birth, before any other job has run.
    await processOutbox(t.deps.db, t.clock.now(), t.deps.config.provisionSeconds);
    t.clock.advance(3_600_000);
    await completeProvisioning(t.deps.db, t.clock.now());
    const steps = (await events()).filter((e) => e.type === 'cluster.state_changed');
    expect(steps.map((e) => (e.payload as { to: string }).to)).toEqual(['creating', 'running']);
    for (const e of steps) {
      expect(e.processed_at?.toISOString()).toBe(e.created_at.toISOString());
      expect(e.notified_at?.toISOString()).toBe(e.created_at.toISOString());
      expect(e.webhooked_at?.toISOString()).toBe(e.created_at.toISOString());
    }
    expect((await events()).find((e) => e.type === 'order.paid')).toMatchObject({
      notified_at: null,
      webhooked_at: null,
    });
    await t.jobs.runAllOnce();
    const after = await events();
    const taken = after.find((e) => e.type === 'order.paid');
    expect(taken?.processed_at).not.toBeNull();
    expect(taken?.notified_at).not.toBeNull();
    expect(taken?.webhooked_at).not.toBeNull();
    const told = await t.deps.db
      .selectFrom('notifications')
      .select('category')
      .where('org_id', '=', org.id)
      .where('link', 'like', `%${order.id}`)
      .execute();
    expect(told.map((n) => n.category)).toContain('order_paid');
  });
});
