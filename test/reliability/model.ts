import type { Answer, Org } from './support.js';

/**
 * A small in-memory model of what Tally must do, for the model-based simulation. It knows orders, clusters,
 * cash, bank references, Idempotency-Keys, the 自动续订 switch and the auto-renew attempts of the orgs of one
 * run, and for each operation predicts the answer (status and error code, and for a payment the balance after
 * it). Concurrent operations are checked by looking for a serial order in which the model gives exactly the
 * answers the server gave (linearizability).
 *
 * The subscription term (SPEC §8): a cluster's state as of now follows its term end (expiring from 30 days
 * before, expired at it, recycled 7 days after, deleted 37 days after); the system cancels an unpaid upgrade
 * at the expiry and an unpaid renewal at the recycle; a paid renewal adds its term to the old end, a paid
 * upgrade with a term ends a term after its payment; auto-renew attempts at end − 7 d + k × 24 h, k = 0…13,
 * each once, the latest due one when the jobs run.
 */
export const DAY = 86_400_000;
export const CU_DAY_FEN = 125 * 24; // performance CU, list price, per day
export const MONTH_FEN = CU_DAY_FEN * 30;
export const KEY_WINDOW_MS = 8 * DAY;
/** SPEC §8.1, in days from the term end */
export const EXPIRING_FROM = -30 * DAY;
export const RECYCLE_AFTER = 7 * DAY;
export const DELETE_AFTER = 37 * DAY;
/** SPEC §8.4 */
export const FIRST_ATTEMPT = -7 * DAY;
export const LAST_K = 13;

export type Status = 'unpaid' | 'paid' | 'cancelled' | 'timed_out';
export type OrderType = 'new_purchase' | 'upgrade' | 'renewal';

/** A term as the API takes it; a month is 30 days and a year 12 months (SPEC §8). */
export interface MTerm {
  unit: 'month' | 'year';
  count: number;
}
export const termMonths = (t: MTerm) => (t.unit === 'year' ? 12 * t.count : t.count);
export const termMs = (t: MTerm) => termMonths(t) * 30 * DAY;
/** The default catalog: months at list price, 1 year at 70%, 3 years at 50%. */
export const termDiscount = (t: MTerm) => (t.unit === 'year' ? (t.count >= 3 ? 50 : 70) : 100);
const termLabel = (t: MTerm) => `${t.count}${t.unit === 'year' ? 'y' : 'mo'}`;

export interface MOrder {
  id: string;
  org: number;
  clusterId: string;
  type: OrderType;
  status: Status;
  amount: number;
  expiresAt: number;
  /** SPEC §8.1: an upgrade's cluster expiry, a renewal's cluster recycle */
  cancelAt: number | null;
  targetCu: number;
  /** the term bought: a new purchase's and a renewal's, an upgrade's new term (null: the term end stays) */
  term: MTerm | null;
  /** made by auto-renew */
  bySystem?: boolean;
}

export interface MCluster {
  id: string;
  org: number;
  /** the state apart from the timeline (which `clusterState` lays over it as of now) */
  state: 'pending_payment' | 'creating' | 'running' | 'upgrading' | 'cancelled';
  cuSize: number;
  /** the term of the last purchase or renewal (an auto-renew order renews for it) */
  term: MTerm;
  orderId: string;
  readyAt: number | null;
  termEndsAt: number | null;
  targetCu: number | null;
  /** an upgrade paid in this step, its provisioning event not yet handled */
  unapplied?: boolean;
}

export type Outcome = 'paid' | 'failed' | 'skipped';

/** An auto-renew attempt as the model predicts it; `orderId` starts as a placeholder for an order it made. */
export interface MAttempt {
  org: number;
  clusterId: string;
  termEndsAt: number;
  k: number;
  outcome: Outcome;
  orderId: string | null;
  amount: number | null;
  shortfall: number | null;
}

/**
 * A bill as the model knows it (SPEC §10.2, §10.3). The server prices usage and applies coupons at issue: the
 * simulation adopts an issued bill's figures (`net` = usage − coupons, `total`, `amountDue`, `confirmsAt`) from
 * the database, and from then on the model predicts its life: confirmation by the user or the job, dispute and
 * resolution, the charge from cash as far as it goes, top-ups paying the oldest first, overdue and frozen.
 */
export interface MBill {
  org: number;
  month: string;
  status: 'pending_confirmation' | 'disputed' | 'unpaid' | 'paid';
  net: number;
  total: number;
  adjustment: number;
  amountDue: number;
  paid: number;
  confirmsAt: number;
  /** confirmation + 14 days (the server's instant, adopted after the step) */
  dueAt: number | null;
}
export const ARREARS_MS = 14 * DAY;

export interface KeyedRequest {
  org: number;
  key: string;
  path: string;
  body: unknown;
}

export interface Model {
  /** `autoRenewAt`: when the switch last changed (an attempt scheduled before it is not made late) */
  orgs: { cash: number; refs: Record<string, number>; autoRenew: boolean; autoRenewAt: number | null }[];
  orders: Record<string, MOrder>;
  clusters: Record<string, MCluster>;
  /** `${clusterId}|${termEndsAt}|${k}` → the attempt */
  attempts: Record<string, MAttempt>;
  /** `${org}|${key}` → the request it was first used with and the answer then given */
  keys: Record<string, { path: string; body: string; status: number; json: unknown; at: number }>;
  keyed: KeyedRequest[];
  provisionMs: number;
  /** `${org}|${month}` → the bill */
  bills: Record<string, MBill>;
}

export function emptyModel(orgCount: number, provisionMs: number): Model {
  return {
    orgs: Array.from({ length: orgCount }, () => ({
      cash: 0,
      refs: {},
      autoRenew: false,
      autoRenewAt: null,
    })),
    orders: {},
    clusters: {},
    attempts: {},
    keys: {},
    keyed: [],
    provisionMs,
    bills: {},
  };
}

/**
 * How the system ends an unpaid order: at its deadline (timed out), or at its cluster's expiry (an upgrade)
 * or recycle (a renewal) when that comes first (cancelled, SPEC §8.1). At a tie the deadline wins.
 */
export function systemEnd(o: MOrder): { at: number; to: 'timed_out' | 'cancelled' } {
  return o.cancelAt !== null && o.cancelAt < o.expiresAt
    ? { at: o.cancelAt, to: 'cancelled' }
    : { at: o.expiresAt, to: 'timed_out' };
}

export const effective = (o: MOrder, now: number): Status => {
  if (o.status !== 'unpaid') return o.status;
  const end = systemEnd(o);
  return now >= end.at ? end.to : 'unpaid';
};

/** Applies the deadlines: what the server shows at `now` (an unpaid order past its system end is ended). */
export function settle(m: Model, now: number): void {
  for (const o of Object.values(m.orders)) {
    const st = effective(o, now);
    if (st !== o.status) {
      o.status = st;
      const c = m.clusters[o.clusterId];
      if (o.type === 'new_purchase' && c && c.state === 'pending_payment') c.state = 'cancelled';
    }
  }
}

export type ClusterState = MCluster['state'] | 'expiring' | 'expired' | 'recycled' | 'deleted';

/** A cluster's state as of `now` (SPEC §8.1): the timeline's instants take effect at once. */
export function clusterState(c: MCluster, now: number): ClusterState {
  if (c.state === 'pending_payment' || c.state === 'cancelled' || c.termEndsAt === null) return c.state;
  const t = now - c.termEndsAt;
  if (t >= DELETE_AFTER) return 'deleted';
  if (t >= RECYCLE_AFTER) return 'recycled';
  if (t >= 0) return 'expired';
  if (c.state === 'creating' || c.state === 'upgrading') return c.state;
  return t >= EXPIRING_FROM ? 'expiring' : 'running';
}

const RENEWABLE: ClusterState[] = ['creating', 'running', 'upgrading', 'expiring', 'expired'];
const UPGRADABLE: ClusterState[] = ['running', 'expiring'];

/** The cluster's unpaid upgrade or renewal (SPEC §2: at most one). */
export const pendingChange = (m: Model, clusterId: string, now: number): MOrder | undefined =>
  Object.values(m.orders).find(
    (o) => o.clusterId === clusterId && o.type !== 'new_purchase' && effective(o, now) === 'unpaid',
  );

/** The configuration a change prices: while upgrading, the one being applied. */
const shapeCu = (c: MCluster) => c.targetCu ?? c.cuSize;

export const renewalAmount = (cu: number, term: MTerm) =>
  Math.round((cu * MONTH_FEN * termMonths(term) * termDiscount(term)) / 100);

/** The instants on the timelines of the model's clusters (for landing a clock jump away from them). */
export function timelineMarks(m: Model): number[] {
  const out: number[] = [];
  for (const c of Object.values(m.clusters)) {
    if (c.termEndsAt === null) continue;
    const e = c.termEndsAt;
    out.push(e + EXPIRING_FROM, e, e + RECYCLE_AFTER, e + DELETE_AFTER);
    if (m.orgs[c.org]!.autoRenew) for (let k = 0; k <= LAST_K; k++) out.push(e + FIRST_ATTEMPT + k * DAY);
  }
  for (const o of Object.values(m.orders)) if (o.status === 'unpaid') out.push(systemEnd(o).at);
  for (const b of Object.values(m.bills)) {
    if (b.status === 'pending_confirmation') out.push(b.confirmsAt);
    if (b.status === 'unpaid' && b.dueAt !== null) out.push(b.dueAt);
  }
  return out;
}

/** The latest attempt due at `now` for a term ending at `end`, or null outside the window. */
export function dueAttempt(end: number, now: number): number | null {
  const since = now - (end + FIRST_ATTEMPT);
  if (since < 0) return null;
  const k = Math.floor(since / DAY);
  return k <= LAST_K ? k : null;
}

/** A bill's status as read at `now`: an unpaid bill past its due instant is overdue (SPEC §10.3). */
export const billStatus = (b: MBill, now: number): MBill['status'] | 'overdue' =>
  b.status === 'unpaid' && b.dueAt !== null && now >= b.dueAt ? 'overdue' : b.status;

/** SPEC §10.3: an org with an overdue bill is frozen. */
export const frozen = (m: Model, org: number, now: number): boolean =>
  Object.values(m.bills).some((b) => b.org === org && billStatus(b, now) === 'overdue');

export const billsOf = (m: Model, org: number): MBill[] =>
  Object.values(m.bills)
    .filter((b) => b.org === org)
    .sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));

/** Charges a confirmed bill from cash as far as it goes; whether it is paid in full. */
function chargeBill(m: Model, b: MBill): boolean {
  const org = m.orgs[b.org]!;
  const take = Math.min(org.cash, b.amountDue - b.paid);
  org.cash -= take;
  b.paid += take;
  if (b.paid === b.amountDue) b.status = 'paid';
  return b.status === 'paid';
}

/** Confirms a pending or disputed bill at `now` and charges it (SPEC §10.2). */
export function confirmModelBill(m: Model, b: MBill, now: number): void {
  b.status = 'unpaid';
  b.dueAt = now + ARREARS_MS;
  chargeBill(m, b);
}

/** After a top-up: the org's unpaid and overdue bills, oldest first, each paid as far as the cash goes. */
function payOutstanding(m: Model, org: number): void {
  for (const b of billsOf(m, org)) {
    if (b.status !== 'unpaid') continue;
    if (!chargeBill(m, b)) break;
  }
}

/** The confirmation job at `now`: every pending bill whose 3 business days are over. Returns how many. */
export function confirmDueBills(m: Model, now: number): number {
  let n = 0;
  for (let org = 0; org < m.orgs.length; org++)
    for (const b of billsOf(m, org))
      if (b.status === 'pending_confirmation' && b.confirmsAt <= now) {
        confirmModelBill(m, b, now);
        n++;
      }
  return n;
}

/** Applies a paid order to its cluster (the term rules of SPEC §8) and to the org's cash. */
function payOrder(m: Model, o: MOrder, paidAt: number): void {
  m.orgs[o.org]!.cash -= o.amount;
  o.status = 'paid';
  const c = m.clusters[o.clusterId]!;
  if (o.type === 'new_purchase') {
    c.state = 'creating';
    c.termEndsAt = paidAt + termMs(o.term!);
    c.readyAt = paidAt + m.provisionMs;
  } else if (o.type === 'upgrade') {
    c.state = 'upgrading';
    c.targetCu = o.targetCu;
    c.unapplied = true;
    c.readyAt = paidAt + m.provisionMs;
    if (o.term) {
      c.termEndsAt = paidAt + termMs(o.term);
      c.term = o.term;
    }
  } else {
    c.termEndsAt = c.termEndsAt! + termMs(o.term!);
    c.term = o.term!;
  }
}

/**
 * One run of the auto-renew job at `now` (SPEC §8.4): for every cluster of an org whose switch is on, in the
 * order of their term ends, the latest attempt due and not yet made. Returns the attempts made; an order it
 * creates has a placeholder id (`auto:…`) until the simulation reads the real one.
 */
export function autoRenew(m: Model, now: number): MAttempt[] {
  settle(m, now);
  const made: MAttempt[] = [];
  const clusters = Object.values(m.clusters)
    .filter((c) => c.termEndsAt !== null && m.orgs[c.org]!.autoRenew)
    .sort((a, b) => a.termEndsAt! - b.termEndsAt!);
  for (const c of clusters) {
    const end = c.termEndsAt!;
    if (!RENEWABLE.includes(clusterState(c, now))) continue;
    const k = dueAttempt(end, now);
    if (k === null) continue;
    if (Object.values(m.attempts).some((a) => a.clusterId === c.id && a.termEndsAt === end && a.k >= k))
      continue;
    // Attempts happen while the switch is on: one scheduled before it was turned on is not made late.
    const since = m.orgs[c.org]!.autoRenewAt;
    if (since !== null && end + FIRST_ATTEMPT + k * DAY < since) continue;
    const pending = pendingChange(m, c.id, now);
    const base = { org: c.org, clusterId: c.id, termEndsAt: end, k };
    let a: MAttempt;
    if (frozen(m, c.org, now)) {
      a = { ...base, outcome: 'skipped', orderId: null, amount: null, shortfall: null };
    } else if (pending?.type === 'upgrade') {
      a = { ...base, outcome: 'skipped', orderId: pending.id, amount: null, shortfall: null };
    } else {
      let o = pending;
      if (!o) {
        o = {
          id: `auto:${c.id}:${end}:${k}`,
          org: c.org,
          clusterId: c.id,
          type: 'renewal',
          status: 'unpaid',
          amount: renewalAmount(shapeCu(c), c.term),
          expiresAt: now + 7 * DAY,
          cancelAt: end + RECYCLE_AFTER,
          targetCu: shapeCu(c),
          term: c.term,
          bySystem: true,
        };
        m.orders[o.id] = o;
      }
      const cash = m.orgs[c.org]!.cash;
      if (cash >= o.amount) {
        payOrder(m, o, now);
        a = { ...base, outcome: 'paid', orderId: o.id, amount: o.amount, shortfall: null };
      } else {
        a = { ...base, outcome: 'failed', orderId: o.id, amount: o.amount, shortfall: o.amount - cash };
      }
    }
    m.attempts[`${c.id}|${end}|${k}`] = a;
    made.push(a);
  }
  return made;
}

/** Whether a run of the auto-renew job at `now` would make an attempt. */
export function attemptDue(m: Model, now: number): boolean {
  return autoRenew(structuredClone(m), now).length > 0;
}

/** Gives an order the model made with a placeholder id its real id, deadline and system cancel instant. */
export function adoptOrder(
  m: Model,
  placeholder: string,
  id: string,
  expiresAt: number,
  cancelAt: number | null,
) {
  const o = m.orders[placeholder];
  if (!o) return;
  delete m.orders[placeholder];
  m.orders[id] = { ...o, id, expiresAt, cancelAt };
  for (const a of Object.values(m.attempts)) if (a.orderId === placeholder) a.orderId = id;
}

/** Background provisioning, as the jobs do it once `now` passes a cluster's ready time. */
export function provision(m: Model, now: number): void {
  for (const c of Object.values(m.clusters)) {
    if ((c.state === 'creating' || c.state === 'upgrading') && c.readyAt !== null && c.readyAt <= now) {
      if (c.state === 'upgrading' && c.targetCu !== null) c.cuSize = c.targetCu;
      c.state = 'running';
      c.readyAt = null;
      c.targetCu = null;
    }
  }
}

/** An operation, resolved against the state before its step (ids chosen, bodies built). */
export type Op =
  | { k: 'create'; org: number; cu: number; term: MTerm }
  | { k: 'upgrade'; org: number; clusterId: string; to: number; term?: MTerm }
  | { k: 'renew'; org: number; clusterId: string; term: MTerm }
  | { k: 'autoRenew'; org: number; enabled: boolean }
  | { k: 'pay'; org: number; orderId: string; key?: string; couponId?: string }
  | { k: 'replay'; org: number; req: KeyedRequest }
  | { k: 'cancel'; org: number; orderId: string; key?: string }
  | { k: 'bank'; org: number | null; ref: string; amount: number; code?: string }
  | { k: 'coupon'; org: number; amount: number }
  | {
      k: 'usage';
      org: number;
      clusterId: string;
      eventId: string;
      quantity: number;
      start: string;
      end: string;
    }
  | { k: 'confirmBill'; org: number; month: string }
  | { k: 'disputeBill'; org: number; month: string }
  | { k: 'resolveBill'; org: number; month: string; adjustment: number }
  | { k: 'payMany'; org: number; orderIds: string[] };

export interface Expectation {
  status: number;
  code?: string;
  /** further checks of the answer's body; a string is the mismatch */
  check?: (a: Answer) => string | null;
}

export const errCode = (a: Answer): string | undefined => a.json?.error?.code;

export function pathOf(op: Op, orgs: Org[]): { method: 'POST' | 'PUT'; path: string; body: unknown } {
  switch (op.k) {
    case 'create':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/clusters`,
        body: {
          projectId: orgs[op.org]!.projectId,
          name: `sim-${op.cu}-${termLabel(op.term)}`,
          region: 'aliyun-cn-hangzhou',
          cuType: 'performance',
          cuSize: op.cu,
          replicas: 1,
          term: op.term,
        },
      };
    case 'upgrade':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/clusters/${op.clusterId}/upgrade`,
        body: op.term ? { cuSize: op.to, term: op.term } : { cuSize: op.to },
      };
    case 'renew':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/clusters/${op.clusterId}/renew`,
        body: { term: op.term },
      };
    case 'autoRenew':
      return {
        method: 'PUT',
        path: `/v1/orgs/${orgs[op.org]!.id}/settings/auto-renew`,
        body: { enabled: op.enabled },
      };
    case 'pay':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/orders/${op.orderId}/pay`,
        body: op.couponId ? { couponId: op.couponId } : {},
      };
    case 'replay':
      return { method: 'POST', path: op.req.path, body: op.req.body };
    case 'cancel':
      return { method: 'POST', path: `/v1/orgs/${orgs[op.org]!.id}/orders/${op.orderId}/cancel`, body: {} };
    case 'bank':
      return {
        method: 'POST',
        path: '/v1/internal/bank-transfers',
        body: {
          remittanceCode: op.code ?? orgs[op.org!]!.remittanceCode,
          amount: op.amount,
          currency: 'CNY',
          bankReference: op.ref,
        },
      };
    case 'coupon':
      return {
        method: 'POST',
        path: `/v1/internal/orgs/${orgs[op.org]!.id}/coupons`,
        body: { amount: op.amount, expiresAt: '2099-01-01T00:00:00Z' },
      };
    case 'usage':
      return {
        method: 'POST',
        path: '/v1/internal/usage',
        body: {
          events: [
            {
              id: op.eventId,
              orgId: orgs[op.org]!.id,
              clusterId: op.clusterId,
              metric: 'storage',
              quantity: op.quantity,
              start: op.start,
              end: op.end,
            },
          ],
        },
      };
    case 'confirmBill':
      return { method: 'POST', path: `/v1/orgs/${orgs[op.org]!.id}/bills/${op.month}/confirm`, body: {} };
    case 'disputeBill':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/bills/${op.month}/dispute`,
        body: { reason: 'storage counted twice' },
      };
    case 'resolveBill':
      return {
        method: 'POST',
        path: `/v1/internal/orgs/${orgs[op.org]!.id}/bills/${op.month}/resolve`,
        body: { adjustment: op.adjustment },
      };
    case 'payMany':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/orders/pay`,
        body: { orderIds: op.orderIds },
      };
  }
}

const keyOf = (op: Op): string | undefined =>
  op.k === 'pay' || op.k === 'cancel' ? op.key : op.k === 'replay' ? op.req.key : undefined;

/**
 * The model's answer to one operation, given the server's actual answer (for ids, amounts and the exact
 * body of a first keyed answer). Mutates `m` as the server must have changed its state.
 */
export function apply(m: Model, op: Op, a: Answer, now: number, orgs: Org[]): Expectation {
  const key = keyOf(op);
  const req = pathOf(op, orgs);
  if (key) {
    let stored = m.keys[`${op.org}|${key}`];
    // A key is remembered for 8 days (SPEC §7.1); after that the same key is a new request.
    if (stored && now - stored.at >= KEY_WINDOW_MS) {
      delete m.keys[`${op.org}|${key}`];
      stored = undefined;
    }
    if (stored) {
      const first = stored;
      if (stored.path !== req.path || stored.body !== JSON.stringify(req.body))
        return { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' };
      return {
        status: stored.status,
        check: (x) =>
          JSON.stringify(x.json) === JSON.stringify(first.json)
            ? null
            : `replayed answer differs from the first: ${x.text.slice(0, 300)} vs ${JSON.stringify(first.json).slice(0, 300)}`,
      };
    }
  }
  // A replayed key past its window is a new request: the pay or cancel it names runs again.
  const fresh = op.k === 'replay' ? replayAsNew(op) : op;
  const e = applyFresh(m, fresh, a, now);
  if (
    key &&
    a.status >= 200 &&
    a.status < 500 &&
    errCode(a) !== 'IDEMPOTENCY_KEY_REUSED' &&
    a.status === e.status
  ) {
    m.keys[`${op.org}|${key}`] = {
      path: req.path,
      body: JSON.stringify(req.body),
      status: a.status,
      json: a.json,
      at: now,
    };
    if (op.k !== 'replay') m.keyed.push({ org: op.org as number, key, path: req.path, body: req.body });
  }
  return e;
}

function replayAsNew(op: Extract<Op, { k: 'replay' }>): Op {
  const hit = /\/orders\/([^/]+)\/(pay|cancel)$/.exec(op.req.path);
  if (!hit) throw new Error(`cannot replay ${op.req.path}`);
  const couponId = (op.req.body as { couponId?: string } | undefined)?.couponId;
  return hit[2] === 'pay'
    ? { k: 'pay', org: op.org, orderId: hit[1]!, key: op.req.key, ...(couponId ? { couponId } : {}) }
    : { k: 'cancel', org: op.org, orderId: hit[1]!, key: op.req.key };
}

function applyFresh(m: Model, op: Op, a: Answer, now: number): Expectation {
  switch (op.k) {
    case 'create': {
      if (frozen(m, op.org, now)) return frozenRefusal(m, op.org, now);
      const term = op.term;
      const amount = renewalAmount(op.cu, term);
      if (a.status === 201 && a.json?.order && a.json?.cluster) {
        const o = a.json.order;
        m.orders[o.id] = {
          id: o.id,
          org: op.org,
          clusterId: a.json.cluster.id,
          type: 'new_purchase',
          status: 'unpaid',
          amount: o.amount,
          expiresAt: Date.parse(o.expiresAt),
          cancelAt: null,
          targetCu: op.cu,
          term,
        };
        m.clusters[a.json.cluster.id] = {
          id: a.json.cluster.id,
          org: op.org,
          state: 'pending_payment',
          cuSize: op.cu,
          term,
          orderId: o.id,
          readyAt: null,
          termEndsAt: null,
          targetCu: null,
        };
      }
      return {
        status: 201,
        check: (x) =>
          x.json?.order?.amount === amount
            ? null
            : `order amount ${x.json?.order?.amount}, expected ${amount}`,
      };
    }
    case 'upgrade': {
      if (frozen(m, op.org, now)) return frozenRefusal(m, op.org, now);
      const c = m.clusters[op.clusterId]!;
      const pending = pendingChange(m, c.id, now);
      if (pending) return pendingRefusal(pending, 'upgrade');
      const state = clusterState(c, now);
      if (!UPGRADABLE.includes(state) || c.termEndsAt === null)
        return { status: 409, code: 'CLUSTER_NOT_READY' };
      if (op.to <= c.cuSize) return { status: 422, code: 'INVALID_UPGRADE' };
      const days = Math.ceil((c.termEndsAt - now) / DAY);
      // The whole-day count may differ by one from the server's (its now is a few ms after the model's).
      const allowed = [days - 1, days, days + 1].map((d) =>
        op.term
          ? Math.max(
              0,
              Math.round(
                (op.to * MONTH_FEN * termMonths(op.term) * termDiscount(op.term) -
                  c.cuSize * CU_DAY_FEN * d * termDiscount(c.term)) /
                  100,
              ),
            )
          : Math.round(((op.to - c.cuSize) * CU_DAY_FEN * d * (d >= 360 ? 70 : 100)) / 100),
      );
      if (a.status === 201 && a.json?.order) {
        const o = a.json.order;
        m.orders[o.id] = {
          id: o.id,
          org: op.org,
          clusterId: c.id,
          type: 'upgrade',
          status: 'unpaid',
          amount: o.amount,
          expiresAt: Date.parse(o.expiresAt),
          cancelAt: c.termEndsAt,
          targetCu: op.to,
          term: op.term ?? null,
        };
      }
      return {
        status: 201,
        check: (x) =>
          !allowed.includes(x.json?.order?.amount)
            ? `upgrade amount ${x.json?.order?.amount} not in ${allowed.join('/')} (${days} days left)`
            : systemEndCheck(x, c.termEndsAt!),
      };
    }
    case 'renew': {
      if (frozen(m, op.org, now)) return frozenRefusal(m, op.org, now);
      const c = m.clusters[op.clusterId]!;
      const state = clusterState(c, now);
      if (!RENEWABLE.includes(state) || c.termEndsAt === null)
        return {
          status: 409,
          code: 'CLUSTER_NOT_RENEWABLE',
          check: (x) =>
            x.json?.error?.details?.state === state
              ? null
              : `details.state ${x.json?.error?.details?.state}, expected ${state}`,
        };
      const pending = pendingChange(m, c.id, now);
      if (pending) return pendingRefusal(pending, 'renewal');
      const amount = renewalAmount(shapeCu(c), op.term);
      // Between an upgrade's payment and its provisioning step (the outbox, well under a second) the server
      // still prices the configuration before it; the simulation drains the outbox after every step, so only
      // a renewal racing that payment in one batch can see it.
      const amounts = c.unapplied ? [amount, renewalAmount(c.cuSize, op.term)] : [amount];
      const recycleAt = c.termEndsAt + RECYCLE_AFTER;
      if (a.status === 201 && a.json?.order) {
        const o = a.json.order;
        m.orders[o.id] = {
          id: o.id,
          org: op.org,
          clusterId: c.id,
          type: 'renewal',
          status: 'unpaid',
          amount: o.amount,
          expiresAt: Date.parse(o.expiresAt),
          cancelAt: recycleAt,
          targetCu: shapeCu(c),
          term: op.term,
        };
      }
      return {
        status: 201,
        check: (x) =>
          !amounts.includes(x.json?.order?.amount)
            ? `renewal amount ${x.json?.order?.amount}, expected ${amounts.join('/')}`
            : x.json?.order?.type !== 'renewal'
              ? `order type ${x.json?.order?.type}`
              : systemEndCheck(x, recycleAt),
      };
    }
    case 'autoRenew': {
      const org = m.orgs[op.org]!;
      if (org.autoRenew !== op.enabled) {
        org.autoRenew = op.enabled;
        org.autoRenewAt = now;
      }
      return {
        status: 200,
        check: (x) => (x.json?.enabled === op.enabled ? null : `auto-renew answered ${x.text.slice(0, 200)}`),
      };
    }
    case 'pay': {
      if (op.couponId) return { status: 422, code: 'COUPON_NOT_APPLICABLE' };
      const o = m.orders[op.orderId]!;
      const st = effective(o, now);
      if (st !== 'unpaid')
        return {
          status: 409,
          code: 'ORDER_NOT_PAYABLE',
          check: (x) =>
            x.json?.error?.details?.status === st
              ? null
              : `details.status ${x.json?.error?.details?.status}, expected ${st}`,
        };
      const org = m.orgs[op.org]!;
      if (org.cash < o.amount) {
        const cash = org.cash;
        return {
          status: 402,
          code: 'INSUFFICIENT_BALANCE',
          check: (x) =>
            x.json?.error?.details?.balance === cash && x.json?.error?.details?.shortfall === o.amount - cash
              ? null
              : `402 details ${JSON.stringify(x.json?.error?.details)}, expected balance ${cash}`,
        };
      }
      const paidAt = a.status === 200 && a.json?.order?.paidAt ? Date.parse(a.json.order.paidAt) : now;
      payOrder(m, o, paidAt);
      const cashAfter = org.cash;
      return {
        status: 200,
        check: (x) =>
          x.json?.balance?.cash === cashAfter && x.json?.order?.status === 'paid'
            ? null
            : `pay answered balance ${x.json?.balance?.cash}, status ${x.json?.order?.status}; expected ${cashAfter}`,
      };
    }
    case 'replay':
      // Not reached: a replayed key is always stored (apply answers it).
      return { status: 500, code: 'MODEL_ERROR' };
    case 'cancel': {
      const o = m.orders[op.orderId]!;
      if (effective(o, now) !== 'unpaid') return { status: 409, code: 'ORDER_NOT_CANCELLABLE' };
      o.status = 'cancelled';
      const c = m.clusters[o.clusterId]!;
      if (o.type === 'new_purchase') c.state = 'cancelled';
      return { status: 200 };
    }
    case 'bank': {
      if (op.org === null) return { status: 422, code: 'REMITTANCE_CODE_UNKNOWN' };
      const org = m.orgs[op.org]!;
      const before = org.refs[op.ref];
      if (before === undefined) {
        org.refs[op.ref] = op.amount;
        org.cash += op.amount;
        payOutstanding(m, op.org);
        return { status: 201 };
      }
      if (before !== op.amount) return { status: 409, code: 'BANK_REFERENCE_CONFLICT' };
      return { status: 200 };
    }
    case 'coupon':
      return { status: 201 };
    case 'usage':
      return {
        status: 200,
        check: (x) => (x.json?.accepted === 1 ? null : `usage answered ${x.text.slice(0, 200)}`),
      };
    case 'confirmBill':
    case 'disputeBill': {
      const b = m.bills[`${op.org}|${op.month}`]!;
      const st = billStatus(b, now);
      if (st !== 'pending_confirmation') {
        const code = op.k === 'confirmBill' ? 'BILL_NOT_CONFIRMABLE' : 'BILL_NOT_DISPUTABLE';
        return { status: 409, code, check: detailsStatus(st) };
      }
      if (op.k === 'disputeBill') b.status = 'disputed';
      else confirmModelBill(m, b, now);
      return billAnswer(b);
    }
    case 'resolveBill': {
      const b = m.bills[`${op.org}|${op.month}`]!;
      const st = billStatus(b, now);
      if (st !== 'disputed') return { status: 409, code: 'BILL_NOT_CONFIRMABLE', check: detailsStatus(st) };
      if (op.adjustment > b.total) return { status: 400, code: 'VALIDATION_FAILED' };
      // What the credit leaves due; any excess (a credit on prepaid lines) goes back to the cash balance.
      m.orgs[op.org]!.cash += Math.max(0, op.adjustment - b.amountDue);
      b.adjustment = op.adjustment;
      b.total -= op.adjustment;
      b.amountDue = Math.max(0, b.amountDue - op.adjustment);
      confirmModelBill(m, b, now);
      return billAnswer(b);
    }
    case 'payMany': {
      const os = op.orderIds.map((id) => m.orders[id]!);
      const bad = os.filter((o) => effective(o, now) !== 'unpaid');
      if (bad.length) return { status: 409, code: 'ORDER_NOT_PAYABLE' };
      const org = m.orgs[op.org]!;
      const total = os.reduce((s, o) => s + o.amount, 0);
      if (org.cash < total) {
        const shortfall = total - org.cash;
        return {
          status: 402,
          code: 'INSUFFICIENT_BALANCE',
          check: (x) =>
            x.json?.error?.details?.shortfall === shortfall
              ? null
              : `402 details ${JSON.stringify(x.json?.error?.details)}, expected shortfall ${shortfall}`,
        };
      }
      const paidAt =
        a.status === 200 && a.json?.orders?.[0]?.paidAt ? Date.parse(a.json.orders[0].paidAt) : now;
      for (const o of os) payOrder(m, o, paidAt);
      const cashAfter = org.cash;
      return {
        status: 200,
        check: (x) =>
          x.json?.balance?.cash === cashAfter && x.json?.total === total
            ? null
            : `merged pay answered balance ${x.json?.balance?.cash}, total ${x.json?.total}; expected ${cashAfter}, ${total}`,
      };
    }
  }
}

function detailsStatus(st: string): (x: Answer) => string | null {
  return (x) =>
    x.json?.error?.details?.status === st
      ? null
      : `details.status ${x.json?.error?.details?.status}, expected ${st}`;
}

/** A confirm, dispute or resolve answers the bill as it is after it. */
function billAnswer(b: MBill): Expectation {
  const { status, paid, amountDue } = b;
  return {
    status: 200,
    check: (x) =>
      x.json?.status === status && x.json?.paidAmount === paid && x.json?.amountDue === amountDue
        ? null
        : `bill answered ${x.json?.status} paid ${x.json?.paidAmount} due ${x.json?.amountDue}; model ${status} paid ${paid} due ${amountDue}`,
  };
}

/** SPEC §10.3: ORG_FROZEN names the overdue bills and what paying them takes. */
function frozenRefusal(m: Model, org: number, now: number): Expectation {
  const overdue = billsOf(m, org).filter((b) => billStatus(b, now) === 'overdue');
  const amountDue = overdue.reduce((s, b) => s + b.amountDue - b.paid, 0);
  return {
    status: 403,
    code: 'ORG_FROZEN',
    check: (x) =>
      x.json?.error?.details?.amountDue === amountDue
        ? null
        : `ORG_FROZEN details ${JSON.stringify(x.json?.error?.details)}, expected amountDue ${amountDue}`,
  };
}

/** SPEC §2: a second upgrade while one is unpaid is UPGRADE_ALREADY_PENDING, any other pair CLUSTER_ORDER_PENDING. */
function pendingRefusal(pending: MOrder, making: 'upgrade' | 'renewal'): Expectation {
  const code =
    pending.type === 'upgrade' && making === 'upgrade' ? 'UPGRADE_ALREADY_PENDING' : 'CLUSTER_ORDER_PENDING';
  return {
    status: 409,
    code,
    check: (x) =>
      code === 'CLUSTER_ORDER_PENDING' &&
      (x.json?.error?.details?.orderId !== pending.id || x.json?.error?.details?.type !== pending.type)
        ? `details ${JSON.stringify(x.json?.error?.details)}, expected ${pending.type} ${pending.id}`
        : null,
  };
}

/** A new upgrade or renewal names when the system cancels it, if that comes before its deadline. */
function systemEndCheck(x: Answer, cancelAt: number): string | null {
  const o = x.json?.order;
  const expiresAt = Date.parse(o?.expiresAt);
  const want = cancelAt < expiresAt ? cancelAt : null;
  const got = o?.cancelsAt ? Date.parse(o.cancelsAt) : null;
  return got === want
    ? null
    : `cancelsAt ${o?.cancelsAt}, expected ${want === null ? null : new Date(want).toISOString()}`;
}

export function describe(op: Op): string {
  switch (op.k) {
    case 'create':
      return `create(org${op.org}, ${op.cu} CU, ${termLabel(op.term)})`;
    case 'upgrade':
      return `upgrade(org${op.org}, ${op.clusterId.slice(-6)} → ${op.to} CU${op.term ? `, ${termLabel(op.term)}` : ''})`;
    case 'renew':
      return `renew(org${op.org}, ${op.clusterId.slice(-6)}, ${termLabel(op.term)})`;
    case 'autoRenew':
      return `autoRenew(org${op.org}, ${op.enabled ? 'on' : 'off'})`;
    case 'pay':
      return `pay(org${op.org}, ${op.orderId.slice(-6)}${op.key ? `, key ${op.key}` : ''}${op.couponId ? ', coupon' : ''})`;
    case 'replay':
      return `replay(org${op.org}, key ${op.req.key} on ${op.req.path.split('/').slice(-2).join('/')})`;
    case 'cancel':
      return `cancel(org${op.org}, ${op.orderId.slice(-6)}${op.key ? `, key ${op.key}` : ''})`;
    case 'bank':
      return `bank(${op.org === null ? 'unknown code' : `org${op.org}`}, ${op.amount}, ${op.ref})`;
    case 'coupon':
      return `coupon(org${op.org}, ${op.amount})`;
    case 'usage':
      return `usage(org${op.org}, ${op.clusterId.slice(-6)}, ${op.quantity} GB)`;
    case 'confirmBill':
      return `confirmBill(org${op.org}, ${op.month})`;
    case 'disputeBill':
      return `disputeBill(org${op.org}, ${op.month})`;
    case 'resolveBill':
      return `resolveBill(org${op.org}, ${op.month}, −${op.adjustment})`;
    case 'payMany':
      return `payMany(org${op.org}, ${op.orderIds.map((id) => id.slice(-6)).join('+')})`;
  }
}
