import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ChargeLine, nanosToFen, settleLines } from '../../server/src/billing/bill-arithmetic.js';
import { addMonths, monthPeriod } from '../../server/src/billing/bill-period.js';
import { billableUnits, toMilli } from '../../server/src/billing/usage-units.js';

const line = fc.record({
  kind: fc.constantFrom<ChargeLine['kind']>('subscription', 'usage'),
  amount: fc.integer({ min: 0, max: 10_000_000_000 }),
});
const coupon = fc.record({
  id: fc.string({ minLength: 1, maxLength: 6 }),
  remaining: fc.integer({ min: 0, max: 10_000_000_000 }),
  expiresAt: fc.date({ min: new Date('2026-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
});

describe('bill arithmetic (property-based)', () => {
  it('totals equal the sums of their lines; coupons never touch an order line; nothing is negative', () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 30 }),
        fc.uniqueArray(coupon, { selector: (c) => c.id, maxLength: 8 }),
        (lines, coupons) => {
          const { lines: out, applications, totals } = settleLines(lines, coupons);
          const sum = (f: (x: (typeof out)[number]) => number) => out.reduce((s, x) => s + f(x), 0);
          expect(totals.totalAmount).toBe(sum((x) => x.line.amount));
          expect(totals.prepaidAmount + totals.usageAmount).toBe(totals.totalAmount);
          expect(totals.couponAmount).toBe(sum((x) => x.couponAmount));
          expect(totals.amountDue).toBe(sum((x) => x.dueAmount));
          expect(totals.amountDue).toBe(totals.usageAmount - totals.couponAmount);
          for (const x of out) {
            expect(x.couponAmount).toBeGreaterThanOrEqual(0);
            expect(x.dueAmount).toBeGreaterThanOrEqual(0);
            expect(x.couponAmount).toBeLessThanOrEqual(x.line.amount);
            if (x.line.kind === 'subscription') {
              expect(x.couponAmount).toBe(0);
              expect(x.dueAmount).toBe(0);
            }
          }
          // No coupon pays more than it holds; the applications add up to the coupon total.
          for (const c of coupons) {
            const used = applications.filter((a) => a.couponId === c.id).reduce((s, a) => s + a.amount, 0);
            expect(used).toBeLessThanOrEqual(c.remaining);
          }
          expect(applications.reduce((s, a) => s + a.amount, 0)).toBe(totals.couponAmount);
          // Coupons pay as much as they can: either all usage is covered or every coupon is used up.
          const held = coupons.reduce((s, c) => s + c.remaining, 0);
          expect(totals.couponAmount).toBe(Math.min(held, totals.usageAmount));
        },
      ),
    );
  });

  it('spends coupons earliest-expiring first', () => {
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 10 }),
        fc.uniqueArray(coupon, { selector: (c) => c.id, minLength: 2, maxLength: 6 }),
        (lines, coupons) => {
          const { applications } = settleLines(lines, coupons);
          const used = new Map<string, number>();
          for (const a of applications) used.set(a.couponId, (used.get(a.couponId) ?? 0) + a.amount);
          const sorted = [...coupons].sort(
            (a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : 1),
          );
          // A later-expiring coupon is touched only once every earlier one is exhausted.
          sorted.forEach((c, i) => {
            if ((used.get(c.id) ?? 0) > 0)
              for (const e of sorted.slice(0, i)) expect(used.get(e.id) ?? 0).toBe(e.remaining);
          });
        },
      ),
    );
  });

  it('rounds usage once, half up, from exact billionths of a fen', () => {
    expect(nanosToFen(499_999_999n)).toBe(0);
    expect(nanosToFen(500_000_000n)).toBe(1);
    expect(nanosToFen(1_499_999_999n)).toBe(1);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), (n) => {
        const fen = BigInt(nanosToFen(n));
        // half up: n - 0.5 fen < fen <= n + 0.5 fen (in billionths)
        expect(fen * 1_000_000_000n - n <= 500_000_000n).toBe(true);
        expect(n - fen * 1_000_000_000n < 500_000_000n).toBe(true);
      }),
    );
  });

  it('bills storage per started hour and backup per started day, at least one', () => {
    const s = new Date('2026-11-01T00:00:00Z');
    expect(billableUnits('storage', s, new Date('2026-11-01T00:00:01Z'))).toBe(1);
    expect(billableUnits('storage', s, new Date('2026-11-01T01:00:00Z'))).toBe(1);
    expect(billableUnits('storage', s, new Date('2026-11-01T01:00:01Z'))).toBe(2);
    expect(billableUnits('backup', s, new Date('2026-11-01T00:10:00Z'))).toBe(1);
    expect(billableUnits('backup', s, new Date('2026-11-03T00:00:01Z'))).toBe(3);
    expect(toMilli(1.5)).toBe(1500);
    expect(toMilli(0.1 + 0.2)).toBe(300);
    expect(toMilli(1.0005)).toBeUndefined();
  });

  it('bounds months in the billing time zone', () => {
    expect(monthPeriod('2026-11', 'UTC')).toEqual({
      start: new Date('2026-11-01T00:00:00Z'),
      end: new Date('2026-12-01T00:00:00Z'),
    });
    expect(monthPeriod('2026-12', 'Asia/Shanghai').start).toEqual(new Date('2026-11-30T16:00:00Z'));
    // across a DST change: America/New_York is UTC-4 on Nov 1 and UTC-5 on Dec 1
    expect(monthPeriod('2026-11', 'America/New_York')).toEqual({
      start: new Date('2026-11-01T04:00:00Z'),
      end: new Date('2026-12-01T05:00:00Z'),
    });
    expect(addMonths('2026-12', 1)).toBe('2027-01');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
  });
});
