import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { type Formation, formationUnavailable, startFormation } from './formation.js';
import {
  type Answer,
  call,
  checkInvariants,
  clusterBody,
  makeOrg,
  OP,
  type Org,
  recordFigures,
  type ServerProcess,
  sleep,
  startServer,
  topUp,
  unique,
} from './support.js';

/**
 * Failover (SPEC §7.4): Tally on a pg_auto_failover formation (a monitor, a primary and a synchronous
 * standby), connected with a multi-host DATABASE_URL, under a storm of purchases and payments (most with an
 * Idempotency-Key, every fourth without). First a planned switchover, then a crash of the primary (kill -9
 * of its keeper and PostgreSQL). Afterwards: every payment answered 200 is paid on the primary the server is
 * now on, none twice, the money invariants hold, and every payment that was not answered 200 settles when
 * sent again. The longest time without a successful payment is measured for each event: at most 3 s for the
 * switchover, at most 15 s for the crash.
 */
const unavailable = formationUnavailable();
if (unavailable && process.env.CI === 'true')
  throw new Error(`CI=true but the failover test cannot run: ${unavailable}`);
if (unavailable) console.warn(`\n[tally] SKIPPING the failover test: ${unavailable}\n`);

const PORTS: [number, number] = [19800, 19899];
const BUYERS = 3;
const PAYERS = 6;
const SWITCHOVER_MAX_GAP_MS = 3_000;
const CRASH_MAX_GAP_MS = 15_000;

let formation: Formation | undefined;
let server: ServerProcess | undefined;
let check: pg.Pool | undefined;

afterAll(async () => {
  await server?.stop();
  await check?.end().catch(() => {});
  await formation?.stop();
}, 60_000);

interface Payment {
  org: Org;
  orderId: string;
  /** undefined: sent without an Idempotency-Key (one autocommitted statement) */
  key: string | undefined;
  answer: Answer;
}

/** The longest interval without a successful payment between `from` and `to` (ms since the epoch). */
function longestGap(successes: number[], from: number, to: number): number {
  const inside = successes.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let gap = 0;
  let prev = from;
  for (const t of inside) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  for (let p = 19890; p <= 19899; p++) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return p;
  }
  throw new Error('no free port in 19890-19899');
}

test.skipIf(unavailable !== undefined)(
  'a switchover and a crash failover under a pay storm: nothing answered 200 is lost, nothing is paid twice',
  async () => {
    const started = Date.now();
    const log = (line: string) => console.log(`[failover] ${line}`);
    formation = await startFormation({ ports: PORTS, dbname: 'tally', log });
    server = await startServer('failover', formation.url, {
      PORT: String(await freePort()),
      TALLY_DB_POOL: '8',
    });
    const base = server.url;
    const health = async () => (await call(base, 'GET', '/healthz')).json?.database;
    const first = await formation.waitHealthy();
    expect(await health()).toEqual({ role: 'primary', address: `127.0.0.1:${first.port}` });

    const orgs = await Promise.all(Array.from({ length: 4 }, () => makeOrg(base)));
    for (const o of orgs) await topUp(base, o, 90_000 * 1_000);

    // The storm: buyers keep a queue of unpaid orders filled (each purchase retried with its key until it is
    // answered); payers pay from it. Before each event the payers pause until the queue is long, so that
    // orders are ready the moment writes are back and the gap measures the database, not the purchases.
    const payments: Payment[] = [];
    const successes: number[] = [];
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const ready: { org: Org; orderId: string }[] = [];
    const QUEUE = 30;
    let gate = false;
    let stop = false;
    let n = 0;
    const buyers = Array.from({ length: BUYERS }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        if (ready.length >= 2 * QUEUE) {
          await sleep(20);
          continue;
        }
        const org = orgs[(c + i) % orgs.length]!;
        const buyKey = unique('buy');
        const body = clusterBody(org.projectId);
        while (!stop) {
          const r = await call(base, 'POST', `/v1/orgs/${org.id}/clusters`, {
            auth: org.admin.auth,
            body,
            headers: { 'idempotency-key': buyKey },
          });
          if (r.status === 201) {
            ready.push({ org, orderId: r.json.order.id });
            break;
          }
          await sleep(50);
        }
      }
    });
    const payers = Array.from({ length: PAYERS }, async () => {
      while (!stop) {
        const next = gate ? undefined : ready.shift();
        if (!next) {
          await sleep(10);
          continue;
        }
        const { org, orderId } = next;
        const key = n++ % 4 === 3 ? undefined : unique('pay');
        const t = Date.now();
        const answer = await call(base, 'POST', `/v1/orgs/${org.id}/orders/${orderId}/pay`, {
          auth: org.admin.auth,
          body: {},
          headers: key ? { 'idempotency-key': key } : {},
        });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 200) {
          successes.push(Date.now());
          latencies.push(Date.now() - t);
        }
        payments.push({ org, orderId, key, answer });
      }
    });
    const clients = [...buyers, ...payers];
    const successAfter = async (t: number, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until && !successes.some((s) => s > t)) await sleep(50);
    };
    /** Pauses the payers until QUEUE orders are ready, then lets payments flow for a moment. */
    const fillQueue = async () => {
      gate = true;
      const until = Date.now() + 60_000;
      while (ready.length < QUEUE && Date.now() < until) await sleep(50);
      gate = false;
      await successAfter(Date.now(), 30_000);
      await sleep(1_500);
    };

    // 1. A planned switchover, once payments flow.
    await fillQueue();
    const s0 = Date.now();
    await formation.switchover();
    const s1 = Date.now();
    await successAfter(s1, 30_000);
    await sleep(2_000);
    const switchEnd = Date.now();
    const switchoverGap = longestGap(successes, s0, switchEnd);
    log(
      `switchover: pg_autoctl took ${((s1 - s0) / 1000).toFixed(1)} s; longest gap without a successful payment ${(switchoverGap / 1000).toFixed(2)} s`,
    );

    // 2. A crash of the (new) primary, once the old one is its standby again.
    const primary = await formation.waitHealthy(60_000);
    await fillQueue();
    const c0 = Date.now();
    await formation.crash(primary.name);
    await successAfter(c0 + 200, 60_000);
    await sleep(2_000);
    const crashEnd = Date.now();
    const crashGap = longestGap(successes, c0, crashEnd);
    log(
      `crash of ${primary.name}: longest gap without a successful payment ${(crashGap / 1000).toFixed(2)} s`,
    );

    stop = true;
    await Promise.all(clients);

    // The server follows the primary the monitor names.
    const now = (await formation.state()).find((x) => x.reportedState.includes('primary'));
    expect(now, 'the monitor names a primary').toBeDefined();
    expect(now!.name).not.toBe(primary.name);
    expect(await health()).toEqual({ role: 'primary', address: `127.0.0.1:${now!.port}` });

    // Every payment not answered 200 settles when sent again: with its key it pays once or replays the
    // first answer; without a key it pays, or finds the order paid (the first attempt had committed).
    let retried = 0;
    let keylessFoundPaid = 0;
    for (const p of payments) {
      if (p.answer.status === 200) continue;
      retried++;
      let r: Answer | undefined;
      for (let attempt = 0; attempt < 40; attempt++) {
        r = await call(base, 'POST', `/v1/orgs/${p.org.id}/orders/${p.orderId}/pay`, {
          auth: p.org.admin.auth,
          body: {},
          headers: p.key ? { 'idempotency-key': p.key } : {},
        });
        if (r.status !== 0 && r.status < 500) break;
        await sleep(250);
      }
      if (!p.key && r?.status === 409) {
        expect(r.json?.error?.code, r.text).toBe('ORDER_NOT_PAYABLE');
        expect(r.json?.error?.details?.status, r.text).toBe('paid');
        keylessFoundPaid++;
        continue;
      }
      expect(r?.status, `retry of ${p.orderId}: ${r?.text}`).toBe(200);
    }

    // On the primary the server is on now: every payment is paid exactly once, the ledgers balance.
    check = new pg.Pool({ connectionString: formation.urlOf(now!.port), max: 2 });
    check.on('error', () => {});
    const paid = new Set(
      (await check.query<{ id: string }>(`select id from orders where status = 'paid'`)).rows.map(
        (r) => r.id,
      ),
    );
    const answered200 = payments.filter((p) => p.answer.status === 200);
    const lost = answered200.filter((p) => !paid.has(p.orderId)).map((p) => p.orderId);
    expect(lost, 'answered 200 but not paid on the new primary').toEqual([]);
    expect(payments.filter((p) => !paid.has(p.orderId)).map((p) => p.orderId)).toEqual([]);
    expect(await checkInvariants(check)).toEqual([]);

    // The server hears the new primary's announcements too: a key revoked there (by SQL, as an operator would)
    // is refused within seconds, though the server had kept its principal from the storm.
    const revokedOrg = orgs[0]!;
    expect(
      (await call(base, 'GET', `/v1/orgs/${revokedOrg.id}/balance`, { auth: revokedOrg.admin.auth })).status,
    ).toBe(200);
    await check.query(`update api_keys set revoked_at = now() where user_id = $1`, [revokedOrg.admin.id]);
    const revokedBy = Date.now() + 10_000;
    let afterRevoke = 0;
    while (Date.now() < revokedBy) {
      afterRevoke = (
        await call(base, 'GET', `/v1/orgs/${revokedOrg.id}/balance`, { auth: revokedOrg.admin.auth })
      ).status;
      if (afterRevoke === 401) break;
      await sleep(50);
    }
    expect(afterRevoke, 'a key revoked on the new primary').toBe(401);

    const metrics = (await call(base, 'GET', '/metrics', { auth: OP })).text;
    const failovers = Number(/^tally_db_failovers_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    const commandRetries = Number(
      /^tally_db_failover_retries_total\{kind="command"\} (\d+)/m.exec(metrics)?.[1] ?? 0,
    );

    const figures = {
      payments: payments.length,
      answered200: answered200.length,
      medianPayMs: latencies.sort((a, b) => a - b)[Math.floor(latencies.length / 2)] ?? null,
      statuses: Object.fromEntries(statuses),
      // what the client saw instead of an answer (status 0), or the error of a 5xx
      notAnswered: payments
        .filter((p) => p.answer.status !== 200)
        .map((p) => `${p.answer.status} ${p.answer.text.slice(0, 160)}`),
      retriedAfterwards: retried,
      keylessRetriesFoundPaid: keylessFoundPaid,
      switchoverGapMs: switchoverGap,
      switchoverCommandMs: s1 - s0,
      crashGapMs: crashGap,
      failoversSeenByServer: failovers,
      commandRetriesInServer: commandRetries,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    log(JSON.stringify(figures));
    recordFigures('failover', figures);

    expect(failovers, 'tally_db_failovers_total').toBeGreaterThanOrEqual(2);
    expect(
      switchoverGap,
      'longest gap without a successful payment around the switchover',
    ).toBeLessThanOrEqual(SWITCHOVER_MAX_GAP_MS);
    expect(crashGap, 'longest gap without a successful payment after the crash').toBeLessThanOrEqual(
      CRASH_MAX_GAP_MS,
    );
  },
  300_000,
);
