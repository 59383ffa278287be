// The machine's own limit: pgbench's built-in TPC-B-like transaction on the same PostgreSQL server, run right
// before each HTTP pay run at the same client count.
import {
  type BenchContext,
  dropDb,
  freshDb,
  PG_HOST,
  PG_USER,
  progress,
  round,
  seconds,
  shAsync,
} from './lib.js';

export const PGBENCH_DB = 'tally_pgbench';
const PGBENCH = process.env.BENCH_PGBENCH ?? '/usr/bin/pgbench';
const connection = () => ['-h', PG_HOST, '-p', String(process.env.BENCH_PG_PORT ?? 5432), '-U', PG_USER];

export interface PgbenchResult {
  clients: number;
  tps: number;
  latencyAverageMs: number;
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

export async function pgbenchRun(ctx: BenchContext, clients: number): Promise<PgbenchResult> {
  const bar = progress(`pgbench -c ${clients}`);
  const { out } = await shAsync(
    PGBENCH,
    ['-c', String(clients), '-j', '2', '-T', String(ctx.duration), '-P', '3', ...connection(), PGBENCH_DB],
    { onStderr: (s) => bar.update(s.trim().split('\n').pop() ?? '') },
  );
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? Number.NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? Number.NaN);
  bar.done(`${round(tps, 1)} TPS, latency average ${latency} ms`);
  return { clients, tps: round(tps, 1), latencyAverageMs: latency };
}

export const pgbenchDrop = () => dropDb(PGBENCH_DB);
