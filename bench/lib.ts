// Helpers of the benchmarks: options, PostgreSQL databases, server processes, an HTTP load loop on loopback
// with keep-alive sockets, progress lines, percentiles, and samples of where the time goes (CPU, PostgreSQL
// wait events, V8 profiles).
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import type { Db } from '../server/src/db/schema.js';

export const PG_HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.BENCH_PG_PORT ?? 5432);
export const PG_USER = process.env.BENCH_PG_USER ?? 'postgres';
export const pgUrl = (db: string) => `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${db}`;
export const OPERATOR_TOKEN = 'bench-operator-token-0123456789';
export const WORK_DIR = process.env.BENCH_WORK_DIR ?? join(os.tmpdir(), 'tally-bench');
mkdirSync(WORK_DIR, { recursive: true });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
export const seconds = (since: number) => (Date.now() - since) / 1000;

/** `--name=value` from argv, else `def`. */
export function option(argv: string[], name: string, def: string): string {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
}

/** A size from the environment (BENCH_*), else the full-run default. */
export function size(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}

/** Where a results file goes: bench/ by default, BENCH_OUT_DIR for trial runs (keeps the committed results). */
export function outPath(file: string): string {
  const dir = process.env.BENCH_OUT_DIR || 'bench';
  mkdirSync(dir, { recursive: true });
  return join(dir, file);
}

/** Drops and creates a database on the benchmark's PostgreSQL server (never the tests' `test` database). */
export async function freshDb(name: string): Promise<void> {
  if (name === 'test' || name === 'postgres') throw new Error(`refusing to recreate ${name}`);
  await dropDb(name, { andCreate: true });
}

export async function dropDb(name: string, { andCreate = false } = {}): Promise<void> {
  await withClient('postgres', async (c) => {
    await c.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    );
    await c.query(`drop database if exists ${name}`);
    if (andCreate) await c.query(`create database ${name}`);
  });
}

export async function withClient<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgUrl(db) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Plain SQL with positional parameters through the app's own Kysely database (PostgreSQL or PGlite). */
export async function query<R>(db: Db, text: string, params: unknown[] = []): Promise<R[]> {
  return (await db.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

export interface Server {
  pid: number;
  port: number;
  logPath: string;
  /** Peak resident memory of the process so far (VmHWM), and now (VmRSS), in MB. */
  memory(): { peakMb: number; rssMb: number };
  stop(): Promise<void>;
}

/** A Tally server process (the built JS, as `npm start` runs it). Its output goes to a log file. */
export async function startServer(o: {
  name: string;
  port: number;
  env: Record<string, string>;
  nodeArgs?: string[];
}): Promise<Server> {
  const logPath = join(WORK_DIR, `${o.name}.log`);
  const log = createWriteStream(logPath);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(o.port),
    HOST: '127.0.0.1',
    TALLY_OPERATOR_TOKEN: OPERATOR_TOKEN,
    TALLY_DEMO: '0',
    TALLY_LOG_LEVEL: 'warn',
    ...o.env,
  };
  // One database per server: a PGlite server must not also see the caller's DATABASE_URL.
  if (!o.env.DATABASE_URL) delete env.DATABASE_URL;
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), 'dist/server/src/main.js'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`server ${o.name} did not start`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited)
      throw new Error(`server ${o.name} exited during start (${JSON.stringify(exited)}); see ${logPath}`);
    try {
      const r = await request(o.port, 'GET', '/healthz');
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server ${o.name} did not start in 60 s; see ${logPath}`);
    await sleep(100);
  }
  return {
    pid,
    port: o.port,
    logPath,
    memory() {
      try {
        const s = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
        return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
      } catch {
        return { peakMb: 0, rssMb: 0 };
      }
    },
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

const agents = new Map<number, http.Agent>();
function agentFor(port: number): http.Agent {
  let a = agents.get(port);
  if (!a) {
    a = new http.Agent({ keepAlive: true, maxSockets: 256 });
    agents.set(port, a);
  }
  return a;
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, read by field where it is used
  json: any;
  text: string;
}

/** One HTTP request on loopback through a keep-alive agent. Resolves with status and parsed JSON. */
export function request(
  port: number,
  method: string,
  path: string,
  { auth, body, headers = {} }: { auth?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: agentFor(port),
        headers: {
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON, read by field where it is used
export async function must(p: Promise<Reply>, status: number, what: string): Promise<any> {
  const r = await p;
  if (r.status !== status)
    throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

export interface ProgressLine {
  update(text: string): void;
  done(text: string): void;
}

/** A progress line that rewrites itself on a terminal and prints sparsely otherwise. */
export function progress(label: string): ProgressLine {
  const tty = process.stdout.isTTY;
  let last = 0;
  return {
    update(text) {
      const now = Date.now();
      if (tty) process.stdout.write(`\r  ${label}: ${text}\x1b[K`);
      else if (now - last > 3000) {
        process.stdout.write(`  ${label}: ${text}\n`);
        last = now;
      }
    },
    done(text) {
      if (tty) process.stdout.write(`\r  ${label}: ${text}\x1b[K\n`);
      else process.stdout.write(`  ${label}: ${text}\n`);
    },
  };
}

export interface LoadResult {
  clients: number;
  seconds: number;
  requests: number;
  ok: number;
  perSecond: number;
  statuses: Record<string, number>;
  errors: number;
  exhausted: boolean;
  p50Ms: number;
  p99Ms: number;
  peakSample?: number;
}

/**
 * A closed-loop load: `clients` workers each take the next job and send it, until the jobs run out or
 * `seconds` pass. Counts answers by status and keeps every latency (for percentiles).
 */
export async function closedLoop<J>(o: {
  label: string;
  clients: number;
  seconds: number;
  jobs: J[];
  send: (job: J) => Promise<Reply>;
  sample?: () => number;
}): Promise<LoadResult> {
  const { clients, jobs, send, sample } = o;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  const bar = progress(o.label);
  let peak = 0;
  const tick = setInterval(() => {
    const el = (performance.now() - t0) / 1000;
    if (sample) peak = Math.max(peak, sample());
    bar.update(
      `${el.toFixed(1)}/${o.seconds} s, ${latencies.length} done, ${(latencies.length / el).toFixed(0)}/s`,
    );
  }, 500);
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      const job = jobs[i];
      if (job === undefined) return;
      const s = performance.now();
      try {
        const r = await send(job);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  clearInterval(tick);
  if (sample) peak = Math.max(peak, sample());
  const elapsed = (performance.now() - t0) / 1000;
  const ok = Object.entries(statuses)
    .filter(([s]) => Number(s) < 300)
    .reduce((a, [, n]) => a + n, 0);
  const res: LoadResult = {
    clients,
    seconds: round(elapsed, 2),
    requests: latencies.length,
    ok,
    perSecond: round(ok / elapsed, 1),
    statuses,
    errors,
    exhausted: next >= jobs.length,
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    ...(sample ? { peakSample: round(peak, 1) } : {}),
  };
  bar.done(
    `${res.perSecond}/s ok, p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms, statuses ${JSON.stringify(statuses)}${
      errors ? `, ${errors} transport errors` : ''
    }${res.exhausted ? ' (jobs exhausted early)' : ''}`,
  );
  return res;
}

export interface LatencyResult {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
}

/** `n` sequential requests (after 20 warm-up): p50/p99/max of the round trip. */
export async function latencies(label: string, n: number, fn: () => Promise<Reply>): Promise<LatencyResult> {
  for (let i = 0; i < 20; i++) await fn();
  const ms: number[] = [];
  const bar = progress(label);
  const statuses: Record<string, number> = {};
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

export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] ?? 0;
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Runs a command asynchronously and resolves with its output (so progress can still print). */
export function shAsync(
  cmd: string,
  args: string[],
  opts: SpawnOptions & { onStderr?: (s: string) => void } = {},
): Promise<{ out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      err += d;
      opts.onStderr?.(String(d));
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve({ out, err })
        : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.slice(-2000)}`)),
    );
  });
}

// ------------------------------------------------------------------------------- where the time goes

export interface WaitSamples {
  samples: number;
  counts: Map<string, number>;
}

/**
 * Where PostgreSQL's side of the time goes: samples pg_stat_activity of the database every 50 ms while `fn`
 * runs and returns the share of backends per state / wait event (e.g. 'idle in transaction' = waiting for
 * the app's next statement; WALSync = commit flushing). BENCH_SAMPLE_QUERIES=1 also splits by statement.
 */
export async function sampleWaits<T>(
  db: string,
  fn: () => Promise<T>,
): Promise<{ result: T; waits: WaitSamples }> {
  const c = new pg.Client({ connectionString: pgUrl('postgres'), application_name: 'bench-sampler' });
  await c.connect();
  const counts = new Map<string, number>();
  let samples = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const r = await c.query<{ state: string; w: string; q: string }>(
        `select state, coalesce(wait_event_type || ':' || wait_event, 'cpu') as w, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as q from pg_stat_activity
         where datname = $1 and backend_type = 'client backend' and state <> 'idle'`,
        [db],
      );
      samples++;
      for (const row of r.rows) {
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

export function summarizeWaits({ samples, counts }: WaitSamples): Record<string, number> {
  const rows = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return Object.fromEntries(rows.map(([k, n]) => [k, round(n / Math.max(samples, 1), 2)]));
}

/** CPU seconds used so far by a process (utime + stime, at 100 ticks/s). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const f = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Busy and total CPU ticks of the whole machine (from /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The machine's busy share between two `machineTicks()`, in percent. */
export const busyPercent = (m0: { busy: number; total: number }, m1: { busy: number; total: number }) =>
  round((100 * (m1.busy - m0.busy)) / Math.max(m1.total - m0.total, 1), 0);

/**
 * Waits until the machine is quiet — busy under `maxBusy` percent over each of `windows` consecutive seconds — or
 * `timeoutMs` has passed; answers the busy share of the last second. What a run just did (seeding, a build,
 * PostgreSQL's checkpoint and autovacuum after it) otherwise lands in the first measurements.
 */
export async function waitForQuiet({ maxBusy = 20, windows = 3, timeoutMs = 90_000 } = {}): Promise<{
  busyPercent: number;
  waitedMs: number;
}> {
  const start = Date.now();
  let quiet = 0;
  let last = 100;
  while (Date.now() - start < timeoutMs) {
    const t0 = machineTicks();
    await sleep(1000);
    last = busyPercent(t0, machineTicks());
    quiet = last < maxBusy ? quiet + 1 : 0;
    if (quiet >= windows) break;
  }
  return { busyPercent: last, waitedMs: Date.now() - start };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalSeconds: number;
  byPackagePercent: Record<string, number>;
  topFunctionsPercent: Record<string, number>;
}

/** Self time by function and by package from the V8 CPU profile(s) in `dir`: where the server's time goes. */
export function summarizeProfile(dir: string): ProfileSummary | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map<string, number>();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const dt = p.timeDeltas;
    for (let i = 0; i < p.samples.length; i++) {
      const n = byId.get(p.samples[i] ?? -1);
      if (!n) continue;
      const cf = n.callFrame;
      const url = cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
      const key = `${cf.functionName || '(anonymous)'} ${url}:${cf.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
      total += dt[i] ?? 0;
    }
  }
  const byPackage = new Map<string, number>();
  for (const [k, us] of self) {
    const m = / ([^ ]*)$/.exec(k)?.[1] ?? '';
    const pkg = m.startsWith('dist/')
      ? 'tally (dist)'
      : m.startsWith('node:') || m === ':0'
        ? k.startsWith('(garbage') || k.startsWith('(idle') || k.startsWith('(program')
          ? (k.split(' ')[0] ?? k)
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

// ------------------------------------------------------------------------------- a run's shared options

/** What every benchmark module gets from the runner. */
export interface BenchContext {
  /** seconds per throughput measurement */
  duration: number;
  /** CPU-profile the servers under load */
  profile: boolean;
  /** build before running (off with --no-build: the benchmarks run as child processes are told too) */
  build: boolean;
  /** the first of the ports the benchmarks listen on */
  portBase: number;
  /** prints a section header with the run's elapsed time and the load average */
  header(title: string): void;
}

// ------------------------------------------------------------------------------- what one measurement costs

export interface WalCounters {
  records: number;
  fpi: number;
  bytes: number;
}

/** The server's WAL counters (pg_stat_wal, PostgreSQL 14+): cluster-wide, so other databases' writes count too. */
export async function walCounters(): Promise<WalCounters> {
  return withClient('postgres', async (c) => {
    const r = await c.query<{ records: string; fpi: string; bytes: string }>(
      'select wal_records as records, wal_fpi as fpi, wal_bytes as bytes from pg_stat_wal',
    );
    const row = r.rows[0];
    return { records: Number(row?.records ?? 0), fpi: Number(row?.fpi ?? 0), bytes: Number(row?.bytes ?? 0) };
  });
}

/** CPU ticks (utime + stime) of a process, or null when it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const f = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

export interface ResourceUse {
  seconds: number;
  /** WAL written by the whole PostgreSQL server during the measurement */
  wal: WalCounters;
  /** CPU seconds of the measured database's client backends (pids followed through pg_stat_activity) */
  postgresBackendCpuSeconds: number;
  /** CPU seconds of PostgreSQL's WAL writer, checkpointer and background writer */
  postgresAuxCpuSeconds: number;
  /** CPU seconds of the Tally server process, when one is measured */
  serverCpuSeconds: number | null;
  /** CPU seconds of this process (the HTTP load generator) */
  loadGeneratorCpuSeconds: number;
  /** WAL bytes per second the server wrote in the second before the run, while the bench was idle: others' */
  walBeforeBytesPerSecond: number;
  /** the whole machine's busy share, and the 1-minute load average at the start and the end */
  machineCpuBusyPercent: number;
  loadAverage: [number, number];
}

/**
 * Runs `fn` and measures what it cost on this machine: the WAL deltas (pg_stat_wal), the CPU of the
 * database's backends (their pids polled from pg_stat_activity every 250 ms; a backend born during the run
 * counts from zero), of PostgreSQL's WAL writer / checkpointer / background writer, of the Tally server
 * (`serverPid`) and of this process, and the machine's busy share. pg_stat_wal counts the whole server, so the
 * WAL written in the idle second before the run is measured too: what other databases write meanwhile.
 */
export async function measureResources<T>(
  db: string,
  serverPid: number | null,
  fn: () => Promise<T>,
): Promise<{ result: T; use: ResourceUse }> {
  const c = new pg.Client({ connectionString: pgUrl('postgres'), application_name: 'bench-cpu-sampler' });
  await c.connect();
  const backends = new Map<number, { first: number; last: number }>();
  const aux = new Map<number, { first: number; last: number }>();
  const poll = async (initial: boolean) => {
    const r = await c.query<{ pid: number; client: boolean }>(
      `select pid, backend_type = 'client backend' as client from pg_stat_activity
       where (datname = $1 and backend_type = 'client backend' and application_name not like 'bench-%')
          or backend_type in ('walwriter', 'checkpointer', 'background writer')`,
      [db],
    );
    for (const { pid, client } of r.rows) {
      const t = cpuTicks(pid);
      if (t === null) continue;
      const map = client ? backends : aux;
      const seen = map.get(pid);
      if (seen) seen.last = t;
      else map.set(pid, { first: initial ? t : 0, last: t });
    }
  };
  const readLast = () => {
    for (const map of [backends, aux])
      for (const [pid, v] of map) {
        const t = cpuTicks(pid);
        if (t !== null) v.last = t;
      }
  };
  // What the previous run left behind (autovacuum of its rows, the server's jobs catching up) finishes first,
  // up to half a minute, so that each run is measured on a machine as quiet as the others'.
  await waitForQuiet({ maxBusy: 25, windows: 2, timeoutMs: 30_000 });
  const idle0 = await walCounters();
  const idleT0 = performance.now();
  await sleep(1000);
  const wal0 = await walCounters();
  const walBefore = (wal0.bytes - idle0.bytes) / ((performance.now() - idleT0) / 1000);
  await poll(true);
  const load0 = os.loadavg()[0] ?? 0;
  const server0 = serverPid === null ? 0 : cpuSeconds(serverPid);
  const self0 = process.cpuUsage();
  const m0 = machineTicks();
  const t0 = performance.now();
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      await sleep(250);
      if (!stop) await poll(false);
    }
  })();
  try {
    const result = await fn();
    const secondsTaken = (performance.now() - t0) / 1000;
    stop = true;
    await loop;
    await poll(false);
    readLast();
    const m1 = machineTicks();
    const self = process.cpuUsage(self0);
    const serverCpu = serverPid === null ? null : cpuSeconds(serverPid) - server0;
    const wal1 = await walCounters();
    const sum = (map: Map<number, { first: number; last: number }>) =>
      [...map.values()].reduce((a, v) => a + (v.last - v.first), 0) / 100;
    return {
      result,
      use: {
        seconds: round(secondsTaken, 2),
        wal: {
          records: wal1.records - wal0.records,
          fpi: wal1.fpi - wal0.fpi,
          bytes: wal1.bytes - wal0.bytes,
        },
        postgresBackendCpuSeconds: round(sum(backends), 2),
        postgresAuxCpuSeconds: round(sum(aux), 2),
        serverCpuSeconds: serverCpu === null ? null : round(serverCpu, 2),
        loadGeneratorCpuSeconds: round((self.user + self.system) / 1e6, 2),
        walBeforeBytesPerSecond: round(walBefore, 0),
        machineCpuBusyPercent: busyPercent(m0, m1),
        loadAverage: [round(load0, 2), round(os.loadavg()[0] ?? 0, 2)],
      },
    };
  } finally {
    stop = true;
    await loop;
    await c.end();
  }
}

export interface PerUnit {
  /** what was counted (payments, transactions) */
  units: number;
  walRecords: number;
  walFpi: number;
  walBytes: number;
  postgresBackendCpuMs: number;
  postgresAuxCpuMs: number;
  serverCpuMs: number | null;
}

/** A measurement's costs divided by the payments (or transactions) it made. */
export function perUnit(use: ResourceUse, units: number): PerUnit {
  const u = Math.max(units, 1);
  return {
    units,
    walRecords: round(use.wal.records / u, 1),
    walFpi: round(use.wal.fpi / u, 2),
    walBytes: round(use.wal.bytes / u, 0),
    postgresBackendCpuMs: round((use.postgresBackendCpuSeconds * 1000) / u, 3),
    postgresAuxCpuMs: round((use.postgresAuxCpuSeconds * 1000) / u, 3),
    serverCpuMs: use.serverCpuSeconds === null ? null : round((use.serverCpuSeconds * 1000) / u, 3),
  };
}
