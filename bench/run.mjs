#!/usr/bin/env node
// `npm run bench`: Tally's figures next to this machine's own limits (pgbench on the same PostgreSQL, in the
// same run). Builds the server, makes its own databases (tally_bench_*, tally_pgbench; never `test`), prints
// progress and a table, and writes bench/results.json. Options:
//   --duration=S   seconds per throughput measurement (default 12)
//   --only=a,b     run only these parts: pgbench,pay,embedded,list,sweep,bills,external
//   --no-build     use the existing dist/
//   --profile      CPU-profile the server during the pay load and print where the time goes
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  closedLoop,
  dropDb,
  freshDb,
  must,
  OPERATOR_TOKEN,
  percentile,
  pgUrl,
  progress,
  request,
  round,
  sh,
  shAsync,
  sleep,
  startServer,
  WORK_DIR,
  withClient,
} from './lib.mjs';
import { cloneOrgRows, cloneUnpaidOrders, makeOrgs, seedListDataSet, seedSweepDataSet } from './seed.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};
const DURATION = Number(opt('duration', process.env.BENCH_DURATION_S ?? 12));
const ONLY = opt('only', '') ? new Set(opt('only', '').split(',')) : null;
const wants = (part) => !ONLY || ONLY.has(part);
const PROFILE = argv.includes('--profile');
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 18310);
const op = OPERATOR_TOKEN;
const started = Date.now();
const RESULTS = 'bench/results.json';

const results = {
  generatedAt: new Date().toISOString(),
  command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  machine: machine(),
  durationSecondsPerMeasurement: DURATION,
  goals: {
    httpPayVsPgbench: '>= 1.0x pgbench TPS at the same client count',
    hotOrgVsSpread: '>= 0.5x the spread case',
    embeddedPayPerSecond: '>= 1000',
    listP99Ms: '<= 20',
    sweepOneMillionSeconds: '<= 60',
    billsHundredThousandOrgsSeconds: '<= 60',
  },
};

function machine() {
  const cpus = os.cpus();
  let pgVersion = 'unknown';
  try {
    pgVersion = execFileSync(
      'psql',
      ['-h', '127.0.0.1', '-U', 'postgres', '-tAc', 'show server_version', 'postgres'],
      {
        encoding: 'utf8',
      },
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
    postgres: pgVersion,
    pgbench,
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
  };
}

function header(title) {
  console.log(
    `\n== ${title}  (t+${((Date.now() - started) / 1000).toFixed(0)} s, load ${os.loadavg()[0].toFixed(2)})`,
  );
}

function save() {
  results.totalSeconds = round((Date.now() - started) / 1000, 0);
  results.machine.loadAverageAtEnd = os.loadavg().map((x) => round(x, 2));
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------- pgbench
const PGBENCH_DB = 'tally_pgbench';
async function pgbenchInit() {
  header('pgbench: initialize TPC-B-like, scale 10');
  await freshDb(PGBENCH_DB);
  const bar = progress('pgbench -i -s 10');
  const t0 = Date.now();
  await shAsync(
    '/usr/bin/pgbench',
    ['-i', '-s', '10', '-q', '-h', '127.0.0.1', '-U', 'postgres', PGBENCH_DB],
    {
      onStderr: (s) => bar.update(s.trim().split('\n').pop() ?? ''),
    },
  );
  bar.done(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function pgbenchRun(clients) {
  const bar = progress(`pgbench -c ${clients}`);
  const { out } = await shAsync(
    '/usr/bin/pgbench',
    [
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(DURATION),
      '-P',
      '3',
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      PGBENCH_DB,
    ],
    { onStderr: (s) => bar.update(s.trim().split('\n').pop() ?? '') },
  );
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
  bar.done(`${round(tps, 1)} TPS, latency average ${latency} ms`);
  return { clients, tps: round(tps, 1), latencyAverageMs: latency };
}

// ---------------------------------------------------------------------------------------------- pay
function payJobs(orgs, perOrg, prefix, orgFilter = () => true) {
  // Round-robin over orgs, so consecutive payments hit different orgs (the spread case).
  const jobs = [];
  for (let k = 1; k <= perOrg; k++)
    for (const o of orgs.filter(orgFilter))
      jobs.push({ orgId: o.orgId, orderId: `${prefix}${k}_${o.templateOrderId}`, apiKey: o.apiKey });
  return jobs;
}

function payer(port) {
  return (j) =>
    request(port, 'POST', `/v1/orgs/${j.orgId}/orders/${j.orderId}/pay`, { auth: j.apiKey, body: {} });
}

/** After a storm: every paid order debited exactly once, and cash equal to the sum of the cash entries. */
async function checkMoney(db) {
  return withClient(db, async (c) => {
    const r = await c.query(`
      select
        (select count(*)::int from orders where status = 'paid') as paid,
        (select count(*)::int from ledger_transactions where kind = 'order_payment') as debits,
        (select count(*)::int from balances b where b.cash <> coalesce((select sum(amount) from ledger_entries e
           where e.org_id = b.org_id and e.account = 'cash'), 0)) as orgs_off,
        (select count(*)::int from balances where cash < 0) as negative`);
    const row = r.rows[0];
    return { ...row, ok: row.paid === row.debits && row.orgs_off === 0 && row.negative === 0 };
  });
}

async function payOnPostgres(pgbenchWanted) {
  header('pay over HTTP on PostgreSQL: 1,000 orgs');
  const DB = 'tally_bench_pay';
  await freshDb(DB);
  const profDir = join(WORK_DIR, 'prof');
  if (PROFILE) rmSync(profDir, { recursive: true, force: true });
  const server = await startServer({
    name: 'pay-postgres',
    port: PORT_BASE,
    env: { DATABASE_URL: pgUrl(DB), TALLY_DB_POOL: '32' },
    nodeArgs: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  const out = { database: 'PostgreSQL', serverPoolSize: 32, orgs: 1000 };
  try {
    const orgs = await makeOrgs(server.port, op, 1000, { label: 'orgs (HTTP)' });
    const bar = progress('orders (SQL clone)');
    const t0 = Date.now();
    const spreadPerOrg = 90;
    const hotCount = 40_000;
    await withClient(DB, async (c) => {
      await cloneUnpaidOrders(c, orgs, spreadPerOrg, 'b');
      await cloneUnpaidOrders(c, [orgs[0]], hotCount, 'h');
      await c.query('analyze');
    });
    bar.done(
      `${orgs.length * spreadPerOrg + hotCount} unpaid orders in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const spread = payJobs(orgs, spreadPerOrg, 'b');
    const hot = payJobs([orgs[0]], hotCount, 'h');
    let si = 0;
    let hi = 0;
    const send = payer(server.port);
    const mem = () => server.memory().rssMb;
    // Warm up the JIT and the pools (not counted).
    const warm = await closedLoop({ label: 'warm-up', clients: 8, seconds: 3, jobs: spread.slice(si), send });
    si += warm.requests;
    // The HTTP floor: an authenticated read (the balance) at 8 clients — what the stack does without the pay.
    const reads = Array.from({ length: 200_000 }, (_, i) => orgs[i % orgs.length]);
    out.readFloor = await closedLoop({
      label: 'GET balance (HTTP floor), 8 clients',
      clients: 8,
      seconds: Math.min(DURATION, 6),
      jobs: reads,
      send: (o) => request(server.port, 'GET', `/v1/orgs/${o.orgId}/balance`, { auth: o.apiKey }),
    });
    out.runs = [];
    for (const clients of [8, 32]) {
      const pgb = pgbenchWanted ? await pgbenchRun(clients) : null;
      const cpu0 = cpuSeconds(server.pid);
      const m0 = machineTicks();
      const { result: run, waits } = await sampleWaits(DB, () =>
        closedLoop({
          label: `pay spread, ${clients} clients`,
          clients,
          seconds: DURATION,
          jobs: spread.slice(si),
          send,
          sample: mem,
        }),
      );
      run.postgresBackendsBy = summarizeWaits(waits);
      const m1 = machineTicks();
      run.serverCpuMsPerPay = round(((cpuSeconds(server.pid) - cpu0) * 1000) / Math.max(run.ok, 1), 2);
      run.machineCpuBusyPercent = round((100 * (m1.busy - m0.busy)) / Math.max(m1.total - m0.total, 1), 0);
      console.log(
        `  server CPU ${run.serverCpuMsPerPay} ms per pay; whole machine ${run.machineCpuBusyPercent}% busy during the run`,
      );
      console.log(
        `  PostgreSQL backends (average count) by state / wait: ${JSON.stringify(run.postgresBackendsBy)}`,
      );
      si += run.requests;
      const hotRun = await closedLoop({
        label: `pay hot org, ${clients} clients`,
        clients,
        seconds: DURATION,
        jobs: hot.slice(hi),
        send,
        sample: mem,
      });
      hi += hotRun.requests;
      out.runs.push({
        clients,
        pgbenchTps: pgb?.tps ?? null,
        pgbenchLatencyMs: pgb?.latencyAverageMs ?? null,
        spread: run,
        hot: hotRun,
        ratioToPgbench: pgb ? round(run.perSecond / pgb.tps, 2) : null,
        hotToSpread: round(hotRun.perSecond / run.perSecond, 2),
      });
    }
    out.memory = {
      peakRssMb: round(server.memory().peakMb, 1),
      rssDuringLoadMaxMb: Math.max(
        ...out.runs.map((r) => r.spread.peakSample ?? 0),
        ...out.runs.map((r) => r.hot.peakSample ?? 0),
      ),
    };
    out.moneyCheck = await checkMoney(DB);
    console.log(
      `  money check: ${JSON.stringify(out.moneyCheck)}; server peak RSS ${out.memory.peakRssMb} MB`,
    );
  } finally {
    await server.stop();
  }
  if (PROFILE) out.profile = summarizeProfile(profDir);
  await dropDb(DB);
  return out;
}

/**
 * Where PostgreSQL's side of the time goes: samples pg_stat_activity of the database every 50 ms while `fn`
 * runs and returns the share of backends per state / wait event (e.g. 'idle in transaction' = waiting for
 * the app's next statement; WALSync = commit flushing).
 */
async function sampleWaits(db, fn) {
  const c = new pg.Client({ connectionString: pgUrl('postgres'), application_name: 'bench-sampler' });
  await c.connect();
  const counts = new Map();
  let samples = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const r = await c.query(
        `select state, coalesce(wait_event_type || ':' || wait_event, 'cpu') as w, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as q from pg_stat_activity
         where datname = $1 and backend_type = 'client backend' and state <> 'idle'`,
        [db],
      );
      samples++;
      for (const row of r.rows) {
        // BENCH_SAMPLE_QUERIES=1 also splits by statement (to find the expensive one).
        const k = `${row.state} / ${row.w}${process.env.BENCH_SAMPLE_QUERIES ? ` / ${row.q}` : ''}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      await sleep(50);
    }
  })();
  try {
    return { result: await fn(), waits: { samples, counts } };
  } finally {
    stop = true;
    await loop;
    await c.end();
  }
}

/** CPU seconds used so far by a process (utime + stime, at 100 ticks/s). */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Busy and total CPU ticks of the whole machine (from /proc/stat). */
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function summarizeWaits({ samples, counts }) {
  const rows = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return Object.fromEntries(rows.map(([k, n]) => [k, round(n / Math.max(samples, 1), 2)]));
}

/** Self time by function from the V8 CPU profile(s) in `dir`: where the server's time goes. */
function summarizeProfile(dir) {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const dt = p.timeDeltas;
    for (let i = 0; i < p.samples.length; i++) {
      const n = byId.get(p.samples[i]);
      const cf = n.callFrame;
      const url = cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
      const key = `${cf.functionName || '(anonymous)'} ${url}:${cf.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
      total += dt[i] ?? 0;
    }
  }
  const byPackage = new Map();
  for (const [k, us] of self) {
    const m = / ([^ ]*)$/.exec(k)?.[1] ?? '';
    const pkg = m.startsWith('dist/')
      ? 'tally (dist)'
      : m.startsWith('node:') || m === ':0'
        ? k.startsWith('(garbage') || k.startsWith('(idle') || k.startsWith('(program')
          ? k.split(' ')[0]
          : 'node internals'
        : (m.split('/')[m.startsWith('@') ? 1 : 0] ?? m);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
  const pkgs = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log('  CPU profile of the server (self time):');
  for (const [k, us] of pkgs) console.log(`    ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  return {
    totalSeconds: round(total / 1e6, 1),
    byPackagePercent: Object.fromEntries(pkgs.map(([k, us]) => [k, round((100 * us) / total, 1)])),
    topFunctionsPercent: Object.fromEntries(top.map(([k, us]) => [k, round((100 * us) / total, 1)])),
  };
}

async function payEmbedded() {
  header('pay over HTTP on the embedded database (PGlite)');
  const dir = join(WORK_DIR, 'pglite');
  rmSync(dir, { recursive: true, force: true });
  const env = { TALLY_DATA_DIR: dir };
  let server = await startServer({ name: 'pay-pglite-setup', port: PORT_BASE + 1, env });
  let orgs;
  try {
    orgs = await makeOrgs(server.port, op, 100, { label: 'orgs (HTTP)' });
  } finally {
    await server.stop();
  }
  // The server is stopped: open its directory here and clone orders with the same SQL as on PostgreSQL.
  const perOrg = 300;
  {
    const bar = progress('orders (SQL clone)');
    const t0 = Date.now();
    const { PGlite } = await import('@electric-sql/pglite');
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    const pglite = await PGlite.create(join(dir, 'pg'));
    const c = new pg.Client(createPgConfig(pglite));
    await c.connect();
    await cloneUnpaidOrders(c, orgs, perOrg, 'b');
    await c.query('analyze');
    await c.end();
    await pglite.close();
    bar.done(`${orgs.length * perOrg} unpaid orders in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const profDir = join(WORK_DIR, 'prof-pglite');
  if (PROFILE) rmSync(profDir, { recursive: true, force: true });
  server = await startServer({
    name: 'pay-pglite',
    port: PORT_BASE + 1,
    env,
    nodeArgs: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  const out = { database: 'PGlite (embedded)', orgs: orgs.length };
  try {
    const jobs = payJobs(orgs, perOrg, 'b');
    const send = payer(server.port);
    const warm = await closedLoop({ label: 'warm-up', clients: 8, seconds: 2, jobs, send });
    const cpu0 = cpuSeconds(server.pid);
    out.run = await closedLoop({
      label: 'pay, 8 clients',
      clients: 8,
      seconds: DURATION,
      jobs: jobs.slice(warm.requests),
      send,
      sample: () => server.memory().rssMb,
    });
    out.run.serverCpuMsPerPay = round(((cpuSeconds(server.pid) - cpu0) * 1000) / Math.max(out.run.ok, 1), 2);
    console.log(
      `  server CPU ${out.run.serverCpuMsPerPay} ms per pay (PGlite runs inside the server process)`,
    );
    out.memory = { peakRssMb: round(server.memory().peakMb, 1) };
  } finally {
    await server.stop();
  }
  if (PROFILE) out.profile = summarizeProfile(profDir);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

// ---------------------------------------------------------------------------------------------- list
async function latencies(label, n, fn) {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const ms = [];
  const bar = progress(label);
  const statuses = {};
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await fn();
    ms.push(performance.now() - t);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (i % 25 === 0) bar.update(`${i}/${n}`);
  }
  const res = {
    requests: n,
    p50Ms: round(percentile(ms, 50), 2),
    p99Ms: round(percentile(ms, 99), 2),
    maxMs: round(Math.max(...ms), 2),
    statuses,
  };
  bar.done(`p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms (${JSON.stringify(statuses)})`);
  return res;
}

async function listBench() {
  header('orders list: 1,000,000 orders across 10,000 orgs');
  const DB = 'tally_bench_list';
  await freshDb(DB);
  const server = await startServer({ name: 'list', port: PORT_BASE + 2, env: { DATABASE_URL: pgUrl(DB) } });
  const out = { database: 'PostgreSQL' };
  try {
    const [big, typical] = await makeOrgs(server.port, op, 2, {
      cash: 0,
      label: 'orgs (HTTP)',
      concurrency: 1,
    });
    const total = Number(process.env.BENCH_LIST_ORDERS ?? 1_000_000);
    const orgCount = Number(process.env.BENCH_LIST_ORGS ?? 10_000);
    const bigCount = Math.round(total / 10) + 90;
    out.dataSet = await withClient(DB, (c) =>
      seedListDataSet(c, { big, typical, total, orgs: orgCount, bigCount }),
    );
    out.bigOrgOrders = bigCount;
    const deep = await withClient(DB, async (c) => {
      const r = await c.query(
        `select created_at, id from orders where org_id = $1 order by created_at desc, id desc offset $2 limit 1`,
        [big.orgId, Math.floor(out.bigOrgOrders * 0.9)],
      );
      const row = r.rows[0];
      return Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');
    });
    const get = (org, qs) => () =>
      request(server.port, 'GET', `/v1/orgs/${org.orgId}/orders${qs}`, { auth: org.apiKey });
    const N = Number(process.env.BENCH_LIST_REQUESTS ?? 400);
    out.firstPage = await latencies('first page (org with 100k orders)', N, get(big, ''));
    out.filteredPage = await latencies(
      'filtered page (status=paid&type=upgrade)',
      N,
      get(big, '?status=paid&type=upgrade'),
    );
    out.deepCursorPage = await latencies(
      `deep cursor page (after ${Math.floor(out.bigOrgOrders * 0.9)} orders)`,
      N,
      get(big, `?cursor=${deep}`),
    );
    out.searchPage = await latencies('search page (q=cluster-42)', N, get(big, '?q=cluster-42'));
    out.typicalOrgFirstPage = await latencies('first page (org with ~90 orders)', N, get(typical, ''));
    out.p99MaxMs = Math.max(out.firstPage.p99Ms, out.filteredPage.p99Ms, out.deepCursorPage.p99Ms);
    listData = { db: DB, typical };
  } finally {
    await server.stop();
  }
  // The bills part reuses this data set (orders paid last month make real bill lines); it drops it.
  if (!wants('bills')) await dropDb(DB);
  return out;
}

/** The list data set, kept for the bills part. */
let listData = null;

// ---------------------------------------------------------------------------------------------- sweep
async function sweepBench() {
  header('timeout sweep: 1,000,000 overdue orders');
  const DB = 'tally_bench_sweep';
  await freshDb(DB);
  const server = await startServer({
    name: 'sweep',
    port: PORT_BASE + 3,
    env: { DATABASE_URL: pgUrl(DB), TALLY_TEST_CLOCK: '1' },
  });
  const TOTAL = Number(process.env.BENCH_SWEEP_ORDERS ?? 1_000_000);
  const WINDOW_MS = 1000;
  const out = { database: 'PostgreSQL', orders: TOTAL, sweepIntervalMs: 5000, batch: 5000 };
  try {
    const orgs = await makeOrgs(server.port, op, 100, { cash: 0, label: 'orgs (HTTP)' });
    const clockNow = new Date(
      (await must(request(server.port, 'GET', '/v1/internal/clock', { auth: op }), 200, 'clock')).now,
    );
    // Deadlines a day ahead in test-clock time, all within one second; then move the clock to just before them.
    const deadline = new Date(clockNow.getTime() + 86_400_000);
    out.seeded = await withClient(DB, (c) =>
      seedSweepDataSet(c, orgs, { total: TOTAL, deadline, windowMs: WINDOW_MS }),
    );
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
    const bar = progress('sweeping');
    let remaining = out.seeded;
    let firstProgressWall = null;
    const pollClient = new pg.Client({ connectionString: pgUrl(DB) });
    await pollClient.connect();
    const limitWall = Date.now() + 600_000;
    while (remaining > 0 && Date.now() < limitWall) {
      await sleep(250);
      // Only the seeded orders (the templates made over HTTP are due a week later).
      const r = await pollClient.query(
        `select count(*)::int as n from orders where status = 'unpaid' and expires_at < $1::timestamptz`,
        [new Date(lastDeadline + 1000)],
      );
      remaining = r.rows[0].n;
      if (remaining < out.seeded && firstProgressWall === null) firstProgressWall = Date.now();
      bar.update(`${out.seeded - remaining}/${out.seeded} timed out`);
    }
    const doneWall = Date.now();
    const doneClock = doneWall + offset;
    const counts = await pollClient.query(`
      select (select count(*)::int from orders where status = 'timed_out') as timed_out,
             (select count(*)::int from order_history where seq = 2 and to_status = 'timed_out') as history,
             (select count(*)::int from outbox_events where type = 'order.timed_out') as events,
             (select count(*)::int from clusters where state = 'cancelled') as clusters_cancelled`);
    await pollClient.end();
    out.completed = remaining === 0;
    out.counts = counts.rows[0];
    out.persistSecondsAfterLastDeadline = round((doneClock - lastDeadline) / 1000, 1);
    out.sweepWorkSeconds = firstProgressWall ? round((doneWall - firstProgressWall) / 1000, 1) : null;
    out.ordersPerSecond = out.sweepWorkSeconds ? round(out.seeded / out.sweepWorkSeconds, 0) : null;
    // Upper bound: every deadline is at or after `deadline`, and every order was persisted by `doneClock`.
    out.worstLatenessSecondsUpperBound = round((doneClock - deadline.getTime()) / 1000, 1);
    bar.done(
      `${out.counts.timed_out} timed out; persisted ${out.persistSecondsAfterLastDeadline} s after the last deadline; ` +
        `sweeper work ${out.sweepWorkSeconds} s (${out.ordersPerSecond}/s); worst lateness <= ${out.worstLatenessSecondsUpperBound} s`,
    );
  } finally {
    await server.stop();
  }
  await dropDb(DB);
  return out;
}

// ---------------------------------------------------------------------------------------------- bills
/**
 * Bills for 100,000 orgs: the data set comes from the operator CLI (`tally seed`, set-based SQL), the bills
 * from the CLI's `bills issue --month` (the same code as the monthly job). Capped in time: when the cap is
 * reached the run is stopped and the rate measured so far is reported, with the projected total marked as such.
 */
async function billsBench() {
  header('bills: issue a month for 100,000 orgs');
  const cli = 'dist/server/src/cli/main.js';
  if (!existsSync(cli)) return { available: false, note: `not available: ${cli} missing` };
  const ORGS = Number(process.env.BENCH_BILLS_ORGS ?? 100_000);
  const CAP_S = Number(process.env.BENCH_BILLS_SECONDS ?? 120);
  const out = { database: 'PostgreSQL', orgs: ORGS, capSeconds: CAP_S };
  const t0 = Date.now();
  let DB;
  if (listData) {
    // The list data set (10,000 orgs, 1,000,000 orders, a tenth of them paid in earlier months) grown to
    // ORGS orgs with set-based SQL; every org dated back 120 days so that last month is billable.
    DB = listData.db;
    out.dataSet =
      'the orders-list data set (1,000,000 orders over 10,000 orgs) plus empty orgs up to the total';
    const bar = progress('orgs (SQL clone)');
    await withClient(DB, async (c) => {
      const have = (await c.query('select count(*)::int as n from orgs')).rows[0].n;
      const more = Math.max(0, ORGS - have);
      await c.query('begin');
      const clone = { templateOrgId: listData.typical.orgId, count: more, idPrefix: 'orgbill', idWidth: 7 };
      await cloneOrgRows(c, 'orgs', {
        ...clone,
        set: `'name', 'bill org ' || k, 'remittance_code', (300000000 + k)::text`,
      });
      await cloneOrgRows(c, 'balances', clone);
      await c.query(`update orgs set created_at = now() - interval '120 days'`);
      await c.query('commit');
      await c.query('analyze');
    });
    out.seedSeconds = round((Date.now() - t0) / 1000, 1);
    bar.done(`${ORGS} orgs in ${out.seedSeconds} s`);
  } else {
    DB = 'tally_bench_bills';
    await freshDb(DB);
    out.dataSet = '`tally seed` (one order per org)';
    const seedOut = join(WORK_DIR, 'bills-seed.json');
    const bar = progress('tally seed');
    await shAsync(
      process.execPath,
      [
        cli,
        'seed',
        '--orgs',
        String(ORGS),
        '--orders',
        String(ORGS),
        '--days',
        '60',
        '--no-bills',
        '--out',
        seedOut,
      ],
      { env: { ...process.env, DATABASE_URL: pgUrl(DB), TALLY_LOG_LEVEL: 'warn' } },
    );
    out.seedSeconds = round((Date.now() - t0) / 1000, 1);
    bar.done(`${ORGS} orgs, ${ORGS} orders in ${out.seedSeconds} s`);
  }
  const env = { ...process.env, DATABASE_URL: pgUrl(DB), TALLY_LOG_LEVEL: 'warn' };
  const d = new Date();
  const month = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
  out.month = month;
  const issueBar = progress(`tally bills issue --month ${month}`);
  const t1 = Date.now();
  const child = spawn(process.execPath, [cli, 'bills', 'issue', '--month', month], { env, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  let capped = false;
  let cliCpu = 0;
  const count = () =>
    withClient(DB, async (c) => (await c.query('select count(*)::int as n from bills')).rows[0].n);
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
  out.machineCpuBusyPercent = round((100 * (m1.busy - m0.busy)) / Math.max(m1.total - m0.total, 1), 0);
  const seconds = (Date.now() - t1) / 1000;
  const issued = await count();
  out.cliCpuMsPerBill = round((cliCpu * 1000) / Math.max(issued, 1), 2);
  out.billsWithLines = await withClient(
    DB,
    async (c) => (await c.query('select count(*)::int as n from bills where total_amount > 0')).rows[0].n,
  );
  Object.assign(out, {
    available: true,
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

// ---------------------------------------------------------------------------------------------- others' benches
/** Benchmarks other parts of the project own: run them if they exist and merge what they write. */
async function externalBenches() {
  const out = {};
  const candidates = [
    {
      name: 'documents',
      scripts: ['bench/documents.mjs', 'bench/documents.ts'],
      results: 'bench/results-documents.json',
      database: 'tally_bench_documents',
      args: [],
      port: PORT_BASE + 10,
    },
    {
      name: 'billsAndUsage',
      scripts: ['bench/bills.ts'],
      results: 'bench/results-bills.json',
      database: 'tally_bench_bills_usage',
      args: [],
      port: PORT_BASE + 30,
    },
    {
      name: 'consoleOrders',
      scripts: ['bench/console-orders.mjs', 'bench/console-orders.ts'],
      results: 'bench/results-console.json',
      database: null,
      args: [`--port=${PORT_BASE + 20}`],
      port: PORT_BASE + 20,
    },
  ];
  for (const c of candidates) {
    const script = c.scripts.find((s) => existsSync(s));
    if (!script) {
      out[c.name] = { available: false, note: `not available: none of ${c.scripts.join(', ')} exists yet` };
      console.log(`  ${c.name}: not available (${c.scripts.join(', ')} missing)`);
      continue;
    }
    header(`${c.name}: ${script}`);
    const t0 = Date.now();
    try {
      const runner = script.endsWith('.ts')
        ? [process.execPath, ['--import', 'tsx', script, ...c.args]]
        : [process.execPath, [script, ...c.args]];
      const env = { ...process.env, BENCH_PORT_BASE: String(c.port) };
      if (c.database) {
        await freshDb(c.database);
        env.BENCH_PG_URL = pgUrl(c.database);
      }
      await shAsync(runner[0], runner[1], { env, onStderr: (s) => process.stdout.write(s) });
      if (c.database) await dropDb(c.database);
      out[c.name] = {
        available: true,
        script,
        seconds: round((Date.now() - t0) / 1000, 1),
        results: existsSync(c.results) ? JSON.parse(readFileSync(c.results, 'utf8')) : null,
      };
    } catch (err) {
      out[c.name] = { available: true, script, failed: String(err.message).slice(0, 2000) };
      console.log(`  ${c.name} failed: ${String(err.message).slice(0, 300)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- table
function table() {
  const rows = [];
  const fmt = (x, unit = '') => (x === null || x === undefined ? 'n/a' : `${x}${unit}`);
  const p = results.pay;
  for (const r of p?.runs ?? []) {
    rows.push([
      `pay over HTTP, PostgreSQL, ${r.clients} clients, 1,000 orgs`,
      fmt(r.spread.perSecond, '/s'),
      `pgbench ${fmt(r.pgbenchTps)} TPS → ${fmt(r.ratioToPgbench, '×')}`,
      '≥ 1.0× pgbench',
    ]);
    rows.push([
      `pay hot org, ${r.clients} clients`,
      fmt(r.hot.perSecond, '/s'),
      `${fmt(r.hotToSpread, '×')} of spread`,
      '≥ 0.5×',
    ]);
  }
  if (p?.memory) rows.push(['server peak RSS under pay load', fmt(p.memory.peakRssMb, ' MB'), '', '']);
  if (p?.readFloor)
    rows.push([
      'GET balance over HTTP, 8 clients (the HTTP floor)',
      fmt(p.readFloor.perSecond, '/s'),
      `p99 ${p.readFloor.p99Ms} ms`,
      '',
    ]);
  const e = results.embedded;
  if (e?.run)
    rows.push([
      'pay over HTTP, PGlite, 8 clients',
      fmt(e.run.perSecond, '/s'),
      `p99 ${e.run.p99Ms} ms`,
      '≥ 1,000/s',
    ]);
  const l = results.list;
  if (l?.firstPage) {
    rows.push([
      `orders list, first page (${l.dataSet.n.toLocaleString('en')} orders, ${l.dataSet.orgs.toLocaleString('en')} orgs; org of ${l.bigOrgOrders.toLocaleString('en')})`,
      `p50 ${l.firstPage.p50Ms} ms`,
      `p99 ${l.firstPage.p99Ms} ms`,
      'p99 ≤ 20 ms',
    ]);
    rows.push([
      'orders list, filtered page',
      `p50 ${l.filteredPage.p50Ms} ms`,
      `p99 ${l.filteredPage.p99Ms} ms`,
      'p99 ≤ 20 ms',
    ]);
    rows.push([
      `orders list, deep cursor page (${Math.floor(l.bigOrgOrders * 0.9).toLocaleString('en')} in)`,
      `p50 ${l.deepCursorPage.p50Ms} ms`,
      `p99 ${l.deepCursorPage.p99Ms} ms`,
      'p99 ≤ 20 ms',
    ]);
  }
  const s = results.sweep;
  if (s?.counts)
    rows.push([
      `timeout sweep, ${s.orders.toLocaleString('en')} orders`,
      `${fmt(s.persistSecondsAfterLastDeadline, ' s')} after deadline`,
      `${fmt(s.ordersPerSecond, '/s')}; worst lateness ≤ ${fmt(s.worstLatenessSecondsUpperBound, ' s')}`,
      '≤ 60 s',
    ]);
  const b = results.bills;
  rows.push([
    'bills for 100,000 orgs (CLI bills issue)',
    !b?.available
      ? 'not available'
      : b.completed
        ? fmt(b.seconds, ' s')
        : `${b.billsIssued} in ${b.seconds} s`,
    !b?.available
      ? ''
      : b.completed
        ? `${fmt(b.billsPerSecond, '/s')}`
        : `${fmt(b.billsPerSecond, '/s')} → ~${b.projectedSecondsFor100k} s projected`,
    '≤ 60 s',
  ]);
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => String(r[i]).length), 8));
  console.log('\n== results');
  for (const r of [['measure', 'figure', 'against', 'goal'], ...rows])
    console.log(`  ${r.map((c, i) => String(c).padEnd(w[i])).join('  ')}`);
  // The same table in Markdown, for bench/README.md.
  const md = [
    '| measure | figure | against | goal |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.map((c) => String(c).replaceAll('|', '/')).join(' | ')} |`),
  ];
  writeFileSync('bench/results.md', `${md.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------- main
async function main() {
  console.log(
    `Tally benchmarks on ${results.machine.cpu} (${results.machine.cores} cores), PostgreSQL ${results.machine.postgres}, Node ${process.version}`,
  );
  if (!argv.includes('--no-build')) {
    header('build the server');
    sh('npm', ['run', 'build:server']);
  }
  if (!existsSync('dist/server/src/main.js'))
    throw new Error('dist/server/src/main.js missing: run npm run build:server');
  const pgbenchWanted = wants('pgbench');
  if (pgbenchWanted) await pgbenchInit();
  if (wants('pay')) {
    results.pay = await payOnPostgres(pgbenchWanted);
    save();
  }
  if (wants('embedded')) {
    results.embedded = await payEmbedded();
    save();
  }
  if (wants('list')) {
    results.list = await listBench();
    save();
  }
  if (wants('sweep')) {
    results.sweep = await sweepBench();
    save();
  }
  if (wants('bills')) {
    results.bills = await billsBench();
    save();
  }
  if (wants('external')) {
    header('benchmarks of other parts (documents, console)');
    results.external = await externalBenches();
    save();
  }
  if (pgbenchWanted) await dropDb(PGBENCH_DB);
  save();
  table();
  console.log(`\nwrote ${RESULTS} in ${results.totalSeconds} s`);
}

main().catch((err) => {
  console.error(err);
  save();
  process.exit(1);
});
