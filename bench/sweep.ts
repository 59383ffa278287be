// The timeout sweep: 1,000,000 unpaid new purchases (each with its cluster) cloned from the seeded orgs'
// unpaid orders, all due at once; the server runs with TALLY_TEST_CLOCK=1 and its default sweeper (every 5 s,
// batches of 5,000). The copy k of each org's order is due k ms after a common deadline, so orders due
// together lie together on disk, as orders created together do (BENCH_SWEEP_WINDOW_MS=1000 spreads them over
// one second by k mod 1000 instead, which scatters each sweeper batch over the whole table). The clock is
// moved straight to the last deadline and the copies still unpaid are counted every 250 ms. Figures: seconds
// from the last deadline until all are persisted, the sweeper's rate, an upper bound on the worst lateness,
// the CPU time of the database's PostgreSQL backends and of the server, the machine's load; then the timeouts,
// history rows, events and cancelled clusters of the copies are counted (each must be exactly one per order).
import os from 'node:os';
import { connect } from '../server/src/db/connect.js';
import {
  type BenchContext,
  busyPercent,
  cpuSeconds,
  dropDb,
  freshDb,
  machineTicks,
  must,
  OPERATOR_TOKEN,
  pgUrl,
  progress,
  request,
  round,
  size,
  sleep,
  startServer,
  withClient,
} from './lib.js';
import { seedPayOrgs } from './pay.js';
import { type BenchOrg, cloneUnpaidOrders } from './seed.js';

export interface SweepResult {
  database: string;
  orders: number;
  sweepIntervalMs: number;
  batch: number;
  seeded?: number;
  completed?: boolean;
  counts?: {
    timed_out: number;
    history: number;
    events: number;
    clusters_cancelled: number;
    /** events of the copies' clusters: none (nobody consumes pending_payment → cancelled) */
    cluster_events: number;
  };
  /** the deadlines' spread: k ms after the first for copy k (time-ordered), or k mod this many ms */
  windowMs?: number;
  persistSecondsAfterLastDeadline?: number;
  sweepWorkSeconds?: number | null;
  ordersPerSecond?: number | null;
  worstLatenessSecondsUpperBound?: number;
  /** CPU seconds of the database's PostgreSQL backends and of the server while it swept */
  postgresCpuSeconds?: number;
  serverCpuSeconds?: number;
  machineBusyPercent?: number;
  loadAverage?: { start: number; end: number };
}

const PREFIX = 'sw';

/** CPU seconds used so far by the PostgreSQL backends connected to `db` (other sessions of the server excluded). */
async function backendsCpu(c: import('pg').Client, db: string): Promise<Map<number, number>> {
  const r = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [db]);
  return new Map(r.rows.map((x) => [x.pid, cpuSeconds(x.pid)]));
}

export async function sweepBench(ctx: BenchContext): Promise<SweepResult> {
  const TOTAL = size('BENCH_SWEEP_ORDERS', 1_000_000);
  const ORGS = size('BENCH_SWEEP_ORGS', 100);
  ctx.header(`timeout sweep: ${TOTAL.toLocaleString('en')} overdue orders`);
  const DB = 'tally_bench_sweep';
  await freshDb(DB);
  let orgs: BenchOrg[] = [];
  await seedPayOrgs({ DATABASE_URL: pgUrl(DB) }, ORGS, async (_db, seeded) => {
    orgs = seeded;
  });
  const server = await startServer({
    name: 'sweep',
    port: ctx.portBase + 3,
    env: { DATABASE_URL: pgUrl(DB), TALLY_TEST_CLOCK: '1' },
  });
  const out: SweepResult = { database: 'PostgreSQL', orders: TOTAL, sweepIntervalMs: 5000, batch: 5000 };
  try {
    const op = OPERATOR_TOKEN;
    const clockNow = new Date(
      (await must(request(server.port, 'GET', '/v1/internal/clock', { auth: op }), 200, 'clock')).now,
    );
    // Deadlines a day ahead in test-clock time; then the clock moves straight past the last one.
    const deadline = new Date(clockNow.getTime() + 86_400_000);
    const perOrg = Math.ceil(TOTAL / orgs.length);
    const windowMs = size('BENCH_SWEEP_WINDOW_MS', perOrg + 1);
    out.windowMs = windowMs;
    const database = await connect({ databaseUrl: pgUrl(DB), poolSize: 2 });
    try {
      out.seeded = await cloneUnpaidOrders(database.db, orgs, perOrg, PREFIX, {
        deadline,
        windowMs,
        label: 'sweep data set',
      });
    } finally {
      await database.close();
    }
    out.orders = out.seeded;
    // The last deadline: copy k is due at deadline + (k mod windowMs) ms.
    const lastDeadline = deadline.getTime() + Math.min(windowMs - 1, perOrg);
    const wallAtMove = Date.now();
    await must(
      request(server.port, 'POST', '/v1/internal/clock', {
        auth: op,
        body: { now: new Date(lastDeadline).toISOString() },
      }),
      200,
      'move clock',
    );
    const offset = lastDeadline - wallAtMove; // clock = wall + offset
    const seeded = out.seeded;
    const load0 = os.loadavg()[0] ?? 0;
    const ticks0 = machineTicks();
    const serverCpu0 = cpuSeconds(server.pid);
    const bar = progress('sweeping');
    await withClient(DB, async (c) => {
      const pgCpu0 = await backendsCpu(c, DB);
      let remaining = seeded;
      // The sweeper's work starts after the last poll that saw no progress (an upper bound on its time).
      let firstProgressWall: number | null = null;
      let lastIdlePollWall = Date.now();
      const limitWall = Date.now() + 900_000;
      // Progress from the table's update counter, which costs nothing; counting the unpaid copies would read
      // the whole backlog every poll, on the cores the sweep needs.
      const updates = async () =>
        Number(
          (
            await c.query<{ n: string }>(
              `select n_tup_upd as n from pg_stat_user_tables where relid = 'orders'::regclass`,
            )
          ).rows[0]?.n ?? 0,
        );
      const updates0 = await updates();
      while (remaining > 0 && Date.now() < limitWall) {
        await sleep(250);
        const pollWall = Date.now();
        // Only the copies (the seeded orders are due later, or already final): is any still unpaid?
        const r = await c.query<{ any: boolean }>(
          `select exists (select 1 from orders where status = 'unpaid' and expires_at < $1::timestamptz
             and id like '${PREFIX}%') as any`,
          [new Date(lastDeadline + 1000)],
        );
        const done = Math.min(seeded, (await updates()) - updates0);
        remaining = r.rows[0]?.any ? Math.max(1, seeded - done) : 0;
        if (remaining === seeded) lastIdlePollWall = pollWall;
        else if (firstProgressWall === null) firstProgressWall = lastIdlePollWall;
        bar.update(`~${seeded - remaining}/${seeded} timed out`);
      }
      const doneWall = Date.now();
      const doneClock = doneWall + offset;
      const pgCpu1 = await backendsCpu(c, DB);
      out.postgresCpuSeconds = round(
        [...pgCpu1].reduce((sum, [pid, cpu]) => sum + cpu - (pgCpu0.get(pid) ?? 0), 0),
        1,
      );
      out.serverCpuSeconds = round(cpuSeconds(server.pid) - serverCpu0, 1);
      out.machineBusyPercent = busyPercent(ticks0, machineTicks());
      out.loadAverage = { start: round(load0, 1), end: round(os.loadavg()[0] ?? 0, 1) };
      const counts = await c.query<NonNullable<SweepResult['counts']>>(`
        select (select count(*)::int from orders where status = 'timed_out' and id like '${PREFIX}%') as timed_out,
               (select count(*)::int from order_history where seq = 2 and to_status = 'timed_out'
                  and order_id like '${PREFIX}%') as history,
               (select count(*)::int from outbox_events where type = 'order.timed_out'
                  and aggregate_id like '${PREFIX}%') as events,
               (select count(*)::int from clusters where state = 'cancelled' and id like 'cl${PREFIX}%') as clusters_cancelled,
               (select count(*)::int from outbox_events where type = 'cluster.state_changed'
                  and aggregate_id like 'cl${PREFIX}%') as cluster_events`);
      out.completed = remaining === 0;
      out.counts = counts.rows[0]!;
      out.persistSecondsAfterLastDeadline = round((doneClock - lastDeadline) / 1000, 1);
      out.sweepWorkSeconds = firstProgressWall ? round((doneWall - firstProgressWall) / 1000, 1) : null;
      out.ordersPerSecond = out.sweepWorkSeconds ? round(seeded / out.sweepWorkSeconds, 0) : null;
      // Upper bound: every deadline is at or after `deadline`, and every order was persisted by `doneClock`.
      out.worstLatenessSecondsUpperBound = round((doneClock - deadline.getTime()) / 1000, 1);
      bar.done(
        `${out.counts.timed_out} timed out; persisted ${out.persistSecondsAfterLastDeadline} s after the last deadline; ` +
          `sweeper work ${out.sweepWorkSeconds} s (${out.ordersPerSecond}/s); worst lateness <= ${out.worstLatenessSecondsUpperBound} s; ` +
          `CPU: PostgreSQL ${out.postgresCpuSeconds} s, server ${out.serverCpuSeconds} s; machine ${out.machineBusyPercent} % busy, load ${out.loadAverage.start} → ${out.loadAverage.end}`,
      );
    });
  } finally {
    await server.stop();
  }
  await dropDb(DB);
  return out;
}
