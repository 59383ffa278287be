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
  autoRenew: null as unknown,
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

/** Every instance runs its jobs, over and over, until `stop` says so. */
function jobStorm(): { stop(): Promise<void> } {
  let on = true;
  const loop = (async () => {
    while (on)
      await Promise.all(
        servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })),
      );
  })();
  return {
    async stop() {
      on = false;
      await loop;
    },
  };
}

test('auto-renew on three instances racing users: each attempt once, each renewal paid once, the term moves by exactly one term per paid renewal, nothing paid after the recycle', async () => {
  const DAY = 86_400_000;
  const MONTH_FEN = 90_000; // 1 CU, 1 month, list price
  const n = SCALE.bounded ? 8 : 24;
  // Rich has cash for everything; poor for its purchases only, until it tops up at the end.
  const [rich, poor] = await Promise.all([makeOrg(any()), makeOrg(any())]);
  await topUp(any(), rich!, MONTH_FEN * n * 4);
  await topUp(any(), poor!, MONTH_FEN * n);
  const clusters: { org: Org; id: string }[] = [];
  for (const org of [rich!, poor!]) {
    const made = await Promise.all(
      Array.from({ length: n }, () =>
        ok(
          call(any(), 'POST', `/v1/orgs/${org.id}/clusters`, {
            auth: org.admin.auth,
            body: clusterBody(org.projectId),
          }),
          201,
          'create cluster',
        ),
      ),
    );
    for (const m of made) {
      await ok(
        call(any(), 'POST', `/v1/orgs/${org.id}/orders/${m.order.id}/pay`, {
          auth: org.admin.auth,
          body: {},
        }),
        200,
        'pay',
      );
      clusters.push({ org, id: m.cluster.id });
    }
    await ok(
      call(any(), 'PUT', `/v1/orgs/${org.id}/settings/auto-renew`, {
        auth: org.admin.auth,
        body: { enabled: true },
      }),
      200,
      'auto-renew on',
    );
  }
  const endsBefore = new Map<string, number>(
    (
      await db.query('select id, term_ends_at from clusters where id = any($1)', [clusters.map((c) => c.id)])
    ).rows.map((r) => [r.id, r.term_ends_at.getTime()]),
  );
  // Half of the rich org's clusters get a renewal from a user, unpaid: the attempts must reuse it.
  const userRenewals = await Promise.all(
    clusters
      .filter((c, i) => c.org === rich && i % 2 === 0)
      .map(async (c) => {
        const r = await ok(
          call(any(), 'POST', `/v1/orgs/${c.org.id}/clusters/${c.id}/renew`, {
            auth: c.org.admin.auth,
            body: { term: { unit: 'month', count: 1 } },
          }),
          201,
          'renew',
        );
        return { ...c, orderId: r.order.id as string };
      }),
  );
  const firstEnd = Math.min(...endsBefore.values());
  const lastEnd = Math.max(...endsBefore.values());

  // Just before the first attempts: the three instances' jobs run over and over while users double-click
  // their renewals' pay on two instances, across the attempt instant.
  await ok(
    call(any(), 'POST', '/v1/internal/clock', {
      auth: OP,
      body: { now: new Date(firstEnd - 7 * DAY - 1500).toISOString() },
    }),
    200,
    'clock',
  );
  let storm = jobStorm();
  const pays = await Promise.all(
    userRenewals.map(async (u, i) => {
      await sleep(Math.floor((i / userRenewals.length) * 3000));
      const path = `/v1/orgs/${u.org.id}/orders/${u.orderId}/pay`;
      return Promise.all([
        call(servers[i % 3]!.url, 'POST', path, { auth: u.org.admin.auth, body: {} }),
        call(servers[(i + 1) % 3]!.url, 'POST', path, { auth: u.org.admin.auth, body: {} }),
      ]);
    }),
  );
  await storm.stop();
  for (const [x, y] of pays) {
    expect(
      [x.status, y.status].every((s) => s === 200 || s === 409),
      `${x.text} / ${y.text}`,
    ).toBe(true);
    expect([x, y].filter((a) => a.status === 200).length, `${x.text} / ${y.text}`).toBeLessThanOrEqual(1);
  }
  // Every cluster's first attempt is due: the rich org's pay (or find their terms renewed by a user), the poor
  // org's fail for the shortfall and leave a system-made order.
  await ok(
    call(any(), 'POST', '/v1/internal/clock', {
      auth: OP,
      body: { now: new Date(lastEnd - 7 * DAY + 3_600_000).toISOString() },
    }),
    200,
    'clock',
  );
  storm = jobStorm();
  await sleep(1500);
  await storm.stop();
  const rows = async () =>
    (
      await db.query(
        `select c.id, c.org_id, c.term_ends_at,
           (select count(*)::int from orders o where o.org_id = c.org_id and o.cluster_id = c.id and o.type = 'renewal' and o.status = 'paid') as paid_renewals,
           (select count(*)::int from renewal_attempts a where a.org_id = c.org_id and a.cluster_id = c.id) as attempts,
           (select count(*)::int from renewal_attempts a where a.org_id = c.org_id and a.cluster_id = c.id and a.outcome = 'paid') as paid_attempts
         from clusters c where c.id = any($1)`,
        [clusters.map((c) => c.id)],
      )
    ).rows;
  for (const r of await rows()) {
    const before = endsBefore.get(r.id)!;
    if (r.org_id === rich!.id) {
      // Renewed exactly once, by a user or by the system, and the term moved by exactly one month.
      expect(r.paid_renewals, r.id).toBe(1);
      expect(r.term_ends_at.getTime() - before, r.id).toBe(30 * DAY);
      expect(r.paid_attempts).toBeLessThanOrEqual(1);
    } else {
      expect(r.paid_renewals, r.id).toBe(0);
      expect(r.term_ends_at.getTime(), r.id).toBe(before);
      expect(r.attempts, r.id).toBeGreaterThanOrEqual(1);
    }
  }
  const richCash = (await db.query('select cash from balances where org_id = $1', [rich!.id])).rows[0].cash;
  expect(Number(richCash)).toBe(MONTH_FEN * n * 4 - MONTH_FEN * n - MONTH_FEN * n);
  // Failed attempts name the shortfall: the poor org's cash is 0, so the whole amount.
  const failed = await db.query(
    `select amount, shortfall from renewal_attempts where org_id = $1 and outcome = 'failed'`,
    [poor!.id],
  );
  expect(failed.rows.length).toBeGreaterThan(0);
  for (const f of failed.rows) expect(f.shortfall).toBe(f.amount);

  // The poor org tops up just before its clusters' recycle: users pay the system's renewal orders on two
  // instances while the jobs of three run, across the recycle instant. Each order ends once: paid before the
  // recycle (the term moves by one month) or cancelled by the system at it (reason cluster_recycled).
  const poorFirstEnd = Math.min(...clusters.filter((c) => c.org === poor).map((c) => endsBefore.get(c.id)!));
  // The last attempt (k = 13, a day before the recycle) fails too and leaves a renewal order that the
  // system cancels at the recycle, before its own deadline. Then the poor org tops up (a top-up never pays).
  await ok(
    call(any(), 'POST', '/v1/internal/clock', {
      auth: OP,
      body: { now: new Date(poorFirstEnd + 6 * DAY + 3_600_000).toISOString() },
    }),
    200,
    'clock',
  );
  await Promise.all(servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })));
  await topUp(any(), poor!, MONTH_FEN * n * 2);
  // Users pay those orders on two instances while the jobs of three run, across the recycle instant. Each
  // order ends once: paid before the recycle (the term moves by one month) or cancelled by the system at it
  // (reason cluster_recycled).
  const raceFrom = poorFirstEnd + 7 * DAY - 1500;
  await ok(
    call(any(), 'POST', '/v1/internal/clock', { auth: OP, body: { now: new Date(raceFrom).toISOString() } }),
    200,
    'clock',
  );
  const open = (
    await db.query(
      `select id, cluster_id from orders where org_id = $1 and type = 'renewal' and status = 'unpaid'
         and cancel_at < expires_at and expires_at > $2`,
      [poor!.id, new Date(raceFrom)],
    )
  ).rows;
  expect(open.length).toBe(n);
  storm = jobStorm();
  const racing = await Promise.all(
    open.map(async (o, i) => {
      await sleep(Math.floor((i / Math.max(open.length, 1)) * 3000));
      const path = `/v1/orgs/${poor!.id}/orders/${o.id}/pay`;
      return Promise.all([
        call(servers[i % 3]!.url, 'POST', path, { auth: poor!.admin.auth, body: {} }),
        call(servers[(i + 2) % 3]!.url, 'POST', path, { auth: poor!.admin.auth, body: {} }),
      ]);
    }),
  );
  await ok(
    call(any(), 'POST', '/v1/internal/clock', { auth: OP, body: { advanceSeconds: 7 * 86_400 } }),
    200,
    'clock',
  );
  await sleep(500);
  await storm.stop();
  await Promise.all(servers.map((s) => call(s.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} })));
  for (const [x, y] of racing)
    expect([x, y].filter((a) => a.status === 200).length, `${x.text} / ${y.text}`).toBeLessThanOrEqual(1);
  const ended = await db.query(
    `select o.id, o.status, o.paid_at, o.cancel_at, o.cancelled_at, h.reason, h.actor_type
     from orders o join order_history h on h.org_id = o.org_id and h.order_id = o.id and h.seq = 2
     where o.org_id = $1 and o.id = any($2)`,
    [poor!.id, open.map((o) => o.id)],
  );
  expect(ended.rows.length).toBe(open.length);
  for (const r of ended.rows) {
    if (r.status === 'paid') expect(r.paid_at.getTime()).toBeLessThan(r.cancel_at.getTime());
    else {
      expect(r.status).toBe('cancelled');
      expect({ reason: r.reason, actor: r.actor_type, at: r.cancelled_at.getTime() }).toEqual({
        reason: 'cluster_recycled',
        actor: 'system',
        at: r.cancel_at.getTime(),
      });
    }
  }
  for (const r of await rows()) {
    if (r.org_id !== poor!.id) continue;
    expect(r.term_ends_at.getTime() - endsBefore.get(r.id)!, r.id).toBe(r.paid_renewals * 30 * DAY);
    expect(r.paid_renewals).toBeLessThanOrEqual(1);
  }
  const attempts = await db.query(
    `select count(*)::int as n, count(distinct (org_id, cluster_id, term_ends_at, k))::int as d from renewal_attempts`,
  );
  expect(attempts.rows[0].n).toBe(attempts.rows[0].d);
  figures.autoRenew = {
    clusters: clusters.length,
    userPaysRacingAttempts: userRenewals.length,
    attempts: attempts.rows[0].n,
    paysRacingRecycle: open.length,
    paidBeforeRecycle: ended.rows.filter((r) => r.status === 'paid').length,
  };
  expect(await checkInvariants(db)).toEqual([]);
  expect(await db.query('select id from orders where paid_at >= cancel_at').then((r) => r.rows)).toEqual([]);
}, 300_000);
