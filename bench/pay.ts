// Pay over HTTP on PostgreSQL: the real server (`node dist/server/src/main.js`, TALLY_DB_POOL=32), orgs from
// the CLI's seeder, unpaid orders cloned from one per org; closed-loop clients pay different orders round-robin
// over the orgs (the spread case) and all on one org (the hot org), at 8 and 32 clients, each right after
// pgbench at the same client count: the built-in TPC-B-like transaction, then Tally's own pay statement
// (bench/pay-statement.ts) on this database, spread and hot. Every run measures WAL and CPU (server, PostgreSQL
// backends) per payment; also the HTTP floor (GET balance), memory, PostgreSQL backends by wait event, an
// optional V8 profile, and the money invariants afterwards (the statement's payments under pgbench included).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Db } from '../server/src/db/schema.js';
import { invariantViolations } from '../test/invariants.js';
import {
  type BenchContext,
  closedLoop,
  dropDb,
  freshDb,
  type LoadResult,
  measureResources,
  type PerUnit,
  type ProfileSummary,
  perUnit,
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
  withClient,
} from './lib.js';
import {
  explainStatement,
  type PayScript,
  paymentsSoFar,
  payScriptFor,
  type StatementExplain,
} from './pay-statement.js';
import { type PgbenchResult, pgbenchRun } from './pgbench.js';
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

/** An HTTP pay run with what it cost per payment (WAL, server and PostgreSQL CPU) and the machine's load. */
export type HttpPayRun = LoadResult & {
  postgresBackendsBy?: Record<string, number>;
  serverCpuMsPerPay?: number;
  machineCpuBusyPercent?: number;
  perPayment?: PerUnit;
  loadAverage?: [number, number];
  /** WAL bytes/s others wrote in the idle second before the run (pg_stat_wal is server-wide) */
  walBeforeBytesPerSecond?: number;
};

/** Tally's pay statement under pgbench: pgbench's figures, and the payments it really made. */
export type StatementRun = PgbenchResult & { payments: number; paymentsPerSecond: number };

export interface PayRun {
  clients: number;
  pgbenchTps: number | null;
  pgbenchLatencyMs: number | null;
  /** the TPC-B-like run in full (p50/p99, WAL and CPU per transaction) */
  pgbench?: PgbenchResult | null;
  /** the pay statement under pgbench, spread over the orgs and on the hot org */
  statement?: { spread: StatementRun; hot: StatementRun } | null;
  spread: HttpPayRun;
  hot: HttpPayRun;
  ratioToPgbench: number | null;
  hotToSpread: number;
  /** the statement's payments per second under pgbench ÷ TPC-B TPS */
  statementToPgbench?: number | null;
}

export interface PayResult {
  database: string;
  serverPoolSize: number;
  orgs: number;
  ordersPerOrg: number;
  hotOrgOrders: number;
  /** the pay statement's pgbench script: its parameters and which became variables */
  statementScript?: { parameters: string[]; statementChars: number; ordersPerOrg: number; hotOrders: number };
  /** one payment at a time by the statement under EXPLAIN ANALYZE, rolled back: planning and execution */
  statementExplain?: StatementExplain | null;
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
  // The pay statement's own orders under pgbench (its pool): as many as the HTTP runs have, unless told.
  const statementPerOrg = size('BENCH_PAY_PGBENCH_ORDERS', spreadPerOrg);
  const statementHot = size('BENCH_PAY_PGBENCH_HOT_ORDERS', hotCount);
  let orgs: BenchOrg[] = [];
  let script: PayScript | null = null;
  await seedPayOrgs({ DATABASE_URL: pgUrl(DB) }, ORGS, async (db, seeded) => {
    orgs = seeded;
    await cloneUnpaidOrders(db, orgs, spreadPerOrg, 'b');
    await cloneUnpaidOrders(db, orgs.slice(0, 1), hotCount, 'h', { label: 'hot org orders (SQL clone)' });
    if (pgbenchWanted) {
      // named so that the pgbench script computes them: p<k>-<orgId>
      await cloneUnpaidOrders(db, orgs, statementPerOrg, 'p', {
        idsByOrg: true,
        label: 'orders for the pay statement under pgbench',
      });
      await cloneUnpaidOrders(db, orgs.slice(0, 1), statementHot, 'q', {
        idsByOrg: true,
        label: 'hot org orders for pgbench',
      });
      script = await payScriptFor(db, orgs);
    }
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
  const statement = script as PayScript | null;
  if (statement)
    out.statementScript = {
      parameters: statement.parameters,
      statementChars: statement.statementChars,
      ordersPerOrg: statementPerOrg,
      hotOrders: statementHot,
    };
  try {
    await payRuns(ctx, server, DB, orgs, spreadPerOrg, hotCount, pgbenchWanted, out, statement);
  } finally {
    await server.stop();
  }
  if (statement) {
    out.statementExplain = await explainStatement(DB, statement);
    const x = out.statementExplain;
    if (x)
      console.log(
        `  the pay statement alone (EXPLAIN ANALYZE of ${x.payments} payments, rolled back; medians): planning ${x.planningMsMedian} ms, execution ${x.executionMsMedian} ms` +
          ' (PostgreSQL plans it anew each time, as it does for the server)',
      );
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

/** The pay statement under pgbench, `pool` orders of `orgs` orgs named `${pre}${k}-…`, from transaction `base`. */
async function statementRun(
  ctx: BenchContext,
  DB: string,
  script: PayScript,
  clients: number,
  o: { label: string; pre: string; orgs: number; pool: number; base: number },
): Promise<StatementRun> {
  const before = await paymentsSoFar(DB);
  let payments = 0;
  const r = await pgbenchRun(ctx, clients, {
    label: o.label,
    db: DB,
    script: script.path,
    variables: {
      base: o.base,
      nclients: clients,
      n: 0,
      pool: o.pool,
      orgs: o.orgs,
      pre: o.pre,
      now: new Date().toISOString(),
    },
    units: async () => {
      payments = (await paymentsSoFar(DB)) - before;
      return payments;
    },
  });
  if (payments < r.transactions)
    console.log(
      `  ${r.transactions - payments} of ${r.transactions} statements paid nothing (the pool of ${o.pool} orders ran out, after ${o.base} before this run: BENCH_PAY_PGBENCH_ORDERS / BENCH_PAY_PGBENCH_HOT_ORDERS)`,
    );
  return {
    ...r,
    payments,
    paymentsPerSecond: round((r.tps * payments) / Math.max(r.transactions, 1), 1),
  };
}

/**
 * Waits (up to 180 s) until the server's jobs have handled every event in the outbox — provisioning, 站内信 and
 * mails, webhooks: the pay statement's payments under pgbench are the server's to follow up, and an HTTP run
 * measured while that backlog drains would count its work as the run's.
 */
async function drainOutbox(DB: string): Promise<void> {
  const started = Date.now();
  await withClient(DB, async (c) => {
    for (;;) {
      const r = await c.query<{ n: number }>(
        `select count(*)::int as n from outbox_events
         where processed_at is null or notified_at is null or webhooked_at is null`,
      );
      const n = r.rows[0]?.n ?? 0;
      if (n === 0 || Date.now() - started > 180_000) {
        if (n > 0) console.log(`  ${n} events still untold after 180 s; measuring anyway`);
        else if (Date.now() - started > 1_000)
          console.log(
            `  waited ${round((Date.now() - started) / 1000, 1)} s for the server's jobs to handle the outbox`,
          );
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  });
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
  script: PayScript | null,
): Promise<void> {
  const spread = payJobs(orgs, spreadPerOrg, 'b');
  const hot = payJobs(orgs.slice(0, 1), hotCount, 'h');
  let si = 0;
  let hi = 0;
  // Where the statement's pools' numbering goes on (g = base + client + n × clients): past the last run's.
  let statementSpreadBase = 0;
  let statementHotBase = 0;
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
  const httpRun = async (label: string, clients: number, jobs: PayJob[]) => {
    await drainOutbox(DB);
    const load = () =>
      closedLoop({
        label: `${label}, ${clients} clients`,
        clients,
        seconds: ctx.duration,
        jobs,
        send,
        sample: mem,
      });
    const { result, use } = await measureResources(DB, server.pid, async () => sampleWaits(DB, load));
    const run: HttpPayRun = {
      ...result.result,
      postgresBackendsBy: summarizeWaits(result.waits),
      perPayment: perUnit(use, result.result.ok),
      machineCpuBusyPercent: use.machineCpuBusyPercent,
      loadAverage: use.loadAverage,
      walBeforeBytesPerSecond: use.walBeforeBytesPerSecond,
    };
    run.serverCpuMsPerPay = run.perPayment?.serverCpuMs ?? undefined;
    const pp = run.perPayment;
    console.log(
      `  per payment: server CPU ${pp?.serverCpuMs} ms, PostgreSQL backends ${pp?.postgresBackendCpuMs} ms (+ ${pp?.postgresAuxCpuMs} ms WAL writer / checkpointer / bgwriter), WAL ${pp?.walRecords} records, ${pp?.walFpi} FPI, ${pp?.walBytes} bytes; load generator ${use.loadGeneratorCpuSeconds} CPU s; machine ${use.machineCpuBusyPercent}% busy, load ${use.loadAverage.join('→')}`,
    );
    if (run.postgresBackendsBy)
      console.log(
        `  PostgreSQL backends (average count) by state / wait: ${JSON.stringify(run.postgresBackendsBy)}`,
      );
    return run;
  };
  for (const clients of [8, 32]) {
    const pgb = pgbenchWanted ? await pgbenchRun(ctx, clients) : null;
    let statement: PayRun['statement'] = null;
    let statementSpread: StatementRun | null = null;
    if (script) {
      statementSpread = await statementRun(ctx, DB, script, clients, {
        label: 'pay statement, spread',
        pre: 'p',
        orgs: orgs.length,
        pool: orgs.length * (out.statementScript?.ordersPerOrg ?? 0),
        base: statementSpreadBase,
      });
      statementSpreadBase += (statementSpread.maxPerClient + 1) * clients;
    }
    const run = await httpRun('pay spread', clients, spread.slice(si));
    si += run.requests;
    if (script && statementSpread) {
      const statementHot = await statementRun(ctx, DB, script, clients, {
        label: 'pay statement, hot org',
        pre: 'q',
        orgs: 1,
        pool: out.statementScript?.hotOrders ?? 0,
        base: statementHotBase,
      });
      statementHotBase += (statementHot.maxPerClient + 1) * clients;
      statement = { spread: statementSpread, hot: statementHot };
    }
    const hotRun = await httpRun('pay hot org', clients, hot.slice(hi));
    hi += hotRun.requests;
    out.runs.push({
      clients,
      pgbenchTps: pgb?.tps ?? null,
      pgbenchLatencyMs: pgb?.latencyAverageMs ?? null,
      pgbench: pgb,
      statement,
      spread: run,
      hot: hotRun,
      ratioToPgbench: pgb ? round(run.perSecond / pgb.tps, 2) : null,
      hotToSpread: round(hotRun.perSecond / run.perSecond, 2),
      statementToPgbench:
        pgb && statementSpread ? round(statementSpread.paymentsPerSecond / pgb.tps, 2) : null,
    });
  }
  out.memory = {
    peakRssMb: round(server.memory().peakMb, 1),
    rssDuringLoadMaxMb: Math.max(
      ...out.runs.flatMap((r) => [r.spread.peakSample ?? 0, r.hot.peakSample ?? 0]),
    ),
  };
}
