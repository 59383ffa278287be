// Pay over HTTP on PostgreSQL: the real server (`node dist/server/src/main.js`, TALLY_DB_POOL=32), orgs from
// the CLI's seeder, unpaid orders cloned from one per org; closed-loop clients pay different orders round-robin
// over the orgs (the spread case) and all on one org (the hot org), at 8 and 32 clients, each right after
// pgbench at the same client count. Also the HTTP floor (GET balance), memory, CPU per payment, PostgreSQL
// backends by wait event, an optional V8 profile, and the money invariants afterwards.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Db } from '../server/src/db/schema.js';
import { invariantViolations } from '../test/invariants.js';
import {
  type BenchContext,
  busyPercent,
  closedLoop,
  cpuSeconds,
  dropDb,
  freshDb,
  type LoadResult,
  machineTicks,
  type ProfileSummary,
  pgUrl,
  request,
  round,
  type Server,
  sampleWaits,
  size,
  startServer,
  summarizeProfile,
  summarizeWaits,
  WORK_DIR,
} from './lib.js';
import { pgbenchRun } from './pgbench.js';
import { type BenchOrg, cloneUnpaidOrders, withSeed, withTemplates } from './seed.js';

/** Enough cash for every payment of the run (fen). */
export const BENCH_CASH_FEN = 1_000_000_000_000;

export interface PayJob {
  orgId: string;
  orderId: string;
  apiKey: string;
}

/** Round-robin over orgs, so consecutive payments hit different orgs (the spread case). */
export function payJobs(orgs: BenchOrg[], perOrg: number, prefix: string): PayJob[] {
  const jobs: PayJob[] = [];
  for (let k = 1; k <= perOrg; k++)
    for (const o of orgs)
      jobs.push({ orgId: o.orgId, orderId: `${prefix}${k}_${o.templateOrderId}`, apiKey: o.apiKey });
  return jobs;
}

export const payer = (port: number) => (j: PayJob) =>
  request(port, 'POST', `/v1/orgs/${j.orgId}/orders/${j.orderId}/pay`, { auth: j.apiKey, body: {} });

/** Seeds `orgs` orgs (ten orders each, two of them unpaid; ended months billed) and picks a template each. */
export function seedPayOrgs(
  env: Record<string, string>,
  orgs: number,
  then: (db: Db, orgs: BenchOrg[]) => Promise<void>,
): Promise<void> {
  return withSeed(
    env,
    [{ label: 'orgs', options: { orgs, orders: orgs * 10, days: 30, cashFen: BENCH_CASH_FEN } }],
    async (db, [s]) => then(db, await withTemplates(db, s!)),
    { issueBills: true },
  );
}

export interface PayRun {
  clients: number;
  pgbenchTps: number | null;
  pgbenchLatencyMs: number | null;
  spread: LoadResult & {
    postgresBackendsBy?: Record<string, number>;
    serverCpuMsPerPay?: number;
    machineCpuBusyPercent?: number;
  };
  hot: LoadResult;
  ratioToPgbench: number | null;
  hotToSpread: number;
}

export interface PayResult {
  database: string;
  serverPoolSize: number;
  orgs: number;
  ordersPerOrg: number;
  hotOrgOrders: number;
  readFloor?: LoadResult;
  runs: PayRun[];
  memory?: { peakRssMb: number; rssDuringLoadMaxMb: number };
  invariants?: { paid: number; debits: number; violations: string[]; ok: boolean };
  profile?: ProfileSummary | null;
}

/** After the storms: paid orders and debits counted, and every invariant of test/invariants.ts. */
export async function checkInvariants(db: string): Promise<NonNullable<PayResult['invariants']>> {
  // A small pool: the invariant queries run side by side.
  const pool = new pg.Pool({ connectionString: pgUrl(db), max: 4 });
  try {
    const counts = await pool.query<{ paid: number; debits: number }>(`select
      (select count(*)::int from orders where status = 'paid') as paid,
      (select count(*)::int from ledger_transactions where kind = 'order_payment') as debits`);
    const violations = await invariantViolations(async (text) => (await pool.query(text)).rows);
    const { paid, debits } = counts.rows[0]!;
    return { paid, debits, violations, ok: violations.length === 0 };
  } finally {
    await pool.end();
  }
}

export async function payOnPostgres(ctx: BenchContext, pgbenchWanted: boolean): Promise<PayResult> {
  const ORGS = size('BENCH_PAY_ORGS', 1000);
  const spreadPerOrg = size('BENCH_PAY_ORDERS', 90);
  const hotCount = size('BENCH_PAY_HOT_ORDERS', 40_000);
  ctx.header(`pay over HTTP on PostgreSQL: ${ORGS.toLocaleString('en')} orgs`);
  const DB = 'tally_bench_pay';
  await freshDb(DB);
  let orgs: BenchOrg[] = [];
  await seedPayOrgs({ DATABASE_URL: pgUrl(DB) }, ORGS, async (db, seeded) => {
    orgs = seeded;
    await cloneUnpaidOrders(db, orgs, spreadPerOrg, 'b');
    await cloneUnpaidOrders(db, orgs.slice(0, 1), hotCount, 'h', { label: 'hot org orders (SQL clone)' });
  });
  const profDir = join(WORK_DIR, 'prof');
  if (ctx.profile) rmSync(profDir, { recursive: true, force: true });
  const server = await startServer({
    name: 'pay-postgres',
    port: ctx.portBase,
    env: { DATABASE_URL: pgUrl(DB), TALLY_DB_POOL: '32' },
    nodeArgs: ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  const out: PayResult = {
    database: 'PostgreSQL',
    serverPoolSize: 32,
    orgs: ORGS,
    ordersPerOrg: spreadPerOrg,
    hotOrgOrders: hotCount,
    runs: [],
  };
  try {
    await payRuns(ctx, server, DB, orgs, spreadPerOrg, hotCount, pgbenchWanted, out);
  } finally {
    await server.stop();
  }
  out.invariants = await checkInvariants(DB);
  console.log(
    `  invariants: ${out.invariants.paid} paid, ${out.invariants.debits} debits, ${
      out.invariants.ok ? 'all hold' : `VIOLATED: ${out.invariants.violations.join('; ')}`
    }; server peak RSS ${out.memory?.peakRssMb} MB`,
  );
  if (ctx.profile) out.profile = summarizeProfile(profDir);
  await dropDb(DB);
  return out;
}

async function payRuns(
  ctx: BenchContext,
  server: Server,
  DB: string,
  orgs: BenchOrg[],
  spreadPerOrg: number,
  hotCount: number,
  pgbenchWanted: boolean,
  out: PayResult,
): Promise<void> {
  const spread = payJobs(orgs, spreadPerOrg, 'b');
  const hot = payJobs(orgs.slice(0, 1), hotCount, 'h');
  let si = 0;
  let hi = 0;
  const send = payer(server.port);
  const mem = () => server.memory().rssMb;
  // Warm up the JIT and the pools (not counted).
  const warm = await closedLoop({ label: 'warm-up', clients: 8, seconds: 3, jobs: spread.slice(si), send });
  si += warm.requests;
  // The HTTP floor: an authenticated read (the balance) at 8 clients — what the stack does without the pay.
  const reads = Array.from({ length: 200_000 }, (_, i) => orgs[i % orgs.length]!);
  out.readFloor = await closedLoop({
    label: 'GET balance (HTTP floor), 8 clients',
    clients: 8,
    seconds: Math.min(ctx.duration, 6),
    jobs: reads,
    send: (o) => request(server.port, 'GET', `/v1/orgs/${o.orgId}/balance`, { auth: o.apiKey }),
  });
  for (const clients of [8, 32]) {
    const pgb = pgbenchWanted ? await pgbenchRun(ctx, clients) : null;
    const cpu0 = cpuSeconds(server.pid);
    const m0 = machineTicks();
    const { result: run, waits } = await sampleWaits(DB, () =>
      closedLoop({
        label: `pay spread, ${clients} clients`,
        clients,
        seconds: ctx.duration,
        jobs: spread.slice(si),
        send,
        sample: mem,
      }),
    );
    const m1 = machineTicks();
    const spreadRun: PayRun['spread'] = {
      ...run,
      postgresBackendsBy: summarizeWaits(waits),
      serverCpuMsPerPay: round(((cpuSeconds(server.pid) - cpu0) * 1000) / Math.max(run.ok, 1), 2),
      machineCpuBusyPercent: busyPercent(m0, m1),
    };
    console.log(
      `  server CPU ${spreadRun.serverCpuMsPerPay} ms per pay; whole machine ${spreadRun.machineCpuBusyPercent}% busy during the run`,
    );
    console.log(
      `  PostgreSQL backends (average count) by state / wait: ${JSON.stringify(spreadRun.postgresBackendsBy)}`,
    );
    si += run.requests;
    const hotRun = await closedLoop({
      label: `pay hot org, ${clients} clients`,
      clients,
      seconds: ctx.duration,
      jobs: hot.slice(hi),
      send,
      sample: mem,
    });
    hi += hotRun.requests;
    out.runs.push({
      clients,
      pgbenchTps: pgb?.tps ?? null,
      pgbenchLatencyMs: pgb?.latencyAverageMs ?? null,
      spread: spreadRun,
      hot: hotRun,
      ratioToPgbench: pgb ? round(run.perSecond / pgb.tps, 2) : null,
      hotToSpread: round(hotRun.perSecond / run.perSecond, 2),
    });
  }
  out.memory = {
    peakRssMb: round(server.memory().peakMb, 1),
    rssDuringLoadMaxMb: Math.max(
      ...out.runs.flatMap((r) => [r.spread.peakSample ?? 0, r.hot.peakSample ?? 0]),
    ),
  };
}
