// `npm run bench`: Tally's figures next to this machine's own limits (pgbench on the same PostgreSQL, in the
// same run). Builds the server, makes its own databases (tally_bench_*, tally_pgbench; never `test`), prints
// progress and a table, and writes bench/results.json and bench/results.md. Options:
//   --duration=S   seconds per throughput measurement (default 12)
//   --only=a,b     run only these parts: pgbench,pay,embedded,list,sweep,bills,external,console
//                  (console: the console's orders page alone, bench/console-orders.ts; a full run measures
//                  it within external)
//   --out=DIR      write the results there instead of bench/ (trial runs; also BENCH_OUT_DIR)
//   --no-build     use the existing dist/
//   --profile      CPU-profile the server during the pay load and print where the time goes
// Sizes (BENCH_* variables) are listed in bench/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { billsBench } from './bills-issue.js';
import { payEmbedded } from './embedded.js';
import { externalBenches } from './external.js';
import { option, outPath, PG_HOST, PG_PORT, PG_USER, round, sh, size } from './lib.js';
import { LIST_DB, listBench } from './list.js';
import { payOnPostgres } from './pay.js';
import { pgbenchDrop, pgbenchInit } from './pgbench.js';
import { sweepBench } from './sweep.js';
import { type RunResults, resultsTable } from './table.js';

const argv = process.argv.slice(2);
// The results, and those of the benchmarks run as child processes (they inherit it).
const out = option(argv, 'out', '');
if (out) process.env.BENCH_OUT_DIR = out;

const PARTS = ['pgbench', 'pay', 'embedded', 'list', 'sweep', 'bills', 'external', 'console'];
const DURATION = Number(option(argv, 'duration', process.env.BENCH_DURATION_S ?? '12'));
// `--only=a,b` or `--only a,b`
const onlyAt = argv.indexOf('--only');
const onlyArg = option(argv, 'only', onlyAt >= 0 ? (argv[onlyAt + 1] ?? '') : '');
const ONLY = onlyArg ? new Set(onlyArg.split(',')) : null;
for (const p of ONLY ?? [])
  if (!PARTS.includes(p)) throw new Error(`--only: unknown part ${p} (${PARTS.join(',')})`);
const wants = (part: string) => !ONLY || ONLY.has(part);
// The console part alone writes its own results-console.json and leaves results.json and results.md (the
// last run of the other parts) as they are.
const consoleOnly = ONLY !== null && [...ONLY].every((p) => p === 'console');
const started = Date.now();
const RESULTS = outPath('results.json');

const ctx = {
  duration: DURATION,
  profile: argv.includes('--profile'),
  build: !argv.includes('--no-build'),
  portBase: Number(process.env.BENCH_PORT_BASE ?? 18310),
  header(title: string) {
    console.log(
      `\n== ${title}  (t+${((Date.now() - started) / 1000).toFixed(0)} s, load ${os.loadavg()[0]?.toFixed(2)})`,
    );
  },
};

function machine() {
  const cpus = os.cpus();
  let postgres = 'unknown';
  try {
    postgres = execFileSync(
      'psql',
      ['-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '-tAc', 'show server_version', 'postgres'],
      { encoding: 'utf8' },
    ).trim();
  } catch {}
  let pgbench = 'unknown';
  try {
    pgbench = execFileSync('/usr/bin/pgbench', ['--version'], { encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
    pgbench,
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
    loadAverageAtEnd: [] as number[],
  };
}

const results: RunResults & {
  generatedAt: string;
  command: string;
  machine: ReturnType<typeof machine>;
  durationSecondsPerMeasurement: number;
  goals: Record<string, string>;
  external?: Awaited<ReturnType<typeof externalBenches>>;
  console?: unknown;
  totalSeconds?: number;
} = {
  generatedAt: new Date().toISOString(),
  command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  machine: machine(),
  durationSecondsPerMeasurement: DURATION,
  goals: {
    httpPayVsPgbench: '>= 1.0x pgbench TPC-B TPS at 32 clients, >= 0.6x at 8',
    httpPayP99Ms8Clients: '<= 50',
    hotOrgVsSpread: '>= 0.5x the spread case',
    payStatementUnderPgbenchVsTpcb: '>= 0.5x pgbench TPC-B TPS at the same client count',
    embeddedPayPerSecond: '>= 1000',
    listP99Ms: '<= 20, and no slower than the last full run (1.1x for noise)',
    sweepOneMillionSeconds: '<= 60',
    billsHundredThousandOrgsSeconds: '<= 60, and no slower than the last full run (1.1x for noise)',
  },
  baseline: baseline(),
};

/** The last full run's list and bills figures (bench/results.json as committed), for "no slower than today". */
function baseline(): RunResults['baseline'] {
  try {
    const last = JSON.parse(readFileSync('bench/results.json', 'utf8'));
    // A partial run (--only) keeps the baseline it had for the parts it did not run.
    return {
      generatedAt: last.generatedAt,
      list: last.list ?? last.baseline?.list,
      bills: last.bills ?? last.baseline?.bills,
    };
  } catch {
    return null;
  }
}

function save() {
  if (consoleOnly) return;
  results.totalSeconds = round((Date.now() - started) / 1000, 0);
  results.machine.loadAverageAtEnd = os.loadavg().map((x) => round(x, 2));
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

async function main() {
  console.log(
    `Tally benchmarks on ${results.machine.cpu} (${results.machine.cores} cores), PostgreSQL ${results.machine.postgres}, Node ${process.version}`,
  );
  if (ctx.build) {
    ctx.header('build the server');
    sh('npm', ['run', 'build:server']);
  }
  if (!existsSync('dist/server/src/main.js'))
    throw new Error('dist/server/src/main.js missing: run npm run build:server');
  const pgbenchWanted = wants('pgbench');
  if (pgbenchWanted) await pgbenchInit(ctx, size('BENCH_PGBENCH_SCALE', 10));
  if (wants('pay')) {
    results.pay = await payOnPostgres(ctx, pgbenchWanted);
    save();
  }
  if (wants('embedded')) {
    results.embedded = await payEmbedded(ctx);
    save();
  }
  let listDb: string | null = null;
  if (wants('list')) {
    // The bills part reuses this data set (orders paid last month make real bill lines); it drops it.
    results.list = await listBench(ctx, { keep: wants('bills') });
    if (wants('bills')) listDb = LIST_DB;
    save();
  }
  if (wants('sweep')) {
    results.sweep = await sweepBench(ctx);
    save();
  }
  if (wants('bills')) {
    results.bills = await billsBench(ctx, listDb);
    save();
  }
  if (wants('external')) {
    ctx.header('benchmarks with their own entry point (documents, bills and usage, console)');
    results.external = await externalBenches(ctx);
    save();
  }
  if (wants('console') && !wants('external')) {
    // The part external runs among the others, alone (`npm run bench -- --only=console`).
    ctx.header('console orders page: bench/console-orders.ts');
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/console-orders.ts',
        `--port=${ctx.portBase + 20}`,
        '--no-build', // the server is built above; the bench builds its console itself
      ],
      { stdio: 'inherit' },
    );
    const file = outPath('results-console.json');
    results.console = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
    save();
  }
  if (pgbenchWanted) await pgbenchDrop();
  save();
  if (consoleOnly) return;
  const { text, markdown } = resultsTable(results);
  console.log(`\n== results\n${text}`);
  writeFileSync(outPath('results.md'), markdown);
  console.log(`\nwrote ${RESULTS} and ${outPath('results.md')} in ${results.totalSeconds} s`);
}

main().catch((err) => {
  console.error(err);
  save();
  process.exit(1);
});
