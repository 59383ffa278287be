// pgbench on the same PostgreSQL server: the machine's own limit (the built-in TPC-B-like transaction), and
// Tally's own pay statement as a custom script (bench/pay-statement.ts), each run right before the HTTP pay
// run at the same client count. Every run logs each transaction (--log) for exact p50/p99, and measures its WAL
// and its backends' CPU.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BenchContext,
  dropDb,
  freshDb,
  measureResources,
  type PerUnit,
  PG_HOST,
  PG_USER,
  percentile,
  perUnit,
  progress,
  type ResourceUse,
  round,
  seconds,
  shAsync,
  WORK_DIR,
} from './lib.js';

export const PGBENCH_DB = 'tally_pgbench';
const PGBENCH = process.env.BENCH_PGBENCH ?? '/usr/bin/pgbench';
const connection = () => ['-h', PG_HOST, '-p', String(process.env.BENCH_PG_PORT ?? 5432), '-U', PG_USER];

export interface PgbenchResult {
  clients: number;
  /** transactions per second (pgbench's figure, without the initial connection time) */
  tps: number;
  transactions: number;
  failed: number;
  /** the most transactions one client ran (a custom script's per-client counter went this far) */
  maxPerClient: number;
  latencyAverageMs: number;
  p50Ms: number;
  p99Ms: number;
  /** WAL and PostgreSQL CPU per transaction (or per payment, for the pay statement: see `payments`) */
  perTransaction?: PerUnit;
  use?: ResourceUse;
}

export async function pgbenchInit(ctx: BenchContext, scale = 10): Promise<void> {
  ctx.header(`pgbench: initialize TPC-B-like, scale ${scale}`);
  await freshDb(PGBENCH_DB);
  const bar = progress(`pgbench -i -s ${scale}`);
  const t0 = Date.now();
  await shAsync(PGBENCH, ['-i', '-s', String(scale), '-q', ...connection(), PGBENCH_DB], {
    onStderr: (s) => bar.update(s.trim().split('\n').pop() ?? ''),
  });
  bar.done(`done in ${seconds(t0).toFixed(1)} s`);
}

/**
 * Per-transaction latencies (ms) from pgbench's --log files in `dir` (one file per thread), and the most
 * transactions one client ran.
 */
function loggedTransactions(dir: string): { ms: number[]; maxPerClient: number } {
  const ms: number[] = [];
  const perClient = new Map<string, number>();
  for (const f of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      // client_id transaction_no time script_no time_epoch time_us [schedule_lag]; time in µs
      const [client, , time] = line.split(' ');
      const us = Number(time);
      if (!line || client === undefined || !Number.isFinite(us)) continue;
      ms.push(us / 1000);
      perClient.set(client, (perClient.get(client) ?? 0) + 1);
    }
  }
  return { ms, maxPerClient: Math.max(0, ...perClient.values()) };
}

/**
 * One pgbench run of `ctx.duration` seconds at `clients` clients: the built-in TPC-B-like transaction on
 * tally_pgbench, or `script` (a custom script, -f) with its variables on database `db`. `units` counts what the
 * per-transaction costs are divided by (default: pgbench's transactions).
 */
export async function pgbenchRun(
  ctx: BenchContext,
  clients: number,
  o: {
    label?: string;
    db?: string;
    script?: string;
    variables?: Record<string, string | number>;
    units?: (transactions: number) => Promise<number>;
  } = {},
): Promise<PgbenchResult> {
  const db = o.db ?? PGBENCH_DB;
  const label = o.label ?? 'TPC-B';
  const bar = progress(`pgbench ${label} -c ${clients}`);
  const logDir = join(WORK_DIR, `pgbench-log-${label.replace(/\W+/g, '-')}-${clients}`);
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const args = [
    '-c',
    String(clients),
    '-j',
    '2',
    '-T',
    String(ctx.duration),
    '-P',
    '3',
    '--log',
    `--log-prefix=${join(logDir, 'tx')}`,
    // A script runs prepared: parsed and planned once per connection, as the server runs its hot statements.
    ...(o.script ? ['-n', '-M', 'prepared', '-f', o.script] : []),
    ...Object.entries(o.variables ?? {}).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
    ...connection(),
    db,
  ];
  const { result, use } = await measureResources(db, null, () =>
    shAsync(PGBENCH, args, { onStderr: (s) => bar.update(s.trim().split('\n').pop() ?? '') }),
  );
  const { out } = result;
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? Number.NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? Number.NaN);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? 0);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const { ms, maxPerClient } = loggedTransactions(logDir);
  rmSync(logDir, { recursive: true, force: true });
  const units = o.units ? await o.units(transactions) : transactions;
  const res: PgbenchResult = {
    clients,
    tps: round(tps, 1),
    transactions,
    failed,
    maxPerClient,
    latencyAverageMs: latency,
    p50Ms: round(percentile(ms, 50), 2),
    p99Ms: round(percentile(ms, 99), 2),
    perTransaction: perUnit(use, units),
    use,
  };
  bar.done(
    `${res.tps} TPS, p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms${failed ? `, ${failed} failed` : ''}; ` +
      `${res.perTransaction?.walBytes} WAL bytes and ${res.perTransaction?.postgresBackendCpuMs} ms backend CPU per ${o.units ? 'payment' : 'transaction'} (${units}); load ${use.loadAverage.join('→')}, machine ${use.machineCpuBusyPercent}% busy`,
  );
  return res;
}

export const pgbenchDrop = () => dropDb(PGBENCH_DB);
