import { sql } from 'kysely';
import type { Queryable } from '../db/schema.js';
import { AppError } from '../platform/errors.js';

// SPEC §10.3, read where purchases, upgrades, renewals and the balance need it (below billing in the layers):
// what confirmed bills still owe and whether an overdue one freezes the org. The bill lifecycle
// (billing/bill-lifecycle.ts) writes the bills this reads.

/** What an org owes on confirmed bills, and its overdue bills (exact at read: an unpaid bill past due counts). */
export async function arrearsOf(
  db: Queryable,
  orgId: string,
  now: Date,
): Promise<{ amountDue: number; frozen: boolean; overdue: { month: string; outstandingAmount: number }[] }> {
  const r = await sql<{ month: string; outstanding: string; overdue: boolean }>`
    select month, (amount_due - paid_amount)::text as outstanding,
      (status = 'overdue' or due_at <= ${now}::timestamptz) as overdue
    from bills where org_id = ${orgId} and status in ('unpaid', 'overdue') order by month`.execute(db);
  const rows = r.rows.map((x) => ({
    month: x.month,
    outstanding: Number(x.outstanding),
    overdue: x.overdue,
  }));
  const overdue = rows
    .filter((x) => x.overdue)
    .map((x) => ({ month: x.month, outstandingAmount: x.outstanding }));
  return {
    amountDue: rows.reduce((s, x) => s + x.outstanding, 0),
    frozen: overdue.length > 0,
    overdue,
  };
}

/**
 * SPEC §10.3: a frozen org (an overdue bill unpaid) cannot create, upgrade or renew clusters: 403 ORG_FROZEN
 * with the overdue bills and what paying them takes. Checked before any write of those use cases.
 */
export async function assertNotFrozen(db: Queryable, orgId: string, now: Date): Promise<void> {
  const a = await arrearsOf(db, orgId, now);
  if (!a.frozen) return;
  throw new AppError('ORG_FROZEN', 'the organization is frozen: an overdue bill is unpaid', {
    bills: a.overdue,
    amountDue: a.overdue.reduce((s, x) => s + x.outstandingAmount, 0),
  });
}
