// The console's orders page with 10,000 orders in the org: time from navigation start to the first rendered
// order row in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), median of several
// runs with a cold and with a warm HTTP cache, and the JavaScript the page loads (raw and gzip).
//
// The server is the real one (`npm run build`, then `node dist/server/src/main.js`) on the embedded PGlite
// (default) or on PostgreSQL (--postgres, database tally_bench_console). The org and its orders come from the
// CLI's seeder while the server is stopped (PGlite allows one process at a time); an Org Admin with a password
// is then added through the API, and the browser signs in as them.
//
//   npx tsx bench/console-orders.ts [--runs=7] [--orders=10000] [--postgres] [--no-build] [--port=18150]
// Writes bench/results-console.json (or BENCH_OUT_DIR). BENCH_CONSOLE_ORDERS and BENCH_CONSOLE_RUNS set the
// defaults of --orders and --runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, CDPSession } from 'playwright-core';
import { type Chromium, launchChromium } from '../console/e2e/chromium.js';
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
} from './lib.js';
import { withSeed } from './seed.js';

declare global {
  interface Window {
    __firstRow?: number;
    __firstRowPainted?: number;
    __scriptsAtFirstRow?: string[];
  }
}

const argv = process.argv.slice(2);
const RUNS = Number(option(argv, 'runs', process.env.BENCH_CONSOLE_RUNS ?? '7'));
const ORDERS = Number(option(argv, 'orders', process.env.BENCH_CONSOLE_ORDERS ?? '10000'));
const POSTGRES = argv.includes('--postgres');
const BUILD = !argv.includes('--no-build');
const PORT = Number(option(argv, 'port', '18150'));
const VERBOSE = argv.includes('--verbose');
const PROFILE = argv.includes('--profile');
const GOAL_MS = 1000;
const PASSWORD = 'bench-password-1234';
const PG_DB = 'tally_bench_console';
const RESULTS = outPath('results-console.json');
const t0 = Date.now();
const say = (msg: string) => console.log(`[console-bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

// Records when the first order row is in the DOM, and the frame after (when it is painted).
const FIRST_ROW_PROBE = `
(() => {
  window.__firstRow = undefined;
  window.__firstRowPainted = undefined;
  const check = () => {
    if (window.__firstRow !== undefined) return;
    if (document.querySelector('tr.ant-table-row[data-row-key]')) {
      window.__firstRow = performance.now();
      obs.disconnect();
      requestAnimationFrame(() => {
        window.__firstRowPainted = performance.now();
        window.__scriptsAtFirstRow = performance.getEntriesByType('resource')
          .filter((e) => e.name.split('?')[0].endsWith('.js')).map((e) => new URL(e.name).pathname);
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

interface Asset {
  url: string;
  body: Buffer;
}

async function measure(context: BrowserContext, url: string, cold: boolean) {
  const page = await context.newPage();
  const cdp: CDPSession = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const scripts: Asset[] = [];
  const styles: Asset[] = [];
  page.on('response', async (res) => {
    const type = res.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    try {
      (type === 'script' ? scripts : styles).push({ url: res.url(), body: await res.body() });
    } catch {}
  });
  await page.goto(url, { waitUntil: 'commit' });
  try {
    await page.waitForFunction(() => window.__firstRowPainted !== undefined, null, { timeout: 30_000 });
  } catch (err) {
    const text = await page.evaluate(() => (document.body.textContent ?? '').slice(0, 2000)).catch(() => '');
    const shot = join(WORK_DIR, 'console-timeout.png');
    mkdirSync(WORK_DIR, { recursive: true });
    await page.screenshot({ path: shot }).catch(() => {});
    throw new Error(
      `no order row within 30 s at ${page.url()}; the page says:\n${text}\n(${(err as Error).message}; screenshot ${shot})`,
    );
  }
  if (PROFILE) printProfile((await cdp.send('Profiler.stop')).profile);
  // CPU time of the page's main thread up to here: less sensitive than wall time to other load on the machine
  const metrics = Object.fromEntries(
    (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]),
  ) as Record<string, number | undefined>;
  const r = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return {
      inDom: window.__firstRow ?? 0,
      painted: window.__firstRowPainted ?? 0,
      rows: document.querySelectorAll('tr.ant-table-row[data-row-key]').length,
      scriptsAtFirstRow: window.__scriptsAtFirstRow ?? [],
      nav: nav
        ? { responseEnd: nav.responseEnd, domContentLoadedEventEnd: nav.domContentLoadedEventEnd }
        : null,
      resources: (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map(
        (e) =>
          `${e.startTime.toFixed(0)}→${e.responseEnd.toFixed(0)} ms  ${new URL(e.name).pathname}${new URL(e.name).search.slice(0, 30)}`,
      ),
    };
  });
  if (VERBOSE) {
    console.log(
      `  navigation: responseEnd ${r.nav?.responseEnd?.toFixed(0)} ms, DOMContentLoaded ${r.nav?.domContentLoadedEventEnd?.toFixed(0)} ms`,
    );
    for (const line of r.resources) console.log(`  ${line}`);
  }
  await page.waitForLoadState('networkidle');
  await page.close();
  const cpu = {
    taskMs: round1((metrics.TaskDuration ?? 0) * 1000),
    scriptMs: round1((metrics.ScriptDuration ?? 0) * 1000),
    layoutMs: round1(((metrics.LayoutDuration ?? 0) + (metrics.RecalcStyleDuration ?? 0)) * 1000),
  };
  return { ...r, cpu, scripts, styles };
}

interface Sample {
  firstRowInDomMs: number;
  firstRowPaintedMs: number;
  mainThreadTaskMs: number;
  scriptMs: number;
  styleAndLayoutMs: number;
}

interface JsFile {
  file: string;
  bytes: number;
  gzipBytes: number;
  beforeFirstRow: boolean;
}

interface JsSummary {
  beforeFirstRow: { files: number; bytes: number; gzipBytes: number };
  totalBytes: number;
  totalGzipBytes: number;
  files: JsFile[];
  css: { file: string; bytes: number; gzipBytes: number }[];
}

const loadAtStart = os.loadavg().map((x) => round1(x));

async function main() {
  say(
    `${ORDERS} orders on ${POSTGRES ? `PostgreSQL (${PG_DB})` : 'the embedded PGlite'}, ${RUNS} runs each cold and warm`,
  );
  if (BUILD) {
    say('building server and console (npm run build)');
    sh('npm', ['run', 'build', '--silent']);
  }
  const dataDir = mkdtempSync(join(os.tmpdir(), 'console-bench-'));
  const env: Record<string, string> = POSTGRES ? { DATABASE_URL: pgUrl(PG_DB) } : { TALLY_DATA_DIR: dataDir };
  if (POSTGRES) await freshDb(PG_DB);
  let server: Server | undefined;
  let chromium: Chromium | undefined;
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
    server = await startServer({
      name: 'console',
      port: PORT,
      env: { ...env, TALLY_PROVISION_SECONDS: '0' },
    });
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

    chromium = await launchChromium({
      profilePrefix: 'console-bench-chromium-',
      executablePath: process.env.BENCH_CHROMIUM,
    });
    const browser = chromium.context;
    const version = browser.browser()?.version() ?? 'unknown';
    await browser.addInitScript(FIRST_ROW_PROBE);
    const login = await browser.request.post(`${base}/v1/auth/login`, {
      data: { email, password: PASSWORD },
    });
    if (!login.ok()) throw new Error(`sign-in failed: ${login.status()}`);
    const url = `${base}/orgs/${org.id}/orders`;
    say(`signed in; measuring ${url} in headless Chromium ${version}`);
    await measure(browser, url, true); // warm-up: server caches, Chromium's code caches

    const samples: Record<'cold' | 'warm', Sample[]> = { cold: [], warm: [] };
    let js: JsSummary | undefined;
    for (const mode of ['cold', 'warm'] as const) {
      for (let i = 0; i < RUNS; i++) {
        const r = await measure(browser, url, mode === 'cold');
        if (r.rows < 20) throw new Error(`expected 20 rows, got ${r.rows}`);
        samples[mode].push({
          firstRowInDomMs: round1(r.inDom),
          firstRowPaintedMs: round1(r.painted),
          mainThreadTaskMs: r.cpu.taskMs,
          scriptMs: r.cpu.scriptMs,
          styleAndLayoutMs: r.cpu.layoutMs,
        });
        say(
          `${mode} run ${i + 1}/${RUNS}: first row painted at ${round1(r.painted)} ms; main-thread busy ${r.cpu.taskMs} ms (script ${r.cpu.scriptMs}, style+layout ${r.cpu.layoutMs}); load average ${os.loadavg()[0]?.toFixed(1)}`,
        );
        if (mode === 'cold' && !js && r.scripts.length) {
          const before = new Set(r.scriptsAtFirstRow);
          const files: JsFile[] = r.scripts.map((s) => ({
            file: new URL(s.url).pathname,
            bytes: s.body.length,
            gzipBytes: gzipSync(s.body, { level: 9 }).length,
            beforeFirstRow: before.has(new URL(s.url).pathname),
          }));
          files.sort((a, b) => b.gzipBytes - a.gzipBytes);
          const sum = (fs: JsFile[], k: 'bytes' | 'gzipBytes') => fs.reduce((n, f) => n + f[k], 0);
          const firstFiles = files.filter((f) => f.beforeFirstRow);
          js = {
            beforeFirstRow: {
              files: firstFiles.length,
              bytes: sum(firstFiles, 'bytes'),
              gzipBytes: sum(firstFiles, 'gzipBytes'),
            },
            totalBytes: sum(files, 'bytes'),
            totalGzipBytes: sum(files, 'gzipBytes'),
            files,
            css: r.styles.map((s) => ({
              file: new URL(s.url).pathname,
              bytes: s.body.length,
              gzipBytes: gzipSync(s.body, { level: 9 }).length,
            })),
          };
        }
      }
    }
    const summary = (xs: Sample[]) => {
      const painted = xs.map((x) => x.firstRowPaintedMs);
      return {
        medianMs: round1(median(painted)),
        minMs: Math.min(...painted),
        maxMs: Math.max(...painted),
        medianInDomMs: round1(median(xs.map((x) => x.firstRowInDomMs))),
        medianMainThreadTaskMs: round1(median(xs.map((x) => x.mainThreadTaskMs))),
        medianScriptMs: round1(median(xs.map((x) => x.scriptMs))),
        samples: xs,
      };
    };
    const firstRow = { coldCache: summary(samples.cold), warmCache: summary(samples.warm) };
    const results = {
      generatedAt: new Date().toISOString(),
      command: `npx tsx bench/console-orders.ts${argv.length ? ` ${argv.join(' ')}` : ''}`,
      measures:
        'time from navigation start (performance.now() origin) to the frame after the first order row is in the DOM, orders page at /orgs/{orgId}/orders, signed in, 20 rows per page',
      machine: {
        cpu: os.cpus()[0]?.model,
        cores: os.cpus().length,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: os.loadavg().map((x) => round1(x)),
      },
      chromium: version,
      database: POSTGRES ? 'postgresql' : 'pglite',
      ordersInOrg: ORDERS,
      runsPerMode: RUNS,
      goalMs: GOAL_MS,
      firstRow,
      javascript: js,
      meetsGoal: firstRow.coldCache.medianMs < GOAL_MS,
    };
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log('');
    console.log(`orders page, ${ORDERS} orders, ${results.database}, headless Chromium ${version}:`);
    console.log(
      `  time to first rendered row: median ${firstRow.coldCache.medianMs} ms cold cache, ${firstRow.warmCache.medianMs} ms warm cache (goal < ${GOAL_MS} ms: ${results.meetsGoal ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  main-thread CPU until then: median ${firstRow.coldCache.medianMainThreadTaskMs} ms cold, ${firstRow.warmCache.medianMainThreadTaskMs} ms warm (load average ${loadAtStart[0]} at start)`,
    );
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    if (js) {
      console.log(
        `  JavaScript of the orders page: ${kib(js.beforeFirstRow.gzipBytes)} gzip (${kib(js.beforeFirstRow.bytes)} raw, ${js.beforeFirstRow.files} files) before the first row; ${kib(js.totalGzipBytes)} gzip (${kib(js.totalBytes)} raw, ${js.files.length} files) with what loads after it (date picker, dialogs)`,
      );
      for (const f of js.files)
        console.log(
          `    ${f.beforeFirstRow ? '*' : ' '} ${f.file}  ${kib(f.bytes)}, ${kib(f.gzipBytes)} gzip`,
        );
      for (const f of js.css) console.log(`  CSS ${f.file}  ${kib(f.bytes)}, ${kib(f.gzipBytes)} gzip`);
    }
    console.log(`  written to ${RESULTS}`);
  } finally {
    await chromium?.close().catch(() => {});
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (POSTGRES) await dropDb(PG_DB).catch(() => {});
  }
}

main().catch((err) => {
  console.error(`console-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
