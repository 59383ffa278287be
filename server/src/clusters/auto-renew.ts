import { sql } from 'kysely';
import type { RenewalOutcome } from '../../../contract/enums.js';
import type { Db, Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import {
  clearJobFailures,
  errorText,
  inBackoff,
  recordJobFailure,
} from '../isolation/job-failures.repository.js';
import { arrearsOf } from '../ledger/arrears.js';
import { findUnpaidChange, lockOrder } from '../orders/orders.repository.js';
import { payInOneStatement } from '../orders/pay.repository.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { monthOf } from '../platform/time.js';
import { lockClusterForChange } from './cluster-change.js';
import { placeRenewal } from './renew-cluster.js';
import { RENEWABLE_STATES } from './term-timeline.js';

export const AUTO_RENEW_JOB = 'auto-renew';
const DAY_MS = 86_400_000;
/** SPEC §8.4: attempts at termEndsAt − 7 days + k × 24 h, k = 0…13 (the last a day before recycleAt). */
export const FIRST_ATTEMPT_DAYS = -7;
export const LAST_K = 13;
const CANDIDATES = 500;

/** The scheduled instant of attempt k for a term ending at `termEndsAt`. */
export const attemptAt = (termEndsAt: Date, k: number) =>
  new Date(termEndsAt.getTime() + FIRST_ATTEMPT_DAYS * DAY_MS + k * DAY_MS);

/** The latest attempt due at `now` (its k), or null before the first and after the last. */
export function dueAttempt(termEndsAt: Date, now: Date): number | null {
  const since = now.getTime() - attemptAt(termEndsAt, 0).getTime();
  if (since < 0) return null;
  const k = Math.floor(since / DAY_MS);
  return k <= LAST_K ? k : null;
}

export interface AutoRenewRun {
  paid: number;
  failed: number;
  skipped: number;
  errors: number;
}

/**
 * One run of 自动续订 (SPEC §8.4). For every cluster of an org whose switch is on, the latest attempt due and
 * not yet made (a run that was down for days makes the latest one, not every missed one), each in its own
 * transaction: the cluster is locked, the attempt is recorded under its primary key (cluster, term end, k), so
 * it happens once however many instances run; the cluster's unpaid renewal is reused or one is made (by the
 * system, for the cluster's term) and paid from cash when cash covers it, else the attempt failed with the
 * shortfall (the order stays, payable by a user, and the next attempt tries again). An unpaid upgrade skips
 * the attempt. One cluster's failure is recorded for its org with a backoff and never stops the others.
 */
export async function runAutoRenew(deps: Deps, now: Date): Promise<AutoRenewRun> {
  const out: AutoRenewRun = { paid: 0, failed: 0, skipped: 0, errors: 0 };
  const candidates = await dueCandidates(deps.db, now);
  for (const c of candidates) {
    try {
      const outcome = await deps.db
        .transaction()
        .execute((tx) => attempt(deps, tx, c.org_id, c.id, c.term_ends_at, now));
      if (outcome) out[outcome]++;
      await clearJobFailures(deps.db, AUTO_RENEW_JOB, [c.org_id]);
    } catch (err) {
      out.errors++;
      await recordJobFailure(deps.db, {
        job: AUTO_RENEW_JOB,
        orgId: c.org_id,
        key: '',
        error: errorText(err),
        now,
      });
      deps.log.error({ job: AUTO_RENEW_JOB, org: c.org_id, cluster: c.id, err }, 'auto-renew attempt failed');
    }
  }
  return out;
}

/** Clusters of orgs with the switch on whose latest due attempt is not on record. */
async function dueCandidates(db: Db, now: Date) {
  const t = sql`${now}::timestamptz`;
  const first = sql`(c.term_ends_at + make_interval(days => ${sql.lit(FIRST_ATTEMPT_DAYS)}))`;
  return db
    .selectFrom('clusters as c')
    .innerJoin('orgs as o', 'o.id', 'c.org_id')
    .select(['c.org_id', 'c.id', 'c.term_ends_at'])
    .where('o.auto_renew', '=', true)
    .where('c.state', 'in', ['creating', 'running', 'upgrading', 'expiring', 'expired'])
    .where(sql<boolean>`${first} <= ${t}`)
    .where(sql<boolean>`${first} + make_interval(days => ${sql.lit(LAST_K + 1)}) > ${t}`)
    .where(
      sql<boolean>`not exists (select 1 from renewal_attempts a where a.org_id = c.org_id
        and a.cluster_id = c.id and a.term_ends_at = c.term_ends_at
        and a.k >= floor(extract(epoch from (${t} - ${first})) / 86400))`,
    )
    .where(sql<boolean>`not ${inBackoff(AUTO_RENEW_JOB, 'c.org_id', now)}`)
    .orderBy('c.term_ends_at')
    .limit(CANDIDATES)
    .$narrowType<{ term_ends_at: Date }>()
    .execute();
}

async function attempt(
  deps: Deps,
  tx: Tx,
  orgId: string,
  clusterId: string,
  termEndsAt: Date,
  now: Date,
): Promise<RenewalOutcome | null> {
  const org = await tx
    .selectFrom('orgs')
    .select(['auto_renew', 'auto_renew_updated_at', 'currency'])
    .where('id', '=', orgId)
    .forShare()
    .executeTakeFirst();
  if (!org?.auto_renew) return null;
  // Locks in the order a payment takes them, order before cluster (payInOneStatement locks the order, then
  // moves the cluster's term): the unpaid order this attempt may pay is locked first, so an attempt and a
  // user's payment of that order queue instead of deadlocking.
  const seen = await findUnpaidChange(tx, orgId, clusterId);
  if (seen) await lockOrder(tx, orgId, seen.id);
  let locked: Awaited<ReturnType<typeof lockClusterForChange>>;
  try {
    locked = await lockClusterForChange(tx, orgId, clusterId, now);
  } catch (err) {
    if (err instanceof AppError && err.code === 'ORG_NOT_CERTIFIED') {
      return record(
        tx,
        { orgId, clusterId, termEndsAt, now, currency: org.currency },
        {
          outcome: 'skipped',
          reason: 'org_not_certified',
        },
      );
    }
    throw err;
  }
  const { cluster, state, pending } = locked;
  // Another order appeared between the read and the lock (a user's renewal or upgrade): the next run decides.
  if (pending && pending.id !== seen?.id) return null;
  // Renewed (or changed) since it was picked, or no longer renewable: nothing is due.
  if (cluster.term_ends_at?.getTime() !== termEndsAt.getTime() || !RENEWABLE_STATES.includes(state))
    return null;
  const k = dueAttempt(termEndsAt, now);
  if (k === null) return null;
  // Attempts happen while the switch is on (SPEC §8.4): one scheduled before it was turned on is not made late,
  // so turning it on inside the window charges nothing by itself; the next scheduled attempt is the first.
  if (org.auto_renew_updated_at && attemptAt(termEndsAt, k).getTime() < org.auto_renew_updated_at.getTime())
    return null;
  const made = await tx
    .selectFrom('renewal_attempts')
    .select('k')
    .where('org_id', '=', orgId)
    .where('cluster_id', '=', clusterId)
    .where('term_ends_at', '=', termEndsAt)
    .where('k', '>=', k)
    .executeTakeFirst();
  if (made) return null;
  const ctx = { orgId, clusterId, termEndsAt, now, currency: org.currency, k };
  // SPEC §10.3: a frozen org cannot renew, by hand or automatically. The attempt is recorded as skipped (no
  // order, no charge); once every overdue bill is paid, the next attempt renews as usual.
  if ((await arrearsOf(tx, orgId, now)).frozen)
    return record(tx, ctx, { outcome: 'skipped', reason: 'org_frozen' });
  if (pending?.type === 'upgrade') {
    return record(tx, ctx, { outcome: 'skipped', orderId: pending.id, reason: 'upgrade_pending' });
  }
  const order =
    pending ??
    (await placeRenewal(
      deps,
      tx,
      cluster,
      { unit: cluster.term_unit, count: cluster.term_count },
      null,
      now,
    ));
  const paid = await payInOneStatement(tx, {
    orgId,
    orderId: order.id,
    now,
    payerId: null,
    billMonth: monthOf(now, deps.config.billingTimeZone),
    ledgerTxnId: newId('ltx', now),
    projectIds: null,
    catalog: deps.catalog,
  });
  if (paid.paid) {
    deps.metrics.orderTransitions.inc({ to: 'paid' });
    return record(tx, ctx, { outcome: 'paid', orderId: order.id, amount: order.amount });
  }
  return record(tx, ctx, {
    outcome: 'failed',
    orderId: order.id,
    amount: order.amount,
    shortfall: Math.max(order.amount - paid.cashBefore, 0),
    reason: 'insufficient_balance',
  });
}

async function record(
  tx: Tx,
  c: { orgId: string; clusterId: string; termEndsAt: Date; now: Date; currency: string; k?: number },
  r: { outcome: RenewalOutcome; orderId?: string; amount?: number; shortfall?: number; reason?: string },
): Promise<RenewalOutcome | null> {
  const k = c.k ?? dueAttempt(c.termEndsAt, c.now);
  if (k === null) return null;
  const at = attemptAt(c.termEndsAt, k);
  // The primary key (cluster, term end, k) makes the attempt once; the cluster's lock makes the check before it
  // exact, and this keeps a path that skipped the check (an uncertified org) from recording it twice.
  const inserted = await tx
    .insertInto('renewal_attempts')
    .values({
      org_id: c.orgId,
      cluster_id: c.clusterId,
      term_ends_at: c.termEndsAt,
      k,
      at,
      outcome: r.outcome,
      order_id: r.orderId ?? null,
      amount: r.amount ?? null,
      shortfall: r.shortfall ?? null,
      currency: c.currency,
      reason: r.reason ?? null,
      recorded_at: c.now,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('k')
    .executeTakeFirst();
  if (!inserted) return null;
  await emit(tx, {
    orgId: c.orgId,
    type: 'renewal.attempted',
    aggregateId: c.clusterId,
    payload: {
      clusterId: c.clusterId,
      k,
      at: at.toISOString(),
      outcome: r.outcome,
      orderId: r.orderId ?? null,
      shortfall: r.shortfall ?? null,
    },
    now: c.now,
  });
  return r.outcome;
}
