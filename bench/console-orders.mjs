#!/usr/bin/env node
// The console's orders page with 10,000 orders in the org: time from navigation start to the first rendered
// order row in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), median of several
// runs with a cold and with a warm HTTP cache, and the JavaScript the page loads (raw and gzip).
//
// The server is the real one (`npm run build`, then `node dist/server/src/main.js`) on the embedded PGlite
// (default) or on PostgreSQL (--postgres, database tally_bench_console on postgres://postgres@127.0.0.1:5432).
// The org, its project, an Org Admin and one real order are made through the API; the other 9,999 orders are
// inserted with one SQL statement while the server is stopped (PGlite allows one process at a time).
//
//   node bench/console-orders.mjs [--runs=7] [--orders=10000] [--postgres] [--no-build] [--port=18150]
// Writes bench/results-console.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};
const RUNS = Number(opt('runs', 7));
const ORDERS = Number(opt('orders', 10_000));
const POSTGRES = argv.includes('--postgres');
const BUILD = !argv.includes('--no-build');
const PORT = Number(opt('port', 18150));
const VERBOSE = argv.includes('--verbose');
const PROFILE = argv.includes('--profile');
const GOAL_MS = 1000;
const OPERATOR_TOKEN = 'console-bench-operator-token-0123456789';
const PASSWORD = 'bench-password-1234';
const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PG_DB = 'tally_bench_console';
const PG_URL = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${PG_DB}`);
const RESULTS = 'bench/results-console.json';
const t0 = Date.now();
const say = (msg) => console.log(`[console-bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x) => Math.round(x * 10) / 10;

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
}

async function pgAdmin(fn) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function startServer(dataDir) {
  const env = {
    ...process.env,
    PORT: String(PORT),
    HOST: '127.0.0.1',
    TALLY_DEMO: '0',
    TALLY_OPERATOR_TOKEN: OPERATOR_TOKEN,
    TALLY_PROVISION_SECONDS: '0',
    TALLY_LOG_LEVEL: 'warn',
    ...(POSTGRES ? { DATABASE_URL: PG_URL } : { TALLY_DATA_DIR: dataDir }),
  };
  if (!POSTGRES) delete env.DATABASE_URL;
  let log = '';
  const child = spawn(process.execPath, ['dist/server/src/main.js'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => {
    log += d;
  });
  child.stderr.on('data', (d) => {
    log += d;
  });
  const url = `http://127.0.0.1:${PORT}`;
  const ready = (async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) return;
      } catch {}
      if (Date.now() > deadline) throw new Error(`server not healthy in 120 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    url,
    ready,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function call(url, method, path, body, token = OPERATOR_TOKEN) {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** 9,999 more orders in one statement: every status, both types, 500 cluster names, spread over ~80 days. */
const SEED_SQL = `
insert into orders (org_id, id, project_id, cluster_id, cluster_name, type, status, currency, amount, list_amount,
  discount_amount, config, config_before, pricing, created_at, expires_at, paid_at, cancelled_at, timed_out_at,
  created_by, paid_by, cancelled_by, bill_month)
select $1, 'ord_BENCH' || lpad(i::text, 8, '0'), $2, $3, 'bench-cluster-' || (i % 500),
  t.type, t.status, 'CNY', 90000, 90000, 0,
  '{"region":"aliyun-cn-hangzhou","cuType":"performance","cuSize":1,"replicas":1,"term":{"unit":"month","count":1}}'::jsonb,
  case when t.type = 'upgrade' then '{"region":"aliyun-cn-hangzhou","cuType":"performance","cuSize":1,"replicas":1}'::jsonb end,
  '{"discountPercent":100,"months":1}'::jsonb,
  t.created, t.created + interval '7 days',
  case when t.status = 'paid' then t.created + interval '1 hour' end,
  case when t.status = 'cancelled' then t.created + interval '2 hours' end,
  case when t.status = 'timed_out' then t.created + interval '7 days' end,
  $4, case when t.status = 'paid' then $4 end, case when t.status = 'cancelled' then $4 end,
  case when t.status = 'paid' then to_char((t.created + interval '1 hour') at time zone 'UTC', 'YYYY-MM') end
from generate_series(1, $5::int) as i
cross join lateral (
  select
    case when i <= 40 then 'unpaid' when i % 7 = 0 then 'cancelled' when i % 11 = 0 then 'timed_out' else 'paid' end as status,
    case when i > 40 and i % 10 = 0 then 'upgrade' else 'new_purchase' end as type,
    now() - (i * interval '11 minutes') - case when i > 40 then interval '8 days' else interval '0' end as created
) t`;

async function seed(dataDir, ids) {
  const params = [ids.orgId, ids.projectId, ids.clusterId, ids.userId, ORDERS - 1];
  if (POSTGRES) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(SEED_SQL, params);
    await c.query('analyze orders');
    await c.end();
    return;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(join(dataDir, 'pg'));
  await db.query(SEED_SQL, params);
  await db.query('analyze orders');
  await db.close();
}

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

/** Where the page's main thread spent its time until the first row (self time by script and function). */
function printProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const f = n.callFrame;
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

async function measure(context, url, cold) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const scripts = [];
  const styles = [];
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
    mkdirSync('bench/tmp', { recursive: true });
    await page.screenshot({ path: 'bench/tmp/console-timeout.png' }).catch(() => {});
    throw new Error(`no order row within 30 s at ${page.url()}; the page says:\n${text}\n(${err.message})`);
  }
  if (PROFILE) printProfile((await cdp.send('Profiler.stop')).profile);
  // CPU time of the page's main thread up to here: less sensitive than wall time to other load on the machine
  const metrics = Object.fromEntries(
    (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]),
  );
  const r = await page.evaluate(() => ({
    inDom: window.__firstRow,
    painted: window.__firstRowPainted,
    rows: document.querySelectorAll('tr.ant-table-row[data-row-key]').length,
    scriptsAtFirstRow: window.__scriptsAtFirstRow ?? [],
    nav: performance.getEntriesByType('navigation')[0]?.toJSON(),
    resources: performance
      .getEntriesByType('resource')
      .map(
        (e) =>
          `${e.startTime.toFixed(0)}→${e.responseEnd.toFixed(0)} ms  ${new URL(e.name).pathname}${new URL(e.name).search.slice(0, 30)}`,
      ),
  }));
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
  if (POSTGRES) {
    await pgAdmin(async (c) => {
      await c.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [PG_DB]);
      await c.query(`drop database if exists ${PG_DB}`);
      await c.query(`create database ${PG_DB}`);
    });
  }
  let server = startServer(dataDir);
  let browser;
  try {
    await server.ready;
    say('server up; creating the org, project, Org Admin and one real order through the API');
    const org = await call(server.url, 'POST', '/v1/internal/orgs', {
      name: '基准测试科技',
      certified: true,
    });
    const project = await call(server.url, 'POST', `/v1/internal/orgs/${org.id}/projects`, { name: 'bench' });
    const email = `bench-admin-${process.pid}@bench.tally`;
    const admin = await call(server.url, 'POST', `/v1/internal/orgs/${org.id}/members`, {
      email,
      password: PASSWORD,
      orgRole: 'org_admin',
    });
    const bought = await call(
      server.url,
      'POST',
      `/v1/orgs/${org.id}/clusters`,
      {
        projectId: project.id,
        name: 'bench-real',
        region: 'aliyun-cn-hangzhou',
        cuType: 'performance',
        cuSize: 1,
        replicas: 1,
        term: { unit: 'month', count: 1 },
      },
      admin.apiKey,
    );
    await server.stop();
    say(`seeding ${ORDERS - 1} more orders with SQL`);
    const s0 = Date.now();
    await seed(dataDir, {
      orgId: org.id,
      projectId: project.id,
      clusterId: bought.cluster.id,
      userId: admin.user.id,
    });
    say(`seeded in ${Date.now() - s0} ms; restarting the server`);
    server = startServer(dataDir);
    await server.ready;
    const first = await call(
      server.url,
      'GET',
      `/v1/orgs/${org.id}/orders?limit=100`,
      undefined,
      admin.apiKey,
    );
    if (first.items.length !== 100 || !first.nextCursor) throw new Error('the org does not have the orders');

    const profile = mkdtempSync(join(os.tmpdir(), 'console-bench-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 900 },
      locale: 'zh-CN',
    });
    const version = browser.browser()?.version() ?? 'unknown';
    await browser.addInitScript(FIRST_ROW_PROBE);
    const login = await browser.request.post(`${server.url}/v1/auth/login`, {
      data: { email, password: PASSWORD },
    });
    if (!login.ok()) throw new Error(`sign-in failed: ${login.status()}`);
    const url = `${server.url}/orgs/${org.id}/orders`;
    say(`signed in; measuring ${url} in headless Chromium ${version}`);
    await measure(browser, url, true); // warm-up: server caches, Chromium's code caches

    const samples = { cold: [], warm: [] };
    let js;
    for (const mode of ['cold', 'warm']) {
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
          `${mode} run ${i + 1}/${RUNS}: first row painted at ${round1(r.painted)} ms; main-thread busy ${r.cpu.taskMs} ms (script ${r.cpu.scriptMs}, style+layout ${r.cpu.layoutMs}); load average ${os.loadavg()[0].toFixed(1)}`,
        );
        if (mode === 'cold' && !js && r.scripts.length) {
          const before = new Set(r.scriptsAtFirstRow);
          const files = r.scripts.map((s) => ({
            file: new URL(s.url).pathname,
            bytes: s.body.length,
            gzipBytes: gzipSync(s.body, { level: 9 }).length,
            beforeFirstRow: before.has(new URL(s.url).pathname),
          }));
          files.sort((a, b) => b.gzipBytes - a.gzipBytes);
          const sum = (fs, k) => fs.reduce((n, f) => n + f[k], 0);
          const first = files.filter((f) => f.beforeFirstRow);
          js = {
            beforeFirstRow: {
              files: first.length,
              bytes: sum(first, 'bytes'),
              gzipBytes: sum(first, 'gzipBytes'),
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
    const summary = (xs) => {
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
    const results = {
      generatedAt: new Date().toISOString(),
      command: `node bench/console-orders.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`,
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
      firstRow: { coldCache: summary(samples.cold), warmCache: summary(samples.warm) },
      javascript: js,
    };
    results.meetsGoal = results.firstRow.coldCache.medianMs < GOAL_MS;
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log('');
    console.log(`orders page, ${ORDERS} orders, ${results.database}, headless Chromium ${version}:`);
    console.log(
      `  time to first rendered row: median ${results.firstRow.coldCache.medianMs} ms cold cache, ${results.firstRow.warmCache.medianMs} ms warm cache (goal < ${GOAL_MS} ms: ${results.meetsGoal ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  main-thread CPU until then: median ${results.firstRow.coldCache.medianMainThreadTaskMs} ms cold, ${results.firstRow.warmCache.medianMainThreadTaskMs} ms warm (load average ${loadAtStart[0]} at start)`,
    );
    const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(
      `  JavaScript of the orders page: ${kib(js.beforeFirstRow.gzipBytes)} gzip (${kib(js.beforeFirstRow.bytes)} raw, ${js.beforeFirstRow.files} files) before the first row; ${kib(js.totalGzipBytes)} gzip (${kib(js.totalBytes)} raw, ${js.files.length} files) with what loads after it (date picker, dialogs)`,
    );
    for (const f of js.files)
      console.log(`    ${f.beforeFirstRow ? '*' : ' '} ${f.file}  ${kib(f.bytes)}, ${kib(f.gzipBytes)} gzip`);
    for (const f of js.css) console.log(`  CSS ${f.file}  ${kib(f.bytes)}, ${kib(f.gzipBytes)} gzip`);
    console.log(`  written to ${RESULTS}`);
  } finally {
    await browser?.close().catch(() => {});
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (POSTGRES) await pgAdmin((c) => c.query(`drop database if exists ${PG_DB}`)).catch(() => {});
  }
}

main().catch((err) => {
  console.error(`console-bench: ${err.stack ?? err}`);
  process.exit(1);
});
