// Helpers of the benchmark runner: PostgreSQL databases, server processes, an HTTP load loop on loopback
// with keep-alive sockets, progress lines and percentiles. Plain Node, no dependencies beyond `pg`.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import pg from 'pg';

export const PG_HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.BENCH_PG_PORT ?? 5432);
export const PG_USER = process.env.BENCH_PG_USER ?? 'postgres';
export const pgUrl = (db) => `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${db}`;
export const OPERATOR_TOKEN = 'bench-operator-token-0123456789';
export const WORK_DIR = process.env.BENCH_WORK_DIR ?? '/tmp/proof-bench';
mkdirSync(WORK_DIR, { recursive: true });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Drops and creates a database on the benchmark's PostgreSQL server (never the tests' `test` database). */
export async function freshDb(name) {
  if (name === 'test' || name === 'postgres') throw new Error(`refusing to recreate ${name}`);
  await dropDb(name, { andCreate: true });
}

export async function dropDb(name, { andCreate = false } = {}) {
  const c = new pg.Client({ connectionString: pgUrl('postgres') });
  await c.connect();
  try {
    await c.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
      [name],
    );
    await c.query(`drop database if exists ${name}`);
    if (andCreate) await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
}

export async function withClient(db, fn) {
  const c = new pg.Client({ connectionString: pgUrl(db) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A Tally server process (the built JS, as `npm start` runs it). Its output goes to a log file. */
export async function startServer({ name, port, env, nodeArgs = [] }) {
  const logPath = join(WORK_DIR, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, [...nodeArgs, 'dist/server/src/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TALLY_OPERATOR_TOKEN: OPERATOR_TOKEN,
      TALLY_DEMO: '0',
      TALLY_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited)
      throw new Error(`server ${name} exited during start (${JSON.stringify(exited)}); see ${logPath}`);
    try {
      const r = await request(port, 'GET', '/healthz');
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server ${name} did not start in 60 s; see ${logPath}`);
    await sleep(100);
  }
  return {
    pid: child.pid,
    port,
    logPath,
    /** Peak resident memory of the process so far (VmHWM), and now (VmRSS), in MB. */
    memory() {
      try {
        const s = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
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

const agents = new Map();
function agentFor(port) {
  let a = agents.get(port);
  if (!a) {
    a = new http.Agent({ keepAlive: true, maxSockets: 256 });
    agents.set(port, a);
  }
  return a;
}

/** One HTTP request on loopback through a keep-alive agent. Resolves with status and parsed JSON. */
export function request(port, method, path, { auth, body, headers = {} } = {}) {
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
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
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

export async function must(p, status, what) {
  const r = await p;
  if (r.status !== status)
    throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

/** Runs `fn(i)` for i in [0, n) with `concurrency` workers. */
export async function pool(n, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** A progress line that rewrites itself on a terminal and prints sparsely otherwise. */
export function progress(label) {
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

/**
 * A closed-loop load: `clients` workers each take the next job and send it, until the jobs run out or
 * `seconds` pass. Counts answers by status and keeps every latency (for percentiles).
 */
export async function closedLoop({ label, clients, seconds, jobs, send, sample }) {
  const statuses = {};
  const latencies = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const bar = progress(label);
  let peak = 0;
  const tick = setInterval(() => {
    const el = (performance.now() - t0) / 1000;
    if (sample) peak = Math.max(peak, sample());
    bar.update(
      `${el.toFixed(1)}/${seconds} s, ${latencies.length} done, ${(latencies.length / el).toFixed(0)}/s`,
    );
  }, 500);
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      if (i >= jobs.length) return;
      const s = performance.now();
      try {
        const r = await send(jobs[i]);
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
  const res = {
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

export function percentile(values, p) {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Runs a command asynchronously and resolves with its output (so progress can still print). */
export function shAsync(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
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
