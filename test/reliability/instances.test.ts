import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  call,
  checkInvariants,
  clusterBody,
  createDatabase,
  makeOrg,
  newPgPool,
  OP,
  type Org,
  ok,
  recordFigures,
  SCALE,
  type ServerProcess,
  sleep,
  startServer,
  topUp,
} from './support.js';

/**
 * Many instances: three server processes on one PostgreSQL, each with its own sweeper and provisioner running
 * every 200 ms, under load and test-clock jumps; payments are double-clicked across instances. Every timeout,
 * every provisioning step and every bill must happen exactly once — counted in the database.
 */
const ROUNDS = SCALE.bounded ? 3 : 8;
const ORDERS_PER_ROUND = SCALE.bounded ? 30 : 80;
const figures = {
  instances: 3,
  rounds: ROUNDS,
  orders: 0,
  crossInstanceDoublePays: 0,
  upgrades: 0,
  timeouts: 0,
  provisioningSteps: 0,
  clockJumps: 0,
  bills: 'not available' as string | number,
  deadlineRaces: null as unknown,
};

let database: { url: string; name: string; drop(): Promise<void> };
let db: pg.Pool;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  database = await createDatabase('multi');
  // The first start migrates; the others start on the migrated database at once.
  servers.push(await startServer('multi-0', database.url, env()));
  servers.push(...(await Promise.all([1, 2].map((i) => startServer(`multi-${i}`, database.url, env())))));
  db = newPgPool(database.url);
}, 180_000);

afterAll(async () => {
  recordFigures('instances', figures);
  await Promise.all(servers.map((s) => s.stop()));
  await db?.end();
  await database?.drop();
});

function env() {
  return { TALLY_SWEEP_INTERVAL_MS: '200', TALLY_PROVISION_SECONDS: '600', TALLY_DB_POOL: '6' };
}

const any = () => servers[Math.floor(Math.random() * servers.length)]!.url;

async function waitQuiet(): Promise<void> {
  const now = new Date((await ok(call(any(), 'GET', '/v1/internal/clock', { auth: OP }), 200, 'clock')).now);
  for (let i = 0; i < 200; i++) {
    const r = await db.query(
      `select (select count(*)::int from orders where status = 'unpaid' and expires_at <= $1) as due,
              (select count(*)::int from clusters where state in ('creating', 'upgrading') and ready_at <= $1) as ready,
              (select count(*)::int from outbox_events where processed_at is null and type = 'order.paid') as events`,
      [now],
    );
    const row = r.rows[0];
    if (row.due === 0 && row.ready === 0 && row.events === 0) return;
    await sleep(100);
  }
  throw new Error('the background jobs of three instances did not catch up within 20 s');
}

test('three instances, one database: every timeout, provisioning step and bill happens exactly once', async () => {
  const orgs: Org[] = await Promise.all(Array.from({ length: 4 }, () => makeOrg(any())));
  for (const o of orgs) await topUp(any(), o, 270_000 * ORDERS_PER_ROUND * ROUNDS * 4);
  const running: { org: Org; clusterId: string; cu: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Purchases on random instances, and upgrades of clusters that are running.
    const created: { org: Org; orderId: string }[] = [];
    await Promise.all(
      Array.from({ length: ORDERS_PER_ROUND }, async (_, i) => {
        const org = orgs[i % orgs.length]!;
        const r = await ok(
          call(any(), 'POST', `/v1/orgs/${org.id}/clusters`, {
            auth: org.admin.auth,
            body: clusterBody(org.projectId, 1, 3),
          }),
          201,
          'create cluster',
        );
        created.push({ org, orderId: r.order.id });
      }),
    );
    await Promise.all(
      running.splice(0).map(async (c) => {
        const r = await call(any(), 'POST', `/v1/orgs/${c.org.id}/clusters/${c.clusterId}/upgrade`, {
          auth: c.org.admin.auth,
          body: { cuSize: c.cu * 2 },
        });
        expect(r.status, r.text).toBe(201);
        figures.upgrades++;
        created.push({ org: c.org, orderId: r.json.order.id });
      }),
    );
    figures.orders += created.length;
    // Pay two thirds of them, each with a double click that lands on two different instances.
    const toPay = created.filter((_, i) => i % 3 !== 2);
    await Promise.all(
      toPay.map(async ({ org, orderId }) => {
        const a = Math.floor(Math.random() * 3);
        const b = (a + 1 + Math.floor(Math.random() * 2)) % 3;
        const path = `/v1/orgs/${org.id}/orders/${orderId}/pay`;
        const [x, y] = await Promise.all([
          call(servers[a]!.url, 'POST', path, { auth: org.admin.auth, body: {} }),
          call(servers[b]!.url, 'POST', path, { auth: org.admin.auth, body: {} }),
        ]);
        figures.crossInstanceDoublePays++;
        expect([x.status, y.status].sort(), `${x.text} / ${y.text}`).toEqual([200, 409]);
      }),
    );
    // Past every deadline and every provisioning time; all three instances run their jobs at once too.
    await ok(
      call(any(), 'POST', '/v1/internal/clock', { auth: OP, body: { advanceSeconds: 8 * 86_400 } }),
      200,
      'clock',
    );
    figures.clockJumps++;
    await Promise.all(
      servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })),
    );
    await waitQuiet();
    await Promise.all(
      servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })),
    );
    await waitQuiet();
    const r = await db.query(
      `select o.org_id, o.cluster_id, c.cu_size from orders o join clusters c on c.org_id = o.org_id and c.id = o.cluster_id
       where o.status = 'paid' and o.id = any($1) and c.state = 'running'`,
      [toPay.map((p) => p.orderId)],
    );
    for (const row of r.rows) {
      if (row.cu_size < 64)
        running.push({
          org: orgs.find((o) => o.id === row.org_id)!,
          clusterId: row.cluster_id,
          cu: row.cu_size,
        });
    }
    expect(await checkInvariants(db)).toEqual([]);
  }

  // Let provisioning that started after the last jump finish too.
  await ok(
    call(any(), 'POST', '/v1/internal/clock', { auth: OP, body: { advanceSeconds: 86_400 } }),
    200,
    'clock',
  );
  await Promise.all(servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })));
  await waitQuiet();
  const stillBusy = await db.query(
    `select count(*)::int as n from clusters where state in ('creating', 'upgrading')`,
  );
  expect(stillBusy.rows[0].n).toBe(0);

  // Timeouts: one row, one history entry, one event per timed-out order.
  const t = (
    await db.query(`
      select (select count(*)::int from orders where status = 'timed_out') as orders,
             (select count(*)::int from order_history where seq = 2 and to_status = 'timed_out') as history,
             (select count(*)::int from outbox_events where type = 'order.timed_out') as events,
             (select count(distinct (org_id, aggregate_id))::int from outbox_events where type = 'order.timed_out') as distinct_events`)
  ).rows[0];
  figures.timeouts = t.orders;
  expect(t.orders).toBeGreaterThan(0);
  expect(t).toEqual({ orders: t.orders, history: t.orders, events: t.orders, distinct_events: t.orders });

  // Provisioning: each step of each cluster exactly once.
  const dup = await db.query(`
    select org_id, aggregate_id, payload->>'from' as "from", payload->>'to' as "to", payload->>'orderId' as order_id, count(*)::int as n
    from outbox_events where type = 'cluster.state_changed' and payload->>'to' <> 'running'
    group by 1, 2, 3, 4, 5 having count(*) > 1`);
  expect(dup.rows).toEqual([]);
  const steps = (
    await db.query(`
      select
        (select count(*)::int from orders where status = 'paid' and type = 'new_purchase') as purchases,
        (select count(*)::int from orders where status = 'paid' and type = 'upgrade') as upgrades,
        (select count(*)::int from outbox_events where type = 'cluster.state_changed' and payload->>'from' = 'pending_payment' and payload->>'to' = 'creating') as creating,
        (select count(*)::int from outbox_events where type = 'cluster.state_changed' and payload->>'from' = 'creating' and payload->>'to' = 'running') as created,
        (select count(*)::int from outbox_events where type = 'cluster.state_changed' and payload->>'from' = 'running' and payload->>'to' = 'upgrading') as upgrading,
        (select count(*)::int from outbox_events where type = 'cluster.state_changed' and payload->>'from' = 'upgrading' and payload->>'to' = 'running') as upgraded,
        (select count(*)::int from outbox_events where type = 'order.paid' and processed_at is null) as unprocessed`)
  ).rows[0];
  figures.provisioningSteps = steps.creating + steps.created + steps.upgrading + steps.upgraded;
  expect(steps).toEqual({
    purchases: steps.purchases,
    upgrades: steps.upgrades,
    creating: steps.purchases,
    created: steps.purchases,
    upgrading: steps.upgrades,
    upgraded: steps.upgrades,
    unprocessed: 0,
  });

  // Bills, once the billing feature exists: at most one bill per org and month.
  const billsTable = await db.query(
    `select column_name from information_schema.columns where table_schema = 'public' and table_name = 'bills'`,
  );
  const cols = billsTable.rows.map((r: { column_name: string }) => r.column_name);
  const monthCol = cols.find((c: string) => c === 'month' || c === 'bill_month' || c === 'period');
  if (monthCol) {
    const b = await db.query(`select org_id, ${monthCol} as m, count(*)::int as n from bills group by 1, 2`);
    figures.bills = b.rows.length;
    expect(b.rows.filter((r: { n: number }) => r.n > 1)).toEqual([]);
  }
  expect(await checkInvariants(db)).toEqual([]);
}, 900_000);

test('pay racing the deadline and three sweepers: paid before it or timed out at it, never both, never after', async () => {
  const orgs: Org[] = await Promise.all(Array.from({ length: 3 }, () => makeOrg(any())));
  for (const o of orgs) await topUp(any(), o, 90_000 * 100);
  const n = SCALE.bounded ? 45 : 150;
  const made = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const org = orgs[i % orgs.length]!;
      const r = await ok(
        call(any(), 'POST', `/v1/orgs/${org.id}/clusters`, {
          auth: org.admin.auth,
          body: clusterBody(org.projectId),
        }),
        201,
        'create cluster',
      );
      return { org, orderId: r.order.id as string, expiresAt: Date.parse(r.order.expiresAt) };
    }),
  );
  // Move the shared clock to 1.5 s before the earliest deadline: the storm below crosses every deadline.
  const earliest = Math.min(...made.map((m) => m.expiresAt));
  await ok(
    call(any(), 'POST', '/v1/internal/clock', {
      auth: OP,
      body: { now: new Date(earliest - 1500).toISOString() },
    }),
    200,
    'clock',
  );
  let storming = true;
  const sweepers = (async () => {
    while (storming) {
      await Promise.all(
        servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })),
      );
    }
  })();
  const answers = await Promise.all(
    made.map(async (m, i) => {
      // Spread the payments over ~3 s so that some land before and some after their deadline.
      await sleep(Math.floor((i / made.length) * 3000));
      const path = `/v1/orgs/${m.org.id}/orders/${m.orderId}/pay`;
      const [x, y] = await Promise.all([
        call(servers[i % 3]!.url, 'POST', path, { auth: m.org.admin.auth, body: {} }),
        call(servers[(i + 1) % 3]!.url, 'POST', path, { auth: m.org.admin.auth, body: {} }),
      ]);
      return { m, x, y };
    }),
  );
  storming = false;
  await sweepers;
  await ok(
    call(any(), 'POST', '/v1/internal/clock', { auth: OP, body: { advanceSeconds: 60 } }),
    200,
    'clock',
  );
  await Promise.all(servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })));
  await waitQuiet();
  const rows = await db.query(
    `select id, status, paid_at, expires_at, timed_out_at from orders where id = any($1)`,
    [made.map((m) => m.orderId)],
  );
  const byId = new Map<string, { status: string; paid_at: Date | null; expires_at: Date }>(
    rows.rows.map((r) => [r.id, r]),
  );
  let paid = 0;
  let timedOut = 0;
  for (const { m, x, y } of answers) {
    const row = byId.get(m.orderId)!;
    const oks = [x, y].filter((a) => a.status === 200);
    expect(
      [x.status, y.status].every((s) => s === 200 || s === 409),
      `${x.text} / ${y.text}`,
    ).toBe(true);
    expect(oks.length, `${m.orderId}: ${x.text} / ${y.text}`).toBeLessThanOrEqual(1);
    if (oks.length === 1) {
      expect(row.status).toBe('paid');
      expect(row.paid_at!.getTime()).toBeLessThan(row.expires_at.getTime());
      paid++;
    } else {
      expect(row.status, `${m.orderId} was refused twice (${x.text}) but is ${row.status}`).toBe('timed_out');
      for (const a of [x, y]) expect(['paid', 'timed_out']).toContain(a.json?.error?.details?.status);
      timedOut++;
    }
  }
  figures.deadlineRaces = { orders: made.length, paidBeforeDeadline: paid, timedOut };
  expect(await checkInvariants(db)).toEqual([]);
}, 300_000);
