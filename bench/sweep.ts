// The timeout sweep: 1,000,000 unpaid new purchases (each with its cluster) cloned from the seeded orgs'
// unpaid orders, all due within one second of test-clock time; the server runs with TALLY_TEST_CLOCK=1 and
// its default sweeper (every 5 s, batches of 5,000). The clock is moved to 3 s before the deadlines and the
// copies still unpaid are counted every 250 ms. Figures: seconds from the last deadline until all are
// persisted, the sweeper's rate, an upper bound on the worst lateness; then the timeouts, history rows, events
// and cancelled clusters of the copies are counted (each must be exactly one per order).
import { connect } from '../server/src/db/connect.js';
import {
  type BenchContext,
  dropDb,
  freshDb,
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
  counts?: { timed_out: number; history: number; events: number; clusters_cancelled: number };
  persistSecondsAfterLastDeadline?: number;
  sweepWorkSeconds?: number | null;
  ordersPerSecond?: number | null;
  worstLatenessSecondsUpperBound?: number;
}

const WINDOW_MS = 1000;
const PREFIX = 'sw';

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
    // Deadlines a day ahead in test-clock time, all within one second; then move the clock to just before them.
    const deadline = new Date(clockNow.getTime() + 86_400_000);
    const perOrg = Math.ceil(TOTAL / orgs.length);
    const database = await connect({ databaseUrl: pgUrl(DB), poolSize: 2 });
    try {
      out.seeded = await cloneUnpaidOrders(database.db, orgs, perOrg, PREFIX, {
        deadline,
        windowMs: WINDOW_MS,
        label: 'sweep data set',
      });
    } finally {
      await database.close();
    }
    out.orders = out.seeded;
    const lead = 3000;
    const wallAtMove = Date.now();
    await must(
      request(server.port, 'POST', '/v1/internal/clock', {
        auth: op,
        body: { now: new Date(deadline.getTime() - lead).toISOString() },
      }),
      200,
      'move clock',
    );
    const offset = deadline.getTime() - lead - wallAtMove; // clock = wall + offset
    const lastDeadline = deadline.getTime() + WINDOW_MS;
    const seeded = out.seeded;
    const bar = progress('sweeping');
    await withClient(DB, async (c) => {
      let remaining = seeded;
      // The sweeper's work starts after the last poll that saw no progress (an upper bound on its time).
      let firstProgressWall: number | null = null;
      let lastIdlePollWall = Date.now();
      const limitWall = Date.now() + 600_000;
      while (remaining > 0 && Date.now() < limitWall) {
        await sleep(250);
        const pollWall = Date.now();
        // Only the copies (the seeded orders are due later, or already final).
        const r = await c.query<{ n: number }>(
          `select count(*)::int as n from orders
           where status = 'unpaid' and expires_at < $1::timestamptz and id like '${PREFIX}%'`,
          [new Date(lastDeadline + 1000)],
        );
        remaining = r.rows[0]?.n ?? 0;
        if (remaining === seeded) lastIdlePollWall = pollWall;
        else if (firstProgressWall === null) firstProgressWall = lastIdlePollWall;
        bar.update(`${seeded - remaining}/${seeded} timed out`);
      }
      const doneWall = Date.now();
      const doneClock = doneWall + offset;
      const counts = await c.query<NonNullable<SweepResult['counts']>>(`
        select (select count(*)::int from orders where status = 'timed_out' and id like '${PREFIX}%') as timed_out,
               (select count(*)::int from order_history where seq = 2 and to_status = 'timed_out'
                  and order_id like '${PREFIX}%') as history,
               (select count(*)::int from outbox_events where type = 'order.timed_out'
                  and aggregate_id like '${PREFIX}%') as events,
               (select count(*)::int from clusters where state = 'cancelled' and id like 'cl${PREFIX}%') as clusters_cancelled`);
      out.completed = remaining === 0;
      out.counts = counts.rows[0]!;
      out.persistSecondsAfterLastDeadline = round((doneClock - lastDeadline) / 1000, 1);
      out.sweepWorkSeconds = firstProgressWall ? round((doneWall - firstProgressWall) / 1000, 1) : null;
      out.ordersPerSecond = out.sweepWorkSeconds ? round(seeded / out.sweepWorkSeconds, 0) : null;
      // Upper bound: every deadline is at or after `deadline`, and every order was persisted by `doneClock`.
      out.worstLatenessSecondsUpperBound = round((doneClock - deadline.getTime()) / 1000, 1);
      bar.done(
        `${out.counts.timed_out} timed out; persisted ${out.persistSecondsAfterLastDeadline} s after the last deadline; ` +
          `sweeper work ${out.sweepWorkSeconds} s (${out.ordersPerSecond}/s); worst lateness <= ${out.worstLatenessSecondsUpperBound} s`,
      );
    });
  } finally {
    await server.stop();
  }
  await dropDb(DB);
  return out;
}
