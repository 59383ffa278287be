// Pay over HTTP on the embedded database (PGlite): the same server and load as bench/pay.ts, on a PGlite
// directory seeded (by the CLI's seeder) while no server runs, as PGlite allows one process at a time.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../server/src/db/connect.js';
import { checkInvariants } from '../test/invariants.js';
import {
  type BenchContext,
  closedLoop,
  cpuSeconds,
  type LoadResult,
  type ProfileSummary,
  round,
  size,
  startServer,
  summarizeProfile,
  WORK_DIR,
} from './lib.js';
import { payer, payJobs, seedPayOrgs } from './pay.js';
import { type BenchOrg, cloneUnpaidOrders } from './seed.js';

export interface EmbeddedResult {
  database: string;
  orgs: number;
  ordersPerOrg: number;
  run?: LoadResult & { serverCpuMsPerPay?: number };
  memory?: { peakRssMb: number };
  invariants?: { violations: string[]; ok: boolean };
  profile?: ProfileSummary | null;
}

const violations = (out: EmbeddedResult) => out.invariants?.violations.join('; ');

export async function payEmbedded(ctx: BenchContext): Promise<EmbeddedResult> {
  ctx.header('pay over HTTP on the embedded database (PGlite)');
  const ORGS = size('BENCH_EMBEDDED_ORGS', 100);
  const perOrg = size('BENCH_EMBEDDED_ORDERS', 300);
  const dir = join(WORK_DIR, 'pglite');
  rmSync(dir, { recursive: true, force: true });
  let orgs: BenchOrg[] = [];
  await seedPayOrgs({ TALLY_DATA_DIR: dir }, ORGS, async (db, seeded) => {
    orgs = seeded;
    await cloneUnpaidOrders(db, orgs, perOrg, 'b');
  });
  const profDir = join(WORK_DIR, 'prof-pglite');
  if (ctx.profile) rmSync(profDir, { recursive: true, force: true });
  const server = await startServer({
    name: 'pay-pglite',
    port: ctx.portBase + 1,
    env: { TALLY_DATA_DIR: dir },
    nodeArgs: ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  const out: EmbeddedResult = { database: 'PGlite (embedded)', orgs: orgs.length, ordersPerOrg: perOrg };
  try {
    const jobs = payJobs(orgs, perOrg, 'b');
    const send = payer(server.port);
    const warm = await closedLoop({ label: 'warm-up', clients: 8, seconds: 2, jobs, send });
    const cpu0 = cpuSeconds(server.pid);
    const run = await closedLoop({
      label: 'pay, 8 clients',
      clients: 8,
      seconds: ctx.duration,
      jobs: jobs.slice(warm.requests),
      send,
      sample: () => server.memory().rssMb,
    });
    out.run = {
      ...run,
      serverCpuMsPerPay: round(((cpuSeconds(server.pid) - cpu0) * 1000) / Math.max(run.ok, 1), 2),
    };
    console.log(
      `  server CPU ${out.run.serverCpuMsPerPay} ms per pay (PGlite runs inside the server process)`,
    );
    out.memory = { peakRssMb: round(server.memory().peakMb, 1) };
  } finally {
    await server.stop();
  }
  // The server is stopped: open its directory here and check every invariant of test/invariants.ts.
  const database = await connect({ dataDir: dir });
  try {
    const violations = await checkInvariants(database.db);
    out.invariants = { violations, ok: violations.length === 0 };
  } finally {
    await database.close();
  }
  console.log(`  invariants: ${out.invariants.ok ? 'all hold' : `VIOLATED: ${violations(out)}`}`);
  if (ctx.profile) out.profile = summarizeProfile(profDir);
  rmSync(dir, { recursive: true, force: true });
  return out;
}
