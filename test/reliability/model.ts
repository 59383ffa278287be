import type { Answer, Org } from './support.js';

/**
 * A small in-memory model of what Tally must do, for the model-based simulation. It knows orders, clusters,
 * cash, bank references and Idempotency-Keys of the orgs of one run, and for each operation predicts the
 * answer (status and error code, and for a payment the balance after it). Concurrent operations are checked by
 * looking for a serial order in which the model gives exactly the answers the server gave (linearizability).
 */
export const DAY = 86_400_000;
export const CU_DAY_FEN = 125 * 24; // performance CU, list price, per day
export const MONTH_FEN = CU_DAY_FEN * 30;
export const KEY_WINDOW_MS = 8 * DAY;

export type Status = 'unpaid' | 'paid' | 'cancelled' | 'timed_out';

export interface MOrder {
  id: string;
  org: number;
  clusterId: string;
  type: 'new_purchase' | 'upgrade';
  status: Status;
  amount: number;
  expiresAt: number;
  targetCu: number;
}

export interface MCluster {
  id: string;
  org: number;
  state: 'pending_payment' | 'creating' | 'running' | 'upgrading' | 'cancelled';
  cuSize: number;
  months: number;
  orderId: string;
  readyAt: number | null;
  termEndsAt: number | null;
  targetCu: number | null;
}

export interface KeyedRequest {
  org: number;
  key: string;
  path: string;
  body: unknown;
}

export interface Model {
  orgs: { cash: number; refs: Record<string, number> }[];
  orders: Record<string, MOrder>;
  clusters: Record<string, MCluster>;
  /** `${org}|${key}` → the request it was first used with and the answer then given */
  keys: Record<string, { path: string; body: string; status: number; json: unknown; at: number }>;
  keyed: KeyedRequest[];
  provisionMs: number;
}

export function emptyModel(orgCount: number, provisionMs: number): Model {
  return {
    orgs: Array.from({ length: orgCount }, () => ({ cash: 0, refs: {} })),
    orders: {},
    clusters: {},
    keys: {},
    keyed: [],
    provisionMs,
  };
}

export const effective = (o: MOrder, now: number): Status =>
  o.status === 'unpaid' && now >= o.expiresAt ? 'timed_out' : o.status;

/** Applies the deadline: what the server shows at `now` (an unpaid order past it is timed out). */
export function settle(m: Model, now: number): void {
  for (const o of Object.values(m.orders)) {
    if (effective(o, now) === 'timed_out' && o.status === 'unpaid') {
      o.status = 'timed_out';
      const c = m.clusters[o.clusterId];
      if (o.type === 'new_purchase' && c && c.state === 'pending_payment') c.state = 'cancelled';
    }
  }
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
  | { k: 'create'; org: number; cu: number; months: number }
  | { k: 'upgrade'; org: number; clusterId: string; to: number }
  | { k: 'pay'; org: number; orderId: string; key?: string; couponId?: string }
  | { k: 'replay'; org: number; req: KeyedRequest }
  | { k: 'cancel'; org: number; orderId: string; key?: string }
  | { k: 'bank'; org: number | null; ref: string; amount: number; code?: string }
  | { k: 'coupon'; org: number; amount: number };

export interface Expectation {
  status: number;
  code?: string;
  /** further checks of the answer's body; a string is the mismatch */
  check?: (a: Answer) => string | null;
}

export const errCode = (a: Answer): string | undefined => a.json?.error?.code;

export function pathOf(op: Op, orgs: Org[]): { method: 'POST'; path: string; body: unknown } {
  switch (op.k) {
    case 'create':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/clusters`,
        body: {
          projectId: orgs[op.org]!.projectId,
          name: `sim-${op.cu}-${op.months}`,
          region: 'aliyun-cn-hangzhou',
          cuType: 'performance',
          cuSize: op.cu,
          replicas: 1,
          term: { unit: 'month', count: op.months },
        },
      };
    case 'upgrade':
      return {
        method: 'POST',
        path: `/v1/orgs/${orgs[op.org]!.id}/clusters/${op.clusterId}/upgrade`,
        body: { cuSize: op.to },
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
      const amount = op.cu * MONTH_FEN * op.months;
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
          targetCu: op.cu,
        };
        m.clusters[a.json.cluster.id] = {
          id: a.json.cluster.id,
          org: op.org,
          state: 'pending_payment',
          cuSize: op.cu,
          months: op.months,
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
      const c = m.clusters[op.clusterId]!;
      const pending = Object.values(m.orders).find(
        (o) => o.clusterId === c.id && o.type === 'upgrade' && effective(o, now) === 'unpaid',
      );
      if (pending) return { status: 409, code: 'UPGRADE_ALREADY_PENDING' };
      if (c.state !== 'running' || c.termEndsAt === null) return { status: 409, code: 'CLUSTER_NOT_READY' };
      if (op.to <= c.cuSize) return { status: 422, code: 'INVALID_UPGRADE' };
      const days = Math.ceil((c.termEndsAt - now) / DAY);
      const allowed = [days - 1, days, days + 1].map((d) => (op.to - c.cuSize) * CU_DAY_FEN * d);
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
          targetCu: op.to,
        };
      }
      return {
        status: 201,
        check: (x) =>
          allowed.includes(x.json?.order?.amount)
            ? null
            : `upgrade amount ${x.json?.order?.amount} not in ${allowed.join('/')} (${days} days left)`,
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
      org.cash -= o.amount;
      o.status = 'paid';
      const cashAfter = org.cash;
      const paidAt = a.status === 200 && a.json?.order?.paidAt ? Date.parse(a.json.order.paidAt) : now;
      const c = m.clusters[o.clusterId]!;
      if (o.type === 'new_purchase') {
        c.state = 'creating';
        c.termEndsAt = paidAt + c.months * 30 * DAY;
      } else {
        c.state = 'upgrading';
        c.targetCu = o.targetCu;
      }
      c.readyAt = paidAt + m.provisionMs;
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
        return { status: 201 };
      }
      if (before !== op.amount) return { status: 409, code: 'BANK_REFERENCE_CONFLICT' };
      return { status: 200 };
    }
    case 'coupon':
      return { status: 201 };
  }
}

export function describe(op: Op): string {
  switch (op.k) {
    case 'create':
      return `create(org${op.org}, ${op.cu} CU, ${op.months} mo)`;
    case 'upgrade':
      return `upgrade(org${op.org}, ${op.clusterId.slice(-6)} → ${op.to} CU)`;
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
  }
}
