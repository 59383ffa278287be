import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  apply,
  DAY,
  describe as describeOp,
  emptyModel,
  errCode,
  KEY_WINDOW_MS,
  type Model,
  type Op,
  pathOf,
  provision,
  settle,
} from './model.js';
import {
  type Answer,
  call,
  checkFinalStatesStable,
  checkInvariants,
  createDatabase,
  makeOrg,
  newPgPool,
  OP,
  type Org,
  ok,
  recordFigures,
  SCALE,
  type ServerProcess,
  startServer,
} from './support.js';

/**
 * Model-based simulation (after TigerBeetle's VOPR, at a much smaller scale): fast-check generates sequences
 * of steps — batches of concurrent operations (purchases, upgrades, payments, double clicks, replays and
 * misuses of Idempotency-Keys, cancels, bank transfers including repeated and conflicting references, unknown
 * remittance codes, coupons), test-clock jumps across deadlines, sweeps — and runs them against a real server
 * process on PostgreSQL. Every answer must match the model under some serial order of its batch, and after
 * every step the money invariants hold and the database agrees with the model. A failure prints the seed and
 * the shrunk sequence; rerun it with TALLY_SIM_SEED (and TALLY_SIM_STEPS, TALLY_SIM_RUNS).
 */
const PROVISION_SECONDS = 3600;
const ORGS = 3;
const MAX_ADVANCE_MS = 20 * DAY; // per run: terms (>= 30 days) never end inside one run

type GenOp =
  | { k: 'create'; org: number; cu: number; months: number }
  | { k: 'upgrade'; org: number; pick: number; to: number }
  | { k: 'pay'; org: number; pick: number; key: boolean; coupon: boolean }
  | { k: 'double'; org: number; pick: number; sameKey: boolean }
  | { k: 'replay'; org: number; pick: number }
  | { k: 'misuse'; org: number; pick: number; other: number }
  | { k: 'cancel'; org: number; pick: number; key: boolean }
  | { k: 'bank'; org: number; amount: number; ref: 'fresh' | 'repeat' | 'conflict' | 'unknown'; pick: number }
  | { k: 'coupon'; org: number; amount: number };
type Step = { k: 'batch'; ops: GenOp[] } | { k: 'clock'; seconds: number } | { k: 'sweep' };

const org = fc.nat(ORGS - 1);
const pick = fc.nat(1000);
const genOp: fc.Arbitrary<GenOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('create' as const),
      org,
      cu: fc.constantFrom(1, 2, 4),
      months: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('upgrade' as const), org, pick, to: fc.constantFrom(2, 4, 6, 8) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('pay' as const),
      org,
      pick,
      key: fc.boolean(),
      coupon: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('double' as const), org, pick, sameKey: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('replay' as const), org, pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('misuse' as const), org, pick, other: pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), org, pick, key: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('bank' as const),
      org,
      amount: fc.integer({ min: 1, max: 1_200_000 }),
      ref: fc.constantFrom(
        'fresh' as const,
        'fresh' as const,
        'repeat' as const,
        'conflict' as const,
        'unknown' as const,
      ),
      pick,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('coupon' as const),
      org,
      amount: fc.integer({ min: 1, max: 100_000 }),
    }),
  },
);
// A coupon flag drawn from Math.random would break replay; derive it from the pick instead.
const genOpStable: fc.Arbitrary<GenOp> = genOp.map((o) =>
  o.k === 'pay' ? { ...o, coupon: o.coupon && o.pick % 5 === 0 } : o,
);
const genStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('batch' as const),
      ops: fc.array(genOpStable, { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('clock' as const),
      seconds: fc.constantFrom(3600, 86_400, 3 * 86_400, 6 * 86_400, 7 * 86_400),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: 'sweep' as const }) },
);

const figures = {
  runs: 0,
  steps: 0,
  operations: 0,
  concurrentBatches: 0,
  races: 0,
  doubleClicks: 0,
  replays: 0,
  clockJumps: 0,
  sweeps: 0,
  answersChecked: 0,
  invariantChecks: 0,
};

let server: ServerProcess;
let drop: () => Promise<void>;
let db: pg.Pool;
const finalStates = new Map<string, string>();

beforeAll(async () => {
  const d = await createDatabase('sim');
  drop = d.drop;
  server = await startServer('sim', d.url, {
    TALLY_PROVISION_SECONDS: String(PROVISION_SECONDS),
    TALLY_SWEEP_INTERVAL_MS: '700',
  });
  db = newPgPool(d.url);
}, 120_000);

afterAll(async () => {
  recordFigures('simulation', {
    ...figures,
    seed: SCALE.seed ?? null,
    maxSteps: SCALE.steps,
    numRuns: SCALE.runs,
  });
  await db?.end().catch(() => {});
  await server?.stop();
  await drop?.();
});

class Clock {
  private base = 0;
  private wall = 0;
  async sync(base: string) {
    const r = await ok(call(base, 'GET', '/v1/internal/clock', { auth: OP }), 200, 'clock');
    this.base = Date.parse(r.now);
    this.wall = Date.now();
  }
  now() {
    return this.base + (Date.now() - this.wall);
  }
}

interface Run {
  orgs: Org[];
  model: Model;
  clock: Clock;
  advancedMs: number;
  n: number;
  id: string;
  trace: string[];
}

function ordersOf(m: Model, o: number) {
  return Object.values(m.orders).filter((x) => x.org === o);
}

/** Turns generated operations into concrete ones against the state before the step. */
function resolve(run: Run, g: GenOp): Op[] {
  const m = run.model;
  const fresh = () => `k-${run.id}-${run.n++}`;
  switch (g.k) {
    case 'create':
      return [g];
    case 'upgrade': {
      const cs = Object.values(m.clusters).filter((c) => c.org === g.org);
      if (!cs.length) return [];
      return [{ k: 'upgrade', org: g.org, clusterId: cs[g.pick % cs.length]!.id, to: g.to }];
    }
    case 'pay':
    case 'cancel': {
      const os = ordersOf(m, g.org);
      if (!os.length) return [];
      const orderId = os[g.pick % os.length]!.id;
      const key = g.key ? fresh() : undefined;
      if (g.k === 'cancel') return [{ k: 'cancel', org: g.org, orderId, ...(key ? { key } : {}) }];
      const couponId = g.coupon ? 'cpn_any' : undefined;
      return [{ k: 'pay', org: g.org, orderId, ...(key ? { key } : {}), ...(couponId ? { couponId } : {}) }];
    }
    case 'double': {
      const os = ordersOf(m, g.org);
      if (!os.length) return [];
      const orderId = os[g.pick % os.length]!.id;
      figures.doubleClicks++;
      if (g.sameKey) {
        const key = fresh();
        return [
          { k: 'pay', org: g.org, orderId, key },
          { k: 'pay', org: g.org, orderId, key },
        ];
      }
      return [
        { k: 'pay', org: g.org, orderId },
        { k: 'pay', org: g.org, orderId },
      ];
    }
    case 'replay': {
      const ks = m.keyed.filter((r) => r.org === g.org);
      if (!ks.length) return [];
      figures.replays++;
      return [{ k: 'replay', org: g.org, req: ks[g.pick % ks.length]! }];
    }
    case 'misuse': {
      const ks = m.keyed.filter((r) => r.org === g.org && r.path.endsWith('/pay'));
      const os = ordersOf(m, g.org);
      if (!ks.length || os.length < 2) return [];
      const req = ks[g.pick % ks.length]!;
      const other =
        os.map((o) => o.id).find((id, i) => i >= g.other % os.length && !req.path.includes(id)) ??
        os.map((o) => o.id).find((id) => !req.path.includes(id));
      if (!other) return [];
      return [{ k: 'pay', org: g.org, orderId: other, key: req.key }];
    }
    case 'bank': {
      if (g.ref === 'unknown')
        return [
          {
            k: 'bank',
            org: null,
            ref: `UNK-${fresh()}`,
            amount: g.amount,
            code: `0${String(g.amount).padStart(8, '7').slice(-8)}`,
          },
        ];
      const refs = Object.entries(m.orgs[g.org]!.refs);
      if (g.ref === 'fresh' || !refs.length)
        return [{ k: 'bank', org: g.org, ref: `REF-${fresh()}`, amount: g.amount }];
      const [ref, amount] = refs[g.pick % refs.length]!;
      return [{ k: 'bank', org: g.org, ref, amount: g.ref === 'repeat' ? amount : amount + 1 }];
    }
    case 'coupon':
      return [g];
  }
}

async function send(run: Run, op: Op): Promise<Answer> {
  const r = pathOf(op, run.orgs);
  const key = op.k === 'pay' || op.k === 'cancel' ? op.key : op.k === 'replay' ? op.req.key : undefined;
  const auth = op.k === 'bank' || op.k === 'coupon' ? OP : run.orgs[op.org]!.admin.auth;
  return call(server.url, r.method, r.path, {
    auth,
    body: r.body,
    headers: key ? { 'idempotency-key': key } : {},
  });
}

/** Depth-first search for a serial order of the batch under which the model gives every actual answer. */
function linearize(model: Model, ops: Op[], answers: Answer[], now: number, orgs: Org[]): Model | string {
  let firstMismatch = '';
  const dfs = (m: Model, left: number[]): Model | null => {
    if (!left.length) return m;
    for (const i of left) {
      const next = structuredClone(m);
      const e = apply(next, ops[i]!, answers[i]!, now, orgs);
      const a = answers[i]!;
      let why: string | null = null;
      if (a.status !== e.status) why = `status ${a.status}, expected ${e.status}`;
      else if (e.code && errCode(a) !== e.code) why = `code ${errCode(a)}, expected ${e.code}`;
      else if (e.check) why = e.check(a);
      if (why) {
        if (!firstMismatch) firstMismatch = `${describeOp(ops[i]!)}: ${why}; answer ${a.text.slice(0, 400)}`;
        continue;
      }
      const done = dfs(
        next,
        left.filter((j) => j !== i),
      );
      if (done) return done;
    }
    return null;
  };
  return (
    dfs(
      model,
      ops.map((_, i) => i),
    ) ?? firstMismatch
  );
}

async function drainOutbox(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await db.query(
      `select count(*)::int as n from outbox_events where processed_at is null and type = 'order.paid'`,
    );
    if (r.rows[0].n === 0) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  await ok(call(server.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} }), 200, 'jobs');
}

/** The database must agree with the model: cash, the status of every order, the state and size of clusters. */
async function compareWithModel(run: Run): Promise<string[]> {
  const errors: string[] = [];
  const now = run.clock.now();
  const ids = run.orgs.map((o) => o.id);
  const bal = await db.query('select org_id, cash from balances where org_id = any($1)', [ids]);
  for (const row of bal.rows) {
    const i = ids.indexOf(row.org_id);
    if (row.cash !== String(run.model.orgs[i]!.cash))
      errors.push(`org${i} cash ${row.cash}, model ${run.model.orgs[i]!.cash}`);
  }
  const ord = await db.query(
    `select id, case when status = 'unpaid' and expires_at <= $2 then 'timed_out' else status end as status
     from orders where org_id = any($1)`,
    [ids, new Date(now)],
  );
  const seen = new Set<string>();
  for (const row of ord.rows) {
    seen.add(row.id);
    const mo = run.model.orders[row.id];
    if (!mo) errors.push(`order ${row.id} exists but the model has none`);
    else if (mo.status !== row.status) errors.push(`order ${row.id} is ${row.status}, model ${mo.status}`);
  }
  for (const id of Object.keys(run.model.orders)) if (!seen.has(id)) errors.push(`order ${id} missing`);
  const cl = await db.query('select id, state, cu_size from clusters where org_id = any($1)', [ids]);
  for (const row of cl.rows) {
    const mc = run.model.clusters[row.id];
    if (!mc) {
      errors.push(`cluster ${row.id} exists but the model has none`);
      continue;
    }
    const dbState = row.state === 'pending_payment' && mc.state === 'cancelled' ? 'cancelled' : row.state;
    if (dbState !== mc.state || row.cu_size !== mc.cuSize)
      errors.push(`cluster ${row.id} is ${row.state}/${row.cu_size} CU, model ${mc.state}/${mc.cuSize} CU`);
  }
  return errors;
}

async function runScenario(steps: Step[]): Promise<void> {
  figures.runs++;
  const orgs = await Promise.all(Array.from({ length: ORGS }, () => makeOrg(server.url)));
  const clock = new Clock();
  await clock.sync(server.url);
  const run: Run = {
    orgs,
    model: emptyModel(ORGS, PROVISION_SECONDS * 1000),
    clock,
    advancedMs: 0,
    n: 0,
    id: Math.random().toString(36).slice(2, 8),
    trace: [],
  };
  const fail = (why: string) => {
    const message = `${why}\n  trace of this run:\n    ${run.trace.join('\n    ')}`;
    appendFileSync(PROGRESS, `FAILED run ${figures.runs}: ${message}\n`);
    throw new Error(message);
  };
  for (const step of steps) {
    figures.steps++;
    if (step.k === 'clock') {
      if (run.advancedMs + step.seconds * 1000 > MAX_ADVANCE_MS) continue;
      figures.clockJumps++;
      // Land well away from every deadline and every provisioning time, so that no answer depends on
      // the milliseconds between the model's clock and the server's.
      await ok(call(server.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} }), 200, 'jobs');
      let ms = step.seconds * 1000;
      const marks = [
        ...Object.values(run.model.orders)
          .filter((o) => o.status === 'unpaid')
          .map((o) => o.expiresAt),
        ...Object.values(run.model.clusters).flatMap((c) => (c.readyAt === null ? [] : [c.readyAt])),
        ...Object.values(run.model.keys).map((k) => k.at + KEY_WINDOW_MS),
      ];
      const target = () => run.clock.now() + ms;
      while (marks.some((t) => Math.abs(t - target()) < 15 * 60_000)) ms += 30 * 60_000;
      run.advancedMs += ms;
      await ok(
        call(server.url, 'POST', '/v1/internal/clock', {
          auth: OP,
          body: { advanceSeconds: Math.round(ms / 1000) },
        }),
        200,
        'clock',
      );
      await ok(call(server.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} }), 200, 'jobs');
      await clock.sync(server.url);
      settle(run.model, clock.now());
      provision(run.model, clock.now());
      run.trace.push(`clock +${Math.round(ms / 3_600_000)} h`);
    } else if (step.k === 'sweep') {
      figures.sweeps++;
      const r = await call(server.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} });
      if (r.status !== 200) fail(`jobs/run answered ${r.status} ${r.text}`);
      settle(run.model, clock.now());
      run.trace.push('sweep');
    } else {
      const ops = step.ops.flatMap((g) => resolve(run, g));
      if (!ops.length) continue;
      figures.operations += ops.length;
      if (ops.length > 1) {
        figures.concurrentBatches++;
        const money = ops.filter(
          (o) => o.k === 'pay' || o.k === 'cancel' || o.k === 'bank' || o.k === 'replay',
        );
        const orgsTouched = new Set(money.map((o) => o.org));
        if (money.length > orgsTouched.size) figures.races++;
      }
      const now = clock.now();
      const answers = await Promise.all(ops.map((op) => send(run, op)));
      figures.answersChecked += answers.length;
      run.trace.push(
        `[${ops.map((o, i) => `${describeOp(o)} → ${answers[i]!.status}${errCode(answers[i]!) ? ` ${errCode(answers[i]!)}` : ''}`).join(' ‖ ')}]`,
      );
      const bad = answers.find((a) => a.status >= 500 || a.status === 0);
      if (bad) fail(`a server error: ${bad.status} ${bad.text.slice(0, 500)}`);
      const next = linearize(run.model, ops, answers, now, orgs);
      if (typeof next === 'string') fail(`no serial order of the batch explains the answers: ${next}`);
      run.model = next as Model;
      settle(run.model, clock.now());
      await drainOutbox();
    }
    figures.invariantChecks++;
    const errors = [
      ...(await checkInvariants(db)),
      ...(await checkFinalStatesStable(db, finalStates)),
      ...(await compareWithModel(run)),
    ];
    if (errors.length) fail(`invariants broken after step ${run.trace.length}:\n  ${errors.join('\n  ')}`);
  }
  appendFileSync(PROGRESS, `run ${figures.runs} ok: ${run.trace.length} steps\n`);
}

const PROGRESS = 'test-output/reliability/simulation-progress.log';

test(
  'model-based simulation: concurrent clients, the test clock and the sweeper never lose or duplicate money',
  async () => {
    const budgetMs = SCALE.bounded ? 120_000 : 30 * 60_000;
    await fc.assert(
      fc.asyncProperty(
        fc.array(genStep, { minLength: Math.min(5, SCALE.steps), maxLength: SCALE.steps, size: 'max' }),
        runScenario,
      ),
      {
        numRuns: SCALE.runs,
        ...(SCALE.seed !== undefined ? { seed: SCALE.seed } : {}),
        interruptAfterTimeLimit: budgetMs,
        markInterruptAsFailure: false,
        endOnFailure: false,
        verbose: 1,
      },
    );
    expect(figures.steps).toBeGreaterThan(0);
    expect(figures.answersChecked).toBeGreaterThan(0);
  },
  45 * 60_000,
);
