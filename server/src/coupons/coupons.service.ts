import { sql } from 'kysely';
import { Currency } from '../../../contract/enums.js';
import type { Coupon } from '../../../contract/responses.js';
import type { Queryable, Tx } from '../db/schema.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';

export function presentCoupon(
  c: {
    id: string;
    org_id: string;
    currency: string;
    amount: number;
    remaining: number;
    expires_at: Date;
    created_at: Date;
  },
  now: Date,
): Coupon {
  return {
    id: c.id,
    orgId: c.org_id,
    currency: Currency.parse(c.currency),
    amount: c.amount,
    remaining: c.remaining,
    expiresAt: c.expires_at.toISOString(),
    status: c.expires_at.getTime() <= now.getTime() ? 'expired' : c.remaining === 0 ? 'used' : 'active',
    appliesTo: 'pay_as_you_go',
    createdAt: c.created_at.toISOString(),
  };
}

/** 优惠券: granted by operators; they pay pay-as-you-go charges only, never an order. */
export async function grantCoupon(
  tx: Tx,
  orgId: string,
  input: { amount: number; expiresAt: Date },
  now: Date,
) {
  const org = await requireOrg(tx, orgId);
  if (input.expiresAt.getTime() <= now.getTime()) {
    throw new AppError('VALIDATION_FAILED', 'expiresAt: must be in the future', {
      in: 'body',
      issues: [{ field: 'expiresAt', message: 'must be in the future' }],
    });
  }
  const row = await tx
    .insertInto('coupons')
    .values({
      org_id: orgId,
      id: newId('cpn', now),
      currency: org.currency,
      amount: input.amount,
      remaining: input.amount,
      expires_at: input.expiresAt,
      granted_by: 'operator',
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return presentCoupon(row, now);
}

export async function listCoupons(
  db: Queryable,
  orgId: string,
  page: { limit: number; after?: { createdAt: Date; id: string } | undefined },
) {
  let q = db.selectFrom('coupons').selectAll().where('org_id', '=', orgId);
  if (page.after) q = q.where(sql`(created_at, id)`, '<', sql`(${page.after.createdAt}, ${page.after.id})`);
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

/** The coupon balance: what unexpired coupons still hold. */
export async function activeCouponTotal(db: Queryable, orgId: string, now: Date): Promise<number> {
  const r = await db
    .selectFrom('coupons')
    .select(sql<string>`coalesce(sum(remaining), 0)::text`.as('s'))
    .where('org_id', '=', orgId)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(r.s);
}
