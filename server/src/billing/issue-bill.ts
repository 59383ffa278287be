import type { Insertable } from 'kysely';
import type { Config } from '../config.js';
import type { BillsTable, Db, Tx } from '../db/schema.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, failingOrgs } from '../isolation/job-failures.repository.js';
import { emitMany } from '../outbox/outbox.js';
import { ARREARS_DAYS, confirmsAtFor } from './bill-lifecycle.js';
import { addMonths, currentMonth, monthPeriod } from './bill-period.js';
import {
  billsExisting,
  firstOrgMonth,
  insertBillLines,
  insertBillsIfAbsent,
  insertCouponApplications,
  orgsToBill,
  spendCoupons,
  tryLockBillMonths,
} from './billing.repository.js';
import { draftBills } from './draft-bill.js';

/** A bill unpaid this long after its confirmation is overdue (SPEC §10.3). */
export const BILL_DUE_DAYS = ARREARS_DAYS;
/**
 * Bills are issued this long after the month ends, so that a payment whose clock read the last second of
 * the month but committed a moment later is still in the month's bill.
 */
export const ISSUE_GRACE_MS = 60_000;
/** The job's name in job_failures: an org whose bill of a month fails is recorded under it, keyed by the month. */
export const BILLS_JOB = 'bills';

export type IssueOutcome =
  | { outcome: 'issued'; orgId: string; month: string; status: 'pending_confirmation'; amountDue: number }
  | { outcome: 'exists' | 'busy' | 'not_ended'; orgId: string; month: string };

/**
 * Issues one org's bill for one ended month, in the caller's transaction: at most once, however many
 * instances try at the same time (an advisory lock per org and month, then the unique key (org_id, month)).
 * The lines and coupon applications are frozen; coupons pay usage lines only, earliest-expiring first (they
 * are set aside for the bill at issue). The bill is `pending_confirmation` and nothing is taken from cash: it is
 * charged when it is confirmed (bill-lifecycle.ts), by an admin or after 3 business days.
 */
export async function issueBill(
  tx: Tx,
  config: Pick<Config, 'billingTimeZone'>,
  orgId: string,
  month: string,
  now: Date,
): Promise<IssueOutcome> {
  const [r] = await issueBills(tx, config, month, [orgId], now);
  return r!;
}

/**
 * issueBill for many orgs of one month in one transaction, with the same rules and a fixed number of
 * statements whatever the number of orgs (each step is one set-based statement per thousand rows). Orgs
 * another instance holds are answered `busy` and left alone. The outcomes come in the order of `orgIds`.
 */
export async function issueBills(
  tx: Tx,
  config: Pick<Config, 'billingTimeZone'>,
  month: string,
  orgIds: string[],
  now: Date,
): Promise<IssueOutcome[]> {
  const confirmsAt = confirmsAtFor(now, config.billingTimeZone);
  // Until it is confirmed, the bill's due time is what it would be if confirmed automatically.
  const dueAt = new Date(confirmsAt.getTime() + BILL_DUE_DAYS * 86_400_000);
  if (new Set(orgIds).size !== orgIds.length) throw new Error('issueBills: an org twice');
  const period = monthPeriod(month, config.billingTimeZone);
  if (now.getTime() < period.end.getTime())
    return orgIds.map((orgId) => ({ outcome: 'not_ended', orgId, month }));
  const held = await tryLockBillMonths(tx, month, orgIds);
  const existing = await billsExisting(tx, month, [...held]);
  const mine = orgIds.filter((id) => held.has(id) && !existing.has(id));
  const currencies = new Map<string, string>();
  if (mine.length > 0) {
    for (const o of await tx.selectFrom('orgs').select(['id', 'currency']).where('id', 'in', mine).execute())
      currencies.set(o.id, o.currency);
  }
  const drafts = await draftBills(tx, mine, month, period.end, { lockCoupons: true });
  const currencyOf = (orgId: string) => {
    const c = currencies.get(orgId);
    if (!c) throw new Error(`org ${orgId} not found`);
    return c;
  };
  const inserted = await insertBillsIfAbsent(
    tx,
    mine.map((orgId) => {
      const totals = drafts.get(orgId)!.totals;
      return {
        org_id: orgId,
        month,
        currency: currencyOf(orgId),
        status: 'pending_confirmation',
        total_amount: totals.totalAmount,
        prepaid_amount: totals.prepaidAmount,
        usage_amount: totals.usageAmount,
        coupon_amount: totals.couponAmount,
        amount_due: totals.amountDue,
        period_start: period.start,
        period_end: period.end,
        issued_at: now,
        due_at: dueAt,
        paid_at: null,
        overdue_at: null,
        ledger_txn_id: null,
        confirms_at: confirmsAt,
      } as Insertable<BillsTable>;
    }),
  );
  const issued = mine.filter((orgId) => inserted.has(`${orgId}\u0000${month}`));
  await insertBillLines(
    tx,
    issued.flatMap((orgId) =>
      drafts.get(orgId)!.lines.map((s) => ({
        org_id: orgId,
        month,
        line_no: s.lineNo,
        kind: s.line.kind,
        order_id: s.line.orderId,
        order_type: s.line.orderType,
        cluster_id: s.line.clusterId,
        cluster_name: s.line.clusterName,
        region: s.line.region,
        metric: s.line.metric,
        quantity_milli: s.line.quantityMilli,
        unit: s.line.unit,
        micros_per_unit: s.line.microsPerUnit,
        at: s.line.at,
        amount: s.line.amount,
        coupon_amount: s.couponAmount,
        due_amount: s.dueAmount,
      })),
    ),
  );
  const spends: { orgId: string; couponId: string; amount: number }[] = [];
  for (const orgId of issued) {
    const perCoupon = new Map<string, number>();
    for (const a of drafts.get(orgId)!.applications)
      perCoupon.set(a.couponId, (perCoupon.get(a.couponId) ?? 0) + a.amount);
    for (const [couponId, amount] of perCoupon) spends.push({ orgId, couponId, amount });
  }
  // The coupons are locked: a failed compare-and-set here is a bug, and rolls all the bills back.
  if ((await spendCoupons(tx, spends)) !== spends.length) throw new Error('a coupon changed under its lock');
  await insertCouponApplications(
    tx,
    issued.flatMap((orgId) =>
      drafts.get(orgId)!.applications.map((a) => ({
        org_id: orgId,
        month,
        coupon_id: a.couponId,
        line_no: a.lineNo,
        amount: a.amount,
      })),
    ),
  );
  // SPEC §9: the issue is told (admins, webhooks) from the outbox, written with the bills.
  await emitMany(
    tx,
    issued.map((orgId) => {
      const totals = drafts.get(orgId)!.totals;
      return {
        orgId,
        type: 'bill.issued',
        aggregateId: month,
        payload: {
          month,
          amountDue: totals.amountDue,
          totalAmount: totals.totalAmount,
          currency: currencyOf(orgId),
          status: 'pending_confirmation',
          confirmsAt: confirmsAt.toISOString(),
          dueAt: dueAt.toISOString(),
        },
        now,
      };
    }),
  );
  const issuedSet = new Set(issued);
  return orgIds.map((orgId): IssueOutcome => {
    if (!held.has(orgId)) return { outcome: 'busy', orgId, month };
    if (!issuedSet.has(orgId)) return { outcome: 'exists', orgId, month };
    const amountDue = drafts.get(orgId)!.totals.amountDue;
    return { outcome: 'issued', orgId, month, status: 'pending_confirmation', amountDue };
  });
}

/** The last month whose bill may be issued at `now` (ended, plus the grace period). */
export function lastIssuableMonth(now: Date, timeZone: string): string {
  return addMonths(currentMonth(new Date(now.getTime() - ISSUE_GRACE_MS), timeZone), -1);
}

/**
 * The monthly job: every ended month of every org that has no bill yet, oldest month first, `batch` orgs per
 * transaction and `workers` transactions at a time. Bounded per run (`maxBatches` transactions); orgs another
 * instance is issuing right now are skipped and picked up by a later run.
 *
 * One org's bad data never stops the others (SPEC §11): a batch that fails is bisected until the failing orgs
 * are alone; each is recorded in job_failures (job `bills`, key the month) and left out until its backoff ends
 * (and so are its later months, which keep their order); it is cleared when its bill is issued.
 */
export async function issueDueBills(
  db: Db,
  config: Pick<Config, 'billingTimeZone'>,
  now: Date,
  opts: {
    batch?: number;
    workers?: number;
    maxBatches?: number;
    orgId?: string;
    month?: string;
    onIssued?: (r: IssueOutcome) => void;
  } = {},
): Promise<{ issued: number; paid: number; unpaid: number; skipped: number; failed: number }> {
  const totals = { issued: 0, paid: 0, unpaid: 0, skipped: 0, failed: 0 };
  const last = lastIssuableMonth(now, config.billingTimeZone);
  const batch = opts.batch ?? 250;
  const workers = opts.workers ?? 2;
  let budget = opts.maxBatches ?? 100;
  const first = opts.month ?? (await firstOrgMonth(db, config.billingTimeZone));
  if (first === null) return totals;
  const lastMonth = opts.month ?? last;
  for (let month = first; month <= lastMonth && budget > 0; month = addMonths(month, 1)) {
    const periodEnd = monthPeriod(month, config.billingTimeZone).end;
    // Orgs with a failure on record for this month: cleared in the transaction that issues their bill.
    const failing = await failingOrgs(db, BILLS_JOB, month);
    let after = '';
    while (budget > 0) {
      const page = await orgsToBill(db, month, periodEnd, {
        afterOrgId: after,
        limit: batch * Math.min(workers, budget),
        orgId: opts.orgId,
        skipFailing: { job: BILLS_JOB, now },
      });
      if (page.length === 0) break;
      after = page[page.length - 1]!;
      const chunks: string[][] = [];
      for (let i = 0; i < page.length; i += batch) chunks.push(page.slice(i, i + batch));
      budget -= chunks.length;
      const runs = await Promise.all(
        chunks.map((orgIds) =>
          isolateOrgs(db, { name: BILLS_JOB, key: month, now }, orgIds, (ids) =>
            db.transaction().execute(async (tx) => {
              const r = await issueBills(tx, config, month, ids, now);
              const done = r
                .filter((x) => x.outcome === 'issued' || x.outcome === 'exists')
                .map((x) => x.orgId);
              await clearJobFailures(
                tx,
                BILLS_JOB,
                done.filter((id) => failing.has(id)),
                month,
              );
              return r;
            }),
          ),
        ),
      );
      totals.failed += runs.reduce((n, r) => n + r.failed.length, 0);
      for (const r of runs.flatMap((x) => x.results)) {
        opts.onIssued?.(r);
        // `paid` and `unpaid` stay 0: a bill is charged at its confirmation (the bills-confirm job).
        if (r.outcome === 'issued') totals.issued++;
        else totals.skipped++;
      }
      if (page.length < batch * workers) break;
    }
  }
  return totals;
}
