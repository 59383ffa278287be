// The console's orders page with 10,000 orders in the org: time from navigation start to the first rendered
// order row in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), median and p90 of
// several runs cold (a new browser context each: empty cache, new connection) and warm (one context, the
// page reloaded), with the requests and the bytes on the wire before the first row and in all.
//
// The server is the real one (`npm run build:server`, then `node dist/server/src/main.js`) on PostgreSQL
// (default, database tally_bench_console) or on the embedded PGlite (--pglite). The org and its orders come from the
// CLI's seeder while the server is stopped (PGlite allows one process at a time); an Org Admin with a password
// is then added through the API, and the browser signs in as them.
//
//   npx tsx bench/console-orders.ts [--runs=9] [--orders=10000] [--pglite] [--no-build (the server)] [--port=18150]
//                                   [--verbose] [--profile] [--out=DIR]
// --verbose prints each visit's waterfall; --profile where the main thread spent its time until the first row;
// --trace what the renderer's main thread did until then, by kind of work (parsing, scripts, style, layout…).
// BENCH_PROFILE_FILE keeps the last visit's profile, BENCH_TRACE_FILE each visit's trace (.1, .2, …).
// Writes bench/results-console.json (or --out / BENCH_OUT_DIR). BENCH_CONSOLE_ORDERS and BENCH_CONSOLE_RUNS set the
// defaults of --orders and --runs.
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../console/e2e/chromium.js';
import {
  dropDb,
  freshDb,
  must,
  OPERATOR_TOKEN,
  option,
  outPath,
  pgUrl,
  request,
  type Server,
  sh,
  startServer,
  WORK_DIR,
  waitForQuiet,
} from './lib.js';
import { withSeed } from './seed.js';

declare global {
  interface Window {
    __firstRow?: number;
    __firstRowPainted?: number;
    __loadedAtFirstRow?: string[];
    __marks?: [string, number][];
  }
}

const argv = process.argv.slice(2);
if (option(argv, 'out', '')) process.env.BENCH_OUT_DIR = option(argv, 'out', '');
const RUNS = Number(option(argv, 'runs', process.env.BENCH_CONSOLE_RUNS ?? '9'));
const ORDERS = Number(option(argv, 'orders', process.env.BENCH_CONSOLE_ORDERS ?? '10000'));
// PostgreSQL, the production database, by default: the PGlite server runs SQL on its one thread, and on a busy
// machine its sign-in alone took minutes.
const POSTGRES = !argv.includes('--pglite');
const BUILD = !argv.includes('--no-build');
const PORT = Number(option(argv, 'port', '18150'));
const VERBOSE = argv.includes('--verbose');
const PROFILE = argv.includes('--profile');
const TRACE = argv.includes('--trace');
const GOAL_MS = 1000;
const PASSWORD = 'bench-password-1234';
const PG_DB = 'tally_bench_console';
const RESULTS = resolve(outPath('results-console.json'));
const t0 = Date.now();
const say = (msg: string) => console.log(`[console-bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
/** Nearest-rank percentile. */
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

// Records when the first order row is in the DOM, and the frame after (when it is painted), with what the
// page had downloaded by then (Resource Timing: same-origin, so sizes are exposed).
const FIRST_ROW_PROBE = `
(() => {
  window.__firstRow = undefined;
  window.__firstRowPainted = undefined;
  // With --verbose: when the parts of the page first appear, and the main thread's long tasks (start, duration).
  const marks = (window.__marks = []);
  const seen = new Set();
  const PARTS = { header: '.tally-header', loading: '.ant-spin', page: '[data-testid=orders-page]', table: '.ant-table' };
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) marks.push(['task ' + Math.round(e.duration) + ' ms', e.startTime]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  const check = () => {
    for (const [name, sel] of Object.entries(PARTS))
      if (!seen.has(name) && document.querySelector(sel)) { seen.add(name); marks.push([name, performance.now()]); }
    if (window.__firstRow !== undefined) return;
    if (document.querySelector('tr.ant-table-row[data-row-key]')) {
      window.__firstRow = performance.now();
      obs.disconnect();
      requestAnimationFrame(() => {
        window.__firstRowPainted = performance.now();
        window.__loadedAtFirstRow = performance.getEntriesByType('resource').map((e) => e.name);
      });
    }
  };
  const obs = new MutationObserver(check);
  obs.observe(document, { childList: true, subtree: true });
})();`;

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Where the page's main thread spent its time until the first row (self time by script and function). */
function printProfile(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const dt = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    if (!f) return;
    const file = f.url
      ? new URL(f.url, 'http://x').pathname.replace(/-[\w-]{8}\.js$/, '.js')
      : `(${f.functionName || 'native'})`;
    self.set(file, (self.get(file) ?? 0) + (dt[i] ?? 0) / 1000);
    const key = `${file} ${f.functionName || '(anonymous)'}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  for (const [k, ms] of top) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${k}`);
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { frame?: string } };
}

/**
 * The renderer main thread's work until the first row, by kind: each top-level event (a script run, a style
 * recalculation, a parse…) with the time of the events directly inside it, so that the style and layout a
 * script forces are told apart from the script itself.
 */
function printTrace(trace: { traceEvents: TraceEvent[] }) {
  const ev = trace.traceEvents;
  const complete = (e: TraceEvent) => e.ph === 'X' && e.dur !== undefined;
  // The page's renderer: of the renderer main threads, the busiest.
  const busy = (m: TraceEvent) =>
    ev.reduce((n, e) => (e.pid === m.pid && e.tid === m.tid && complete(e) ? n + e.dur! : n), 0);
  const main = ev
    .filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .sort((a, b) => busy(b) - busy(a))[0];
  if (!main) return;
  const mine = ev
    .filter((e) => e.pid === main.pid && e.tid === main.tid && complete(e))
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  // The kinds of work counted apart wherever they happen (a style recalculation forced by a script too).
  const KIND =
    /^(UpdateLayoutTree|Layout|ParseAuthorStyleSheet|ParseHTML|Paint|PrePaint|Layerize|MinorGC|MajorGC|V8\.GC_MC_INCREMENTAL|v8\.compile.*|v8\.produceModuleCache|V8\.DeoptimizeCode)$/;
  const by = new Map<string, number>();
  const add = (k: string, us: number) => by.set(k, (by.get(k) ?? 0) + us / 1000);
  let total = 0;
  let topEnd = 0;
  let top: TraceEvent | undefined;
  let kindEnd = 0;
  for (const e of mine) {
    if (e.ts >= topEnd) {
      top = e;
      topEnd = e.ts + e.dur!;
      total += e.dur! / 1000;
      add(`${e.name} (other)`, e.dur!);
    }
    if (KIND.test(e.name) && e.ts >= kindEnd) {
      kindEnd = e.ts + e.dur!;
      add(e.name, e.dur!);
      if (top) add(`${top.name} (other)`, -e.dur!);
    }
  }
  console.log(`    main thread: ${total.toFixed(0)} ms of events`);
  for (const [k, ms] of [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 14))
    console.log(`      ${ms.toFixed(1).padStart(7)} ms  ${k}`);
}

/** One request of the page as Resource Timing saw it (the document included). */
interface Loaded {
  path: string;
  type: string;
  startMs: number;
  endMs: number;
  /** Bytes on the wire, headers included; 0 when served from the browser's cache. */
  transferBytes: number;
  /** The body as sent (compressed) and as decoded. */
  encodedBytes: number;
  decodedBytes: number;
  beforeFirstRow: boolean;
}

let traces = 0;

/** Loads the page (navigate or reload) and waits for its first order row; the page's figures. */
async function measure(page: Page, go: () => Promise<unknown>) {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const before = Object.fromEntries(
    (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]),
  ) as Record<string, number | undefined>;
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const browser = page.context().browser();
  if (TRACE && browser) await browser.startTracing(page, { categories: ['devtools.timeline', 'v8'] });
  await go();
  try {
    await page.waitForFunction(() => window.__firstRowPainted !== undefined, null, { timeout: 60_000 });
  } catch (err) {
    const text = await page.evaluate(() => (document.body.textContent ?? '').slice(0, 2000)).catch(() => '');
    const shot = join(WORK_DIR, 'console-timeout.png');
    mkdirSync(WORK_DIR, { recursive: true });
    await page.screenshot({ path: shot }).catch(() => {});
    throw new Error(
      `no order row within 60 s at ${page.url()}; the page says:\n${text}\n(${(err as Error).message}; screenshot ${shot})`,
    );
  }
  if (PROFILE) {
    const { profile } = await cdp.send('Profiler.stop');
    if (process.env.BENCH_PROFILE_FILE)
      writeFileSync(process.env.BENCH_PROFILE_FILE, JSON.stringify(profile));
    printProfile(profile);
  }
  if (TRACE && browser) {
    const trace = (await browser.stopTracing()).toString();
    if (process.env.BENCH_TRACE_FILE) writeFileSync(`${process.env.BENCH_TRACE_FILE}.${++traces}`, trace);
    printTrace(JSON.parse(trace));
  }
  // CPU time of the page's main thread up to here: less sensitive than wall time to other load on the machine
  const after = Object.fromEntries(
    (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]),
  ) as Record<string, number | undefined>;
  const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const r = await page.evaluate(() => ({
    inDom: window.__firstRow ?? 0,
    painted: window.__firstRowPainted ?? 0,
    rows: document.querySelectorAll('tr.ant-table-row[data-row-key]').length,
  }));
  // Everything the visit downloads (what comes after the first row too: the date picker, dialogs, …).
  await page.waitForLoadState('networkidle');
  const loaded: Loaded[] = await page.evaluate(() => {
    const early = new Set(window.__loadedAtFirstRow ?? []);
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    return [nav, ...res].map((e) => {
      const u = new URL(e.name);
      return {
        path: u.pathname + u.search,
        type: e === nav ? 'document' : e.initiatorType,
        startMs: Math.round(e.startTime),
        endMs: Math.round(e.responseEnd),
        transferBytes: e.transferSize,
        encodedBytes: e.encodedBodySize,
        decodedBytes: e.decodedBodySize,
        beforeFirstRow: e === nav || early.has(e.name),
      };
    });
  });
  await cdp.detach().catch(() => {});
  if (VERBOSE) {
    const marks = await page.evaluate(() => window.__marks ?? []);
    for (const [name, ms] of marks.sort((a, b) => a[1] - b[1]))
      console.log(`    ${String(Math.round(ms)).padStart(5)} ms   ${name}`);
    for (const l of loaded)
      console.log(
        `    ${String(l.startMs).padStart(5)}→${String(l.endMs).padStart(5)} ms ${l.beforeFirstRow ? '*' : ' '} ${(l.transferBytes / 1024).toFixed(1).padStart(6)} KiB  ${l.path.slice(0, 90)}`,
      );
  }
  const cpu = {
    taskMs: round1(delta('TaskDuration') * 1000),
    scriptMs: round1(delta('ScriptDuration') * 1000),
    layoutMs: round1((delta('LayoutDuration') + delta('RecalcStyleDuration')) * 1000),
  };
  return { ...r, cpu, loaded };
}

interface Sample {
  firstRowInDomMs: number;
  firstRowPaintedMs: number;
  mainThreadTaskMs: number;
  scriptMs: number;
  styleAndLayoutMs: number;
  /** Requests and bytes on the wire (compressed, headers included) until the first row, and in all. */
  requestsBeforeFirstRow: number;
  transferBytesBeforeFirstRow: number;
  requests: number;
  transferBytes: number;
}

function sample(r: Awaited<ReturnType<typeof measure>>): Sample {
  const early = r.loaded.filter((l) => l.beforeFirstRow);
  const bytes = (ls: Loaded[]) => ls.reduce((n, l) => n + l.transferBytes, 0);
  return {
    firstRowInDomMs: round1(r.inDom),
    firstRowPaintedMs: round1(r.painted),
    mainThreadTaskMs: r.cpu.taskMs,
    scriptMs: r.cpu.scriptMs,
    styleAndLayoutMs: r.cpu.layoutMs,
    requestsBeforeFirstRow: early.length,
    transferBytesBeforeFirstRow: bytes(early),
    requests: r.loaded.length,
    transferBytes: bytes(r.loaded),
  };
}

/**
 * A copy of the built server with a console built for it, in a directory of its
 * own: the browser tests rebuild dist/console in the checkout, which must not change what is measured. The
 * server finds its console beside the nearest package.json (server/src/http/console.ts).
 */
function snapshot(): string {
  const app = join(WORK_DIR, 'console-app');
  rmSync(app, { recursive: true, force: true });
  mkdirSync(join(app, 'dist'), { recursive: true });
  if (!existsSync('dist/server/src/main.js'))
    throw new Error('dist/server/src/main.js missing: npm run build:server');
  for (const part of readdirSync('dist'))
    if (part !== 'console') cpSync(join('dist', part), join(app, 'dist', part), { recursive: true });
  copyFileSync('package.json', join(app, 'package.json'));
  symlinkSync(resolve('node_modules'), join(app, 'node_modules'), 'dir');
  // Always built for the copy (a few seconds): dist/console may be half-way through someone's build.
  say('building the console (scripts/build-console.mjs)');
  say(sh(process.execPath, ['scripts/build-console.mjs', `--out=${join(app, 'dist', 'console')}`]).trim());
  return app;
}

const loadAtStart = os.loadavg().map((x) => round1(x));

async function main() {
  say(
    `${ORDERS} orders on ${POSTGRES ? `PostgreSQL (${PG_DB})` : 'the embedded PGlite'}, ${RUNS} runs each cold and warm`,
  );
  if (BUILD) {
    say('building the server (npm run build:server)');
    sh('npm', ['run', 'build:server', '--silent']);
  }
  const app = snapshot();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'console-bench-'));
  const env: Record<string, string> = POSTGRES ? { DATABASE_URL: pgUrl(PG_DB) } : { TALLY_DATA_DIR: dataDir };
  if (POSTGRES) await freshDb(PG_DB);
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    say(`seeding one org with ${ORDERS} orders (tally seed)`);
    const org = await withSeed(
      env,
      [
        {
          label: 'orders',
          options: { orgs: 1, orders: ORDERS, days: 80, cashFen: 100_000_000, chunkOrgs: 1 },
        },
      ],
      async (_db, [s]) => s!.orgs[0]!,
      { issueBills: true },
    );
    // The server of the copy (it serves the console beside it); started from there, then back.
    const cwd = process.cwd();
    process.chdir(app);
    try {
      server = await startServer({
        name: 'console',
        port: PORT,
        env: { ...env, TALLY_PROVISION_SECONDS: '0' },
      });
    } finally {
      process.chdir(cwd);
    }
    const base = `http://127.0.0.1:${PORT}`;
    const email = `bench-admin-${process.pid}@bench.tally`;
    await must(
      request(PORT, 'POST', `/v1/internal/orgs/${org.id}/members`, {
        auth: OPERATOR_TOKEN,
        body: { email, password: PASSWORD, orgRole: 'org_admin' },
      }),
      201,
      'add an Org Admin with a password',
    );
    const first = await must(
      request(PORT, 'GET', `/v1/orgs/${org.id}/orders?limit=100`, { auth: org.apiKey }),
      200,
      'first page',
    );
    if (first.items.length !== 100 || !first.nextCursor) throw new Error('the org does not have the orders');

    // The browser tests' Chromium (console/e2e/chromium.ts: binary and flags), as a browser rather than one
    // persistent profile, so that every cold visit gets a new context: empty cache, no open connection.
    browser = await chromium.launch({
      executablePath: process.env.BENCH_CHROMIUM ?? CHROMIUM,
      args: [...CHROMIUM_ARGS],
    });
    const version = browser.version();
    const contextOptions = { viewport: { width: 1440, height: 900 }, locale: 'zh-CN' } as const;
    // Signed in once (argon2 on a loaded machine can take seconds); every context starts with that cookie.
    const signIn = await browser.newContext(contextOptions);
    const login = await signIn.request.post(`${base}/v1/auth/login`, {
      data: { email, password: PASSWORD },
      timeout: 120_000,
    });
    if (!login.ok()) throw new Error(`sign-in failed: ${login.status()}`);
    const storageState = await signIn.storageState();
    await signIn.close();
    const newContext = async () => {
      const c = await browser!.newContext({ ...contextOptions, storageState });
      await c.addInitScript(FIRST_ROW_PROBE);
      return c;
    };
    const url = `${base}/orgs/${org.id}/orders`;
    say(`signed in; measuring ${url} in headless Chromium ${version}`);
    const cold = async () => {
      const c = await newContext();
      try {
        const page = await c.newPage();
        return await measure(page, () => page.goto(url, { waitUntil: 'commit' }));
      } finally {
        await c.close();
      }
    };
    await cold(); // warm-up of the server (its caches, PGlite's pages), not of the browser
    // The seeding's aftermath (PostgreSQL's checkpoint and autovacuum of 10,000 new orders, the server's start) is
    // not the page's cost: the runs start on a quiet machine, and each visit after the last one's renderer has gone.
    const quiet = await waitForQuiet();
    say(
      `machine quiet after ${(quiet.waitedMs / 1000).toFixed(0)} s (busy ${quiet.busyPercent}% over the last second)`,
    );
    const settle = () => waitForQuiet({ maxBusy: 30, windows: 1, timeoutMs: 10_000 });

    const samples: Record<'cold' | 'warm', Sample[]> = { cold: [], warm: [] };
    const report = (mode: string, i: number, x: Sample) =>
      say(
        `${mode} run ${i + 1}/${RUNS}: first row painted at ${x.firstRowPaintedMs} ms; ${x.requestsBeforeFirstRow} requests, ${kib(x.transferBytesBeforeFirstRow)} transferred before it (${x.requests}, ${kib(x.transferBytes)} in all); main-thread busy ${x.mainThreadTaskMs} ms (script ${x.scriptMs}, style+layout ${x.styleAndLayoutMs}); load average ${os.loadavg()[0]?.toFixed(1)}`,
      );
    let files: Loaded[] = [];
    for (let i = 0; i < RUNS; i++) {
      await settle();
      const r = await cold();
      if (r.rows < 20) throw new Error(`expected 20 rows, got ${r.rows}`);
      const x = sample(r);
      samples.cold.push(x);
      report('cold', i, x);
      if (i === 0) files = r.loaded;
    }
    // Warm: one context, the page loaded once, then reloaded (the browser revalidates index.html and takes the
    // content-named files from its cache).
    const warmContext = await newContext();
    try {
      const page = await warmContext.newPage();
      await measure(page, () => page.goto(url, { waitUntil: 'commit' }));
      for (let i = 0; i < RUNS; i++) {
        await settle();
        const r = await measure(page, () => page.reload({ waitUntil: 'commit' }));
        if (r.rows < 20) throw new Error(`expected 20 rows, got ${r.rows}`);
        const x = sample(r);
        samples.warm.push(x);
        report('warm', i, x);
      }
    } finally {
      await warmContext.close();
    }

    const summary = (xs: Sample[]) => {
      const painted = xs.map((x) => x.firstRowPaintedMs);
      return {
        medianMs: round1(median(painted)),
        p90Ms: round1(percentile(painted, 90)),
        minMs: Math.min(...painted),
        maxMs: Math.max(...painted),
        medianInDomMs: round1(median(xs.map((x) => x.firstRowInDomMs))),
        medianMainThreadTaskMs: round1(median(xs.map((x) => x.mainThreadTaskMs))),
        medianScriptMs: round1(median(xs.map((x) => x.scriptMs))),
        requestsBeforeFirstRow: median(xs.map((x) => x.requestsBeforeFirstRow)),
        transferBytesBeforeFirstRow: median(xs.map((x) => x.transferBytesBeforeFirstRow)),
        requests: median(xs.map((x) => x.requests)),
        transferBytes: median(xs.map((x) => x.transferBytes)),
        samples: xs,
      };
    };
    const firstRow = { coldCache: summary(samples.cold), warmCache: summary(samples.warm) };
    const sum = (ls: Loaded[], k: 'encodedBytes' | 'decodedBytes') => ls.reduce((n, l) => n + l[k], 0);
    const early = files.filter((f) => f.beforeFirstRow);
    const results = {
      generatedAt: new Date().toISOString(),
      command: `npx tsx bench/console-orders.ts${argv.length ? ` ${argv.join(' ')}` : ''}`,
      measures:
        'time from navigation start (performance.now() origin) to the frame after the first order row is in the DOM, orders page at /orgs/{orgId}/orders, signed in, 20 rows per page; cold: a new browser context each run (empty cache, new connection); warm: one context, the page reloaded; the runs start once the machine is quiet after the seeding (under 20% busy for 3 s) and each after the machine has settled from the one before (under 30% busy for 1 s, at most 10 s); bytes are on the wire (compressed, headers included; Resource Timing transferSize)',
      machine: {
        cpu: os.cpus()[0]?.model,
        cores: os.cpus().length,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        loadAverageAtStart: loadAtStart,
        quietBeforeRuns: { waitedS: round1(quiet.waitedMs / 1000), busyPercent: quiet.busyPercent },
        loadAverageAtEnd: os.loadavg().map((x) => round1(x)),
      },
      chromium: version,
      database: POSTGRES ? 'postgresql' : 'pglite',
      ordersInOrg: ORDERS,
      runsPerMode: RUNS,
      goalMs: GOAL_MS,
      firstRow,
      // What a cold visit downloads: the files before the first row, and all of them until the network is idle.
      coldVisit: {
        beforeFirstRow: {
          requests: early.length,
          encodedBytes: sum(early, 'encodedBytes'),
          decodedBytes: sum(early, 'decodedBytes'),
        },
        all: {
          requests: files.length,
          encodedBytes: sum(files, 'encodedBytes'),
          decodedBytes: sum(files, 'decodedBytes'),
        },
        files,
      },
      meetsGoal: firstRow.coldCache.medianMs <= GOAL_MS,
    };
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log('');
    console.log(`orders page, ${ORDERS} orders, ${results.database}, headless Chromium ${version}:`);
    const c = firstRow.coldCache;
    const w = firstRow.warmCache;
    console.log(
      `  first rendered row: cold median ${c.medianMs} ms (p90 ${c.p90Ms}), warm median ${w.medianMs} ms (p90 ${w.p90Ms}); goal ≤ ${GOAL_MS} ms cold: ${results.meetsGoal ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  on the wire: cold ${c.requestsBeforeFirstRow} requests, ${kib(c.transferBytesBeforeFirstRow)} before the first row (${c.requests}, ${kib(c.transferBytes)} in all); warm ${w.requestsBeforeFirstRow} requests, ${kib(w.transferBytesBeforeFirstRow)} before it`,
    );
    console.log(
      `  main-thread CPU until the first row: median ${c.medianMainThreadTaskMs} ms cold, ${w.medianMainThreadTaskMs} ms warm (load average ${loadAtStart[0]} at start, ${results.machine.loadAverageAtEnd[0]} at the end)`,
    );
    for (const f of [...files].sort((a, b) => b.encodedBytes - a.encodedBytes))
      console.log(
        `    ${f.beforeFirstRow ? '*' : ' '} ${f.path.slice(0, 70).padEnd(70)} ${kib(f.encodedBytes).padStart(10)} sent, ${kib(f.decodedBytes).padStart(10)} decoded`,
      );
    console.log('    (* before the first row)');
    console.log(`  written to ${RESULTS}`);
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
    if (POSTGRES) await dropDb(PG_DB).catch(() => {});
  }
}

main().catch((err) => {
  console.error(`console-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
