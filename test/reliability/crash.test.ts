import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  type Answer,
  buy,
  call,
  checkInvariants,
  createDatabase,
  makeOrg,
  newPgPool,
  type Org,
  recordFigures,
  SCALE,
  type ServerProcess,
  sleep,
  startServer,
  topUp,
} from './support.js';

/**
 * Crashes: the server is SIGKILLed in the middle of a pay storm, and separately its PostgreSQL connections
 * are terminated under it (pg_terminate_backend). Whatever it answered 200 for must be durable; whatever it
 * did not answer may or may not have happened, but exactly once: retrying with the same Idempotency-Key
 * finishes the job. Every other payment carries no key (it runs as one autocommitted statement): its retry
 * either pays or finds the order already paid. The money invariants hold after every crash.
 */
const CYCLES = SCALE.bounded ? 2 : 6;
const ORDERS_PER_CYCLE = SCALE.bounded ? 120 : 300;
const CLIENTS = 12;
const figures = {
  crashes: 0,
  connectionKills: 0,
  paysSent: 0,
  answered200: 0,
  unanswered: 0,
  retried: 0,
  answered5xx: 0,
  keylessRetriesFoundPaid: 0,
};

let dbName: { url: string; drop(): Promise<void> };
let db: pg.Pool;
let admin: pg.Pool;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  dbName = await createDatabase('crash');
  db = newPgPool(dbName.url);
  admin = newPgPool(
    (process.env.TALLY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test').replace(
      /\/[^/]*$/,
      '/postgres',
    ),
  );
});

afterAll(async () => {
  recordFigures('crashes', { ...figures, cycles: CYCLES });
  for (const s of servers) await s.stop();
  await db?.end();
  await admin?.end();
  await dbName?.drop();
});

async function start(name: string): Promise<ServerProcess> {
  const s = await startServer(name, dbName.url, { TALLY_DB_POOL: '8', TALLY_SWEEP_INTERVAL_MS: '500' });
  servers.push(s);
  return s;
}

interface Job {
  org: Org;
  orderId: string;
  /** undefined: a payment without an Idempotency-Key */
  key: string | undefined;
}

async function prepare(base: string, orgs: Org[], n: number, tag: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < n; i += 8) {
    const made = await Promise.all(
      Array.from({ length: Math.min(8, n - i) }, (_, j) => buy(base, orgs[(i + j) % orgs.length]!)),
    );
    made.forEach((m, j) => {
      const key = (i + j) % 2 === 0 ? `${tag}-${i + j}` : undefined;
      jobs.push({ org: orgs[(i + j) % orgs.length]!, orderId: m.orderId, key });
    });
  }
  return jobs;
}

/** Pays every job with CLIENTS workers until done or until `stop()` says so; records every answer. */
async function storm(base: () => string, jobs: Job[], answers: Map<string, Answer>, stopAt: () => boolean) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!stopAt()) {
        const j = jobs[next++];
        if (!j) return;
        figures.paysSent++;
        const a = await call(base(), 'POST', `/v1/orgs/${j.org.id}/orders/${j.orderId}/pay`, {
          auth: j.org.admin.auth,
          body: {},
          headers: j.key ? { 'idempotency-key': j.key } : {},
        });
        answers.set(j.orderId, a);
      }
    }),
  );
}

/** Every order answered 200 is paid; every job is retried to completion with its key; then invariants. */
async function settle(base: string, jobs: Job[], answers: Map<string, Answer>): Promise<void> {
  const paid = new Set(
    (await db.query(`select id from orders where status = 'paid'`)).rows.map((r: { id: string }) => r.id),
  );
  for (const j of jobs) {
    const a = answers.get(j.orderId);
    if (a?.status === 200) {
      figures.answered200++;
      expect(paid.has(j.orderId), `order ${j.orderId} was answered 200 but is not paid`).toBe(true);
    } else {
      if (a && a.status >= 500) figures.answered5xx++;
      if (!a || a.status === 0) figures.unanswered++;
    }
  }
  expect(await checkInvariants(db)).toEqual([]);
  for (const j of jobs) {
    const a = answers.get(j.orderId);
    if (a?.status === 200) continue;
    figures.retried++;
    let r: Answer | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      r = await call(base, 'POST', `/v1/orgs/${j.org.id}/orders/${j.orderId}/pay`, {
        auth: j.org.admin.auth,
        body: {},
        headers: j.key ? { 'idempotency-key': j.key } : {},
      });
      if (r.status !== 0 && r.status < 500) break;
      await sleep(250);
    }
    if (!j.key && r?.status === 409) {
      // The unanswered key-less payment had happened: the retry finds the order paid, and nothing more is taken.
      expect(r.json?.error?.code, r.text).toBe('ORDER_NOT_PAYABLE');
      expect(r.json?.error?.details?.status, r.text).toBe('paid');
      figures.keylessRetriesFoundPaid++;
      continue;
    }
    expect(r?.status, `retry of ${j.orderId}: ${r?.text}`).toBe(200);
  }
  const r = await db.query(`select count(*)::int as n from orders where status = 'paid' and id = any($1)`, [
    jobs.map((j) => j.orderId),
  ]);
  expect(r.rows[0].n).toBe(jobs.length);
  expect(await checkInvariants(db)).toEqual([]);
}

test('SIGKILL in the middle of a pay storm: nothing answered 200 is lost, nothing is paid twice', async () => {
  let server = await start('crash-0');
  const orgs = await Promise.all(Array.from({ length: 4 }, () => makeOrg(server.url)));
  for (const o of orgs) await topUp(server.url, o, 90_000 * ORDERS_PER_CYCLE * CYCLES);
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const jobs = await prepare(server.url, orgs, ORDERS_PER_CYCLE, `kill${cycle}`);
    const answers = new Map<string, Answer>();
    const current = server;
    const killer = (async () => {
      // Let the storm get going, then crash the process without warning.
      await sleep(150 + Math.floor(Math.random() * 400));
      await current.kill();
      figures.crashes++;
    })();
    await storm(
      () => current.url,
      jobs,
      answers,
      () => false,
    );
    await killer;
    server = await start(`crash-${cycle + 1}`);
    await settle(server.url, jobs, answers);
  }
}, 600_000);

test('PostgreSQL connections terminated under load: the server recovers by itself and loses nothing', async () => {
  const server = servers.at(-1)!;
  const orgs = await Promise.all(Array.from({ length: 4 }, () => makeOrg(server.url)));
  for (const o of orgs) await topUp(server.url, o, 90_000 * ORDERS_PER_CYCLE * CYCLES);
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const jobs = await prepare(server.url, orgs, ORDERS_PER_CYCLE, `term${cycle}`);
    const answers = new Map<string, Answer>();
    let done = false;
    const killer = (async () => {
      for (let i = 0; i < 3 && !done; i++) {
        await sleep(100 + Math.floor(Math.random() * 200));
        const r = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'
             and application_name = ''`,
          [dbName.url.split('/').pop()],
        );
        figures.connectionKills += r.rowCount ?? 0;
      }
    })();
    await storm(
      () => server.url,
      jobs,
      answers,
      () => false,
    );
    done = true;
    await killer;
    // The same process, no restart: it must serve again on its own.
    let healthy = false;
    for (let i = 0; i < 40 && !healthy; i++) {
      const r = await call(server.url, 'GET', `/v1/orgs/${orgs[0]!.id}/balance`, {
        auth: orgs[0]!.admin.auth,
      });
      healthy = r.status === 200;
      if (!healthy) await sleep(250);
    }
    expect(healthy, 'the server did not recover after its connections were terminated').toBe(true);
    await settle(server.url, jobs, answers);
  }
}, 600_000);
