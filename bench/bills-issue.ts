// Bills for 100,000 orgs: the orders-list data set (when the list bench ran before, and kept it) grown with
// the CLI's seeder to 100,000 orgs, or else `tally seed`'s data set of one order per org; then the CLI's
// `tally bills issue --month <last month>` (the same code as the monthly job: 250 orgs per transaction, 4
// transactions at a time), capped in time: when capped, the rate so far and the projected total are reported,
// marked as projected.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  type BenchContext,
  busyPercent,
  cpuSeconds,
  dropDb,
  freshDb,
  machineTicks,
  pgUrl,
  progress,
  round,
  sampleWaits,
  size,
  sleep,
  summarizeWaits,
  withClient,
} from './lib.js';
import { withSeed } from './seed.js';

export interface BillsResult {
  available: boolean;
  note?: string;
  database?: string;
  orgs?: number;
  capSeconds?: number;
  dataSet?: string;
  seedSeconds?: number;
  month?: string;
  postgresBackendsBy?: Record<string, number>;
  machineCpuBusyPercent?: number;
  cliCpuMsPerBill?: number;
  billsWithLines?: number;
  completed?: boolean;
  billsIssued?: number;
  seconds?: number;
  billsPerSecond?: number;
  projectedSecondsFor100k?: number | null;
}

/** `listDb`: the list bench's database, kept for this one (it is dropped here). */
export async function billsBench(ctx: BenchContext, listDb: string | null): Promise<BillsResult> {
  const ORGS = size('BENCH_BILLS_ORGS', 100_000);
  const CAP_S = size('BENCH_BILLS_SECONDS', 120);
  ctx.header(`bills: issue a month for ${ORGS.toLocaleString('en')} orgs`);
  const cli = 'dist/server/src/cli/main.js';
  if (!existsSync(cli)) return { available: false, note: `not available: ${cli} missing` };
  const out: BillsResult = { available: true, database: 'PostgreSQL', orgs: ORGS, capSeconds: CAP_S };
  const t0 = Date.now();
  const DB = listDb ?? 'tally_bench_bills';
  if (listDb) {
    // The list data set (orders over the last 60 days, most of them paid) plus orgs without orders up to the
    // total, all created 60 days ago so that last month is billable.
    out.dataSet = 'the orders-list data set plus orgs without orders up to the total (tally seed)';
    const have = await withClient(
      DB,
      async (c) => (await c.query<{ n: number }>('select count(*)::int as n from orgs')).rows[0]?.n ?? 0,
    );
    const more = ORGS - have;
    if (more > 0)
      await withSeed(
        { DATABASE_URL: pgUrl(DB) },
        [{ label: 'orgs without orders', options: { orgs: more, orders: 0, days: 60 } }],
        async () => {},
      );
  } else {
    await freshDb(DB);
    out.dataSet = '`tally seed` (one order per org)';
    await withSeed(
      { DATABASE_URL: pgUrl(DB) },
      [{ label: 'orgs', options: { orgs: ORGS, orders: ORGS, days: 60 } }],
      async () => {},
    );
  }
  await withClient(DB, (c) => c.query('analyze'));
  out.seedSeconds = round((Date.now() - t0) / 1000, 1);
  const env = { ...process.env, DATABASE_URL: pgUrl(DB), TALLY_LOG_LEVEL: 'warn' };
  const d = new Date();
  const month = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
  out.month = month;
  const issueBar = progress(`tally bills issue --month ${month}`);
  const t1 = Date.now();
  const child = spawn(process.execPath, [cli, 'bills', 'issue', '--month', month], { env, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let capped = false;
  let cliCpu = 0;
  const count = () =>
    withClient(
      DB,
      async (c) => (await c.query<{ n: number }>('select count(*)::int as n from bills')).rows[0]!.n,
    );
  const m0 = machineTicks();
  const { waits } = await sampleWaits(DB, async () => {
    for (;;) {
      const done = await Promise.race([exited.then(() => true), sleep(2000).then(() => false)]);
      if (!done) cliCpu = cpuSeconds(child.pid);
      const n = await count();
      issueBar.update(`${n}/${ORGS} bills, ${round(n / ((Date.now() - t1) / 1000), 0)}/s`);
      if (done) break;
      if (Date.now() - t1 > CAP_S * 1000) {
        capped = true;
        child.kill('SIGTERM');
        await exited;
        break;
      }
    }
  });
  const m1 = machineTicks();
  out.postgresBackendsBy = summarizeWaits(waits);
  out.machineCpuBusyPercent = busyPercent(m0, m1);
  const seconds = (Date.now() - t1) / 1000;
  const issued = await count();
  out.cliCpuMsPerBill = round((cliCpu * 1000) / Math.max(issued, 1), 2);
  out.billsWithLines = await withClient(
    DB,
    async (c) =>
      (await c.query<{ n: number }>('select count(*)::int as n from bills where total_amount > 0')).rows[0]!
        .n,
  );
  Object.assign(out, {
    completed: !capped && issued >= ORGS,
    billsIssued: issued,
    seconds: round(seconds, 1),
    billsPerSecond: round(issued / seconds, 1),
    projectedSecondsFor100k: capped ? round(100_000 / (issued / seconds), 0) : null,
  });
  issueBar.done(
    capped
      ? `stopped at the ${CAP_S} s cap: ${issued} bills, ${out.billsPerSecond}/s → 100,000 would take ~${out.projectedSecondsFor100k} s (projected)`
      : `${issued} bills in ${out.seconds} s (${out.billsPerSecond}/s)`,
  );
  await dropDb(DB);
  return out;
}
