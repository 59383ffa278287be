import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase as createServerDatabase } from '../databases.js';
import { invariantViolations } from '../invariants.js';

/**
 * The reliability suite drives real server processes (the same entry point as `npm start`, run with tsx) on
 * a PostgreSQL database of its own, and reads the database directly to check the invariants. No part of the
 * app runs in the test process.
 */
export const PG_URL = process.env.TALLY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const OPERATOR_TOKEN = 'reliability-operator-token-0123456789';
export const OP = { authorization: `Bearer ${OPERATOR_TOKEN}` };
const OUT_DIR = 'test-output/reliability';
mkdirSync(OUT_DIR, { recursive: true });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A database of its own on the test PostgreSQL server (never the `test` database's public schema). */
export function createDatabase(label: string): ReturnType<typeof createServerDatabase> {
  return createServerDatabase(PG_URL, `tally_rel_${label}`);
}

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Ends the process with SIGKILL (a crash) and waits for it. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Starts `server/src/main.ts` on an ephemeral port and waits until /healthz answers. */
export async function startServer(
  name: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const logPath = join(OUT_DIR, `${name}.log`);
  writeFileSync(logPath, '');
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      TALLY_OPERATOR_TOKEN: OPERATOR_TOKEN,
      TALLY_DEMO: '0',
      TALLY_TEST_CLOCK: '1',
      TALLY_LOG_LEVEL: 'warn',
      TALLY_DB_POOL: '6',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start in 60 s: ${out.slice(-2000)}`)),
      60_000,
    );
    const onData = (d: Buffer) => {
      appendFileSync(logPath, d);
      out += d.toString();
      const m = /running at (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1].replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => appendFileSync(logPath, d));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited during start (${code ?? signal}): ${out.slice(-2000)}`));
    });
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    await sleep(50);
  }
  const waitExit = () =>
    exited ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    url,
    pid: child.pid!,
    child,
    async kill() {
      if (exited) return;
      const done = waitExit();
      child.kill('SIGKILL');
      await done;
    },
    async stop() {
      if (exited) return;
      const done = waitExit();
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

export interface Answer {
  status: number;
  json: any;
  text: string;
}

/** One HTTP call; a transport failure (the server died) is status 0. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: {
    auth?: { authorization: string };
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.auth ?? {}), ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  try {
    const res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  } catch (err) {
    return { status: 0, json: undefined, text: String(err) };
  }
}

export async function ok(a: Promise<Answer>, status: number, what: string): Promise<any> {
  const r = await a;
  if (r.status !== status)
    throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 500)}`);
  return r.json;
}

let seq = 0;
export const unique = (p: string) => `${p}-${process.pid}-${++seq}-${randomBytes(3).toString('hex')}`;

export interface Org {
  id: string;
  remittanceCode: string;
  projectId: string;
  admin: { id: string; auth: { authorization: string } };
}

export async function makeOrg(base: string): Promise<Org> {
  const org = await ok(
    call(base, 'POST', '/v1/internal/orgs', { auth: OP, body: { name: unique('org'), certified: true } }),
    201,
    'create org',
  );
  const project = await ok(
    call(base, 'POST', `/v1/internal/orgs/${org.id}/projects`, { auth: OP, body: { name: 'p1' } }),
    201,
    'create project',
  );
  const m = await ok(
    call(base, 'POST', `/v1/internal/orgs/${org.id}/members`, {
      auth: OP,
      body: { email: `${unique('admin')}@example.com`, orgRole: 'org_admin' },
    }),
    201,
    'add member',
  );
  return {
    id: org.id,
    remittanceCode: org.remittanceCode,
    projectId: project.id,
    admin: { id: m.user.id, auth: { authorization: `Bearer ${m.apiKey}` } },
  };
}

export const clusterBody = (projectId: string, cuSize = 1, months = 1) => ({
  projectId,
  name: unique('c'),
  region: 'aliyun-cn-hangzhou',
  cuType: 'performance',
  cuSize,
  replicas: 1,
  term: { unit: 'month', count: months },
});

export async function topUp(base: string, org: Org, amount: number, ref = unique('REF')) {
  return ok(
    call(base, 'POST', '/v1/internal/bank-transfers', {
      auth: OP,
      body: { remittanceCode: org.remittanceCode, amount, currency: 'CNY', bankReference: ref },
    }),
    201,
    'bank transfer',
  );
}

export async function buy(
  base: string,
  org: Org,
  cuSize = 1,
): Promise<{ orderId: string; clusterId: string; amount: number }> {
  const r = await ok(
    call(base, 'POST', `/v1/orgs/${org.id}/clusters`, {
      auth: org.admin.auth,
      body: clusterBody(org.projectId, cuSize),
    }),
    201,
    'create cluster',
  );
  return { orderId: r.order.id, clusterId: r.cluster.id, amount: r.order.amount };
}

/**
 * The money invariants, read from the database. Returns what is violated (empty when all hold):
 * no negative balance; balance = sum of the org's cash entries; every paid order has exactly one
 * order_payment transaction debiting its amount and every such transaction one paid order; every order's
 * status agrees with its history (at most one final row, matching the status); no order paid at or after
 * its deadline; every bank reference credited at most once (one top-up, one ledger transaction).
 */
export async function checkInvariants(db: pg.Pool): Promise<string[]> {
  return invariantViolations(async (text) => (await db.query(text)).rows);
}

/** Final states seen so far: a final state must never change (checked after every step). */
export async function checkFinalStatesStable(db: pg.Pool, seen: Map<string, string>): Promise<string[]> {
  const r = await db.query<{ k: string; status: string }>(
    `select org_id || '/' || id as k, status from orders where status <> 'unpaid'`,
  );
  const errors: string[] = [];
  const now = new Set<string>();
  for (const row of r.rows) {
    now.add(row.k);
    const before = seen.get(row.k);
    if (before && before !== row.status)
      errors.push(`order ${row.k} changed from ${before} to ${row.status}`);
    seen.set(row.k, row.status);
  }
  for (const [k, s] of seen) if (!now.has(k)) errors.push(`order ${k} was ${s} and is unpaid again`);
  return errors;
}

/** Figures of the suite (steps, races, crashes, inputs), merged into one file the README quotes. */
export function recordFigures(part: string, figures: Record<string, unknown>): void {
  const path = join(OUT_DIR, 'figures.json');
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(path, 'utf8'));
  } catch {}
  all[part] = { ...figures, at: new Date().toISOString() };
  writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`);
}

/** The suite's scale: bounded in `npm test`, longer on demand. */
export const SCALE = {
  bounded: process.env.TALLY_RELIABILITY_BOUNDED === '1',
  seed: process.env.TALLY_SIM_SEED ? Number(process.env.TALLY_SIM_SEED) : undefined,
  steps: Number(process.env.TALLY_SIM_STEPS ?? (process.env.TALLY_RELIABILITY_BOUNDED === '1' ? 25 : 40)),
  runs: Number(process.env.TALLY_SIM_RUNS ?? (process.env.TALLY_RELIABILITY_BOUNDED === '1' ? 30 : 100)),
};

export function newPgPool(url: string): pg.Pool {
  const p = new pg.Pool({ connectionString: url, max: 4, application_name: 'tally-reliability' });
  p.on('error', () => {});
  return p;
}

/**
 * One HTTP/1.1 request written to the socket byte for byte: a target and header lines that a client library
 * would encode, normalize or refuse (broken percent-encoding, control characters, huge or repeated cookies).
 * The answer's status and body; status 0 when the connection failed or closed without an answer.
 */
export async function rawRequest(
  base: string,
  method: string,
  target: string,
  headerLines: string[] = [],
  body?: string,
): Promise<Answer> {
  const { host, hostname, port } = new URL(base);
  const payload = body === undefined ? '' : body;
  const head = [
    `${method} ${target} HTTP/1.1`,
    `Host: ${host}`,
    'Connection: close',
    ...headerLines,
    ...(body === undefined ? [] : [`Content-Length: ${Buffer.byteLength(payload)}`]),
  ].join('\r\n');
  const response = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(30_000, () => socket.destroy());
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', () => {});
    socket.write(Buffer.from(`${head}\r\n\r\n${payload}`, 'latin1'));
  });
  const text = response.toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!m) return { status: 0, json: undefined, text };
  const split = text.indexOf('\r\n\r\n');
  const headers = split < 0 ? '' : text.slice(0, split);
  let rawBody = split < 0 ? '' : text.slice(split + 4);
  if (/^transfer-encoding:\s*chunked/im.test(headers)) {
    let out = '';
    for (let rest = rawBody; ; ) {
      const eol = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, eol), 16);
      if (!(size > 0)) break;
      out += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
    rawBody = out;
  }
  const decoded = Buffer.from(rawBody, 'latin1').toString('utf8');
  let json: any;
  try {
    json = decoded ? JSON.parse(decoded) : undefined;
  } catch {
    json = undefined;
  }
  return { status: Number(m[1]), json, text: decoded };
}
