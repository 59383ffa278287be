import { isFailoverError } from '../db/failover.js';
import type { Queryable } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { newId } from '../platform/ids.js';
import { monthOf } from '../platform/time.js';
import type { OrderRow } from './orders.repository.js';
import {
  type BatchPayment,
  lockBalances,
  lockOrdersForBatch,
  type PayStatementResult,
  payBatchStatement,
  payEachOrgOnceStatement,
  payInOneStatement,
} from './pay.repository.js';

/** One payment waiting for its batch: what payInOneStatement would be asked, and its arrival. */
export interface BatchedPay {
  orgId: string;
  orderId: string;
  payerId: string;
  /** null: every project; otherwise the projects where the payer's role allows paying */
  projectIds: string[] | null;
  now: Date;
}

/** The answer of one payment of a batch, as payInOneStatement answers it, and the instant it was paid at. */
export interface BatchedPayResult extends PayStatementResult {
  at: Date;
  billMonth: string;
}

interface Waiting {
  pay: BatchedPay;
  resolve: (r: BatchedPayResult) => void;
  reject: (err: unknown) => void;
}

/** How long the first payment of a batch waits for others, and the most payments in one batch. */
export const PAY_BATCH_WAIT_MS = 1;
export const PAY_BATCH_MAX = 64;
/**
 * On PGlite (one connection, where the requests' own reads queue behind a batch) a batch waits up to this long
 * for as many payments as the last one had.
 */
export const PAY_BATCH_MAX_WAIT_MS = 2;
/** Deadlocks and serialization failures: the batch's transaction is run again, at most this many times. */
const TRANSIENT = new Set(['40001', '40P01']);
const ATTEMPTS = 3;

/**
 * Key-less payments of one process, gathered for at most PAY_BATCH_WAIT_MS or PAY_BATCH_MAX payments and made
 * together in one transaction: the orders locked in one global order (org, then id), the balances after them,
 * each payment decided in arrival order with its own guard — the order found, the caller's projects, unpaid
 * and before its deadline and its system cancellation, and the org's cash as the earlier payments of the batch
 * left it — then every payment that fits written by one statement. A batch whose payments are all of different
 * orgs is simpler still: one statement decides and writes them all, without a transaction around it
 * (payEachOrgOnce). Each payment gets its own answer, the one it
 * would get alone at that point of the sequence, and only after the COMMIT; a refusal refuses nothing else.
 * A batch that fails as a whole for a reason of its own (a deadlock, a serialization failure) runs again; when
 * the database is lost every waiting payment gets the error (the request decides, as for one statement, whether
 * it may run again); any other failure runs each payment of the batch alone, so one bad row fails only its own.
 * Batches running at once never share an org (take): an org's payments arriving while its batch runs join the
 * next one.
 */
export class PayBatcher {
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  /** the orgs of the batches running now, with how many of them hold each */
  private readonly busy = new Map<string, number>();
  /** the size of the last batch */
  private expected = 0;

  constructor(
    private readonly deps: Deps,
    private readonly o: { waitMs: number; maxWaitMs: number; max: number; concurrency: number },
  ) {}

  pay(pay: BatchedPay): Promise<BatchedPayResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ pay, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.queue.length === 0 || this.running >= this.o.concurrency) return;
    if (this.queue.length >= this.o.max) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const since = performance.now();
    const tick = () => {
      // Payers answered by the last batch usually come back: wait for as many (up to maxWaitMs), not longer.
      const waited = performance.now() - since;
      if (this.queue.length < this.expected && waited + this.o.waitMs <= this.o.maxWaitMs) {
        this.timer = setTimeout(tick, this.o.waitMs);
        return;
      }
      this.timer = undefined;
      this.flush();
    };
    this.timer = setTimeout(tick, this.o.waitMs);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.running < this.o.concurrency) {
      const batch = this.take();
      if (batch.length === 0) return;
      this.expected = batch.length;
      this.running++;
      const orgs = [...new Set(batch.map((w) => w.pay.orgId))];
      for (const org of orgs) this.busy.set(org, (this.busy.get(org) ?? 0) + 1);
      void this.settle(batch).finally(() => {
        for (const org of orgs) {
          const n = (this.busy.get(org) ?? 1) - 1;
          if (n > 0) this.busy.set(org, n);
          else this.busy.delete(org);
        }
        this.running--;
        this.schedule();
      });
    }
  }

  /**
   * The next batch: the first payments in arrival order, at most `max`, leaving out the orgs of the batches
   * running now. Those would wait for the running batch's lock on their balance anyway; they stay queued and
   * join the batch after it, so one org's many payers make a few large batches instead of many blocked ones.
   */
  private take(): Waiting[] {
    if (this.busy.size === 0) return this.queue.splice(0, this.o.max);
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    for (const w of this.queue) {
      if (batch.length < this.o.max && !this.busy.has(w.pay.orgId)) batch.push(w);
      else rest.push(w);
    }
    this.queue = rest;
    return batch;
  }

  private async settle(batch: Waiting[]): Promise<void> {
    try {
      const results = await this.runWithRetries(batch.map((w) => w.pay));
      for (const [i, w] of batch.entries()) w.resolve(results[i]!);
    } catch (err) {
      if (batch.length > 1 && !isFailoverError(err) && !TRANSIENT.has(codeOf(err))) {
        // Something in the batch failed it (bad data in one order): each payment alone, so only that one fails.
        for (const w of batch) await this.settle([w]);
        return;
      }
      for (const w of batch) w.reject(err);
    }
  }

  private async runWithRetries(pays: BatchedPay[]): Promise<BatchedPayResult[]> {
    // A batch of one is the payment's one statement, on its own (no BEGIN/COMMIT): the same decision.
    if (pays.length === 1) return [await payAlone(this.deps, this.deps.db, pays[0]!)];
    // Payments of different orgs decide nothing for each other: one statement, no transaction around it.
    const eachOrgOnce = new Set(pays.map((p) => p.orgId)).size === pays.length;
    for (let attempt = 1; ; attempt++) {
      try {
        if (eachOrgOnce) return await payEachOrgOnce(this.deps, this.deps.db, pays);
        return await this.deps.db.transaction().execute((tx) => runBatch(this.deps, tx, pays));
      } catch (err) {
        if (attempt < ATTEMPTS && TRANSIENT.has(codeOf(err))) continue;
        throw err;
      }
    }
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * The instant a batch is paid at, and its bill month: the latest of its payments' arrivals (never later than the
 * deadline any of them was checked against).
 */
function batchInstant(deps: Deps, pays: BatchedPay[]): { now: Date; billMonth: string } {
  const now = new Date(Math.max(...pays.map((p) => p.now.getTime())));
  return { now, billMonth: monthOf(now, deps.config.billingTimeZone) };
}

/**
 * One batch in the caller's transaction. Every payment is decided in arrival order over the locked rows, as
 * if it ran alone at that point: an order already paid by an earlier payment of the batch is seen paid, and
 * each org's cash is what the earlier ones left. The batch is paid at one instant (batchInstant).
 */
async function runBatch(
  deps: Deps,
  tx: Parameters<typeof lockOrdersForBatch>[0],
  pays: BatchedPay[],
): Promise<BatchedPayResult[]> {
  const { now, billMonth } = batchInstant(deps, pays);
  const keyOf = (orgId: string, orderId: string) => `${orgId}\u0000${orderId}`;
  const keys = new Map<string, { orgId: string; orderId: string }>();
  for (const p of pays) keys.set(keyOf(p.orgId, p.orderId), { orgId: p.orgId, orderId: p.orderId });
  const locked = await lockOrdersForBatch(tx, [...keys.values()], now);
  const orders = new Map<string, { row: OrderRow; payable: boolean }>();
  for (const { payable, ...row } of locked) orders.set(keyOf(row.org_id, row.id), { row, payable });
  const orgIds = [...new Set(locked.map((o) => o.org_id))];
  const cash = orgIds.length > 0 ? await lockBalances(tx, orgIds) : new Map<string, number>();

  const results: BatchedPayResult[] = [];
  const payments: BatchPayment[][] = [];
  const clustersPaid: Set<string>[] = [];
  for (const p of pays) {
    const o = orders.get(keyOf(p.orgId, p.orderId));
    const cashBefore = cash.get(p.orgId) ?? 0;
    if (!o) {
      results.push({ before: undefined, paid: false, cashBefore: 0, cashAfter: null, at: now, billMonth });
      continue;
    }
    const before = o.row;
    const inScope = p.projectIds === null || p.projectIds.includes(before.project_id);
    if (!o.payable || !inScope || cashBefore < before.amount) {
      results.push({ before, paid: false, cashBefore, cashAfter: null, at: now, billMonth });
      continue;
    }
    const cashAfter = cashBefore - before.amount;
    cash.set(p.orgId, cashAfter);
    // Later payments of the same order find it paid, as they would after this one's commit.
    orders.set(keyOf(p.orgId, p.orderId), {
      row: { ...before, status: 'paid', paid_at: now, paid_by: p.payerId, bill_month: billMonth },
      payable: false,
    });
    // A cluster changes once per statement: a second order of the same cluster goes to the next round.
    const cluster = `${before.org_id}\u0000${before.cluster_id}`;
    let round = clustersPaid.findIndex((s) => !s.has(cluster));
    if (round < 0) {
      round = clustersPaid.length;
      clustersPaid.push(new Set());
      payments.push([]);
    }
    clustersPaid[round]!.add(cluster);
    payments[round]!.push({
      orgId: p.orgId,
      orderId: p.orderId,
      payerId: p.payerId,
      ledgerTxnId: newId('ltx', now),
    });
    results.push({ before, paid: true, cashBefore, cashAfter, at: now, billMonth });
  }
  for (const round of payments) {
    const roundDebits = new Map<string, number>();
    for (const pay of round) {
      const amount = orders.get(keyOf(pay.orgId, pay.orderId))!.row.amount;
      roundDebits.set(pay.orgId, (roundDebits.get(pay.orgId) ?? 0) + amount);
    }
    const done = await payBatchStatement(tx, {
      now,
      billMonth,
      catalog: deps.catalog,
      payments: round,
      debits: [...roundDebits].map(([orgId, amount]) => ({ orgId, amount })),
    });
    // Decided under the locks: anything else is a broken invariant, and the whole batch rolls back.
    if (done.paid !== round.length || done.debited !== roundDebits.size) {
      throw new Error(
        `a payment batch paid ${done.paid} of ${round.length} orders and debited ${done.debited} of ${roundDebits.size} balances under its locks`,
      );
    }
  }
  return results;
}

/**
 * A batch whose payments are all of different orgs, in one statement (payEachOrgOnceStatement): each payment's
 * decision is the one it would get alone, as no other payment of the batch touches its order, cash or cluster.
 * The batch is paid at one instant (batchInstant), as runBatch.
 */
async function payEachOrgOnce(deps: Deps, db: Queryable, pays: BatchedPay[]): Promise<BatchedPayResult[]> {
  const { now, billMonth } = batchInstant(deps, pays);
  const done = await payEachOrgOnceStatement(db, {
    now,
    billMonth,
    catalog: deps.catalog,
    payments: pays.map((p) => ({
      orgId: p.orgId,
      orderId: p.orderId,
      payerId: p.payerId,
      ledgerTxnId: newId('ltx', now),
      projectIds: p.projectIds,
    })),
  });
  return pays.map((p) => ({
    ...(done.get(p.orgId) ?? { before: undefined, paid: false, cashBefore: 0, cashAfter: null }),
    at: now,
    billMonth,
  }));
}

/** One payment in its own statement (inside the caller's transaction when there is one). */
export async function payAlone(deps: Deps, db: Queryable, pay: BatchedPay): Promise<BatchedPayResult> {
  const billMonth = monthOf(pay.now, deps.config.billingTimeZone);
  const r = await payInOneStatement(db, {
    orgId: pay.orgId,
    orderId: pay.orderId,
    now: pay.now,
    payerId: pay.payerId,
    billMonth,
    ledgerTxnId: newId('ltx', pay.now),
    // Already authorized; the statement's own filter keeps it from paying any other project's order.
    projectIds: pay.projectIds,
    catalog: deps.catalog,
  });
  return { ...r, at: pay.now, billMonth };
}

const batchers = new WeakMap<Deps, PayBatcher>();

/**
 * The process's pay batcher for these deps (made at the first payment). On PostgreSQL a few batches run at
 * once; on PGlite (one connection) one at a time. Measured over HTTP with 8 payers on PGlite: batches 397–402
 * payments a second against 275–281 for payments alone (2.7 against 4.0 ms of server CPU per payment), now
 * that a batch of different orgs is one statement without a transaction (payEachOrgOnce); a batch made as a
 * transaction of three statements had measured no faster than payments alone there.
 */
export function payBatcher(deps: Deps): PayBatcher {
  let b = batchers.get(deps);
  if (!b) {
    const pglite = deps.engine === 'pglite';
    b = new PayBatcher(deps, {
      waitMs: PAY_BATCH_WAIT_MS,
      maxWaitMs: pglite ? PAY_BATCH_MAX_WAIT_MS : PAY_BATCH_WAIT_MS,
      max: PAY_BATCH_MAX,
      concurrency: pglite ? 1 : Math.max(1, Math.floor(deps.config.dbPoolSize / 4)),
    });
    batchers.set(deps, b);
  }
  return b;
}
