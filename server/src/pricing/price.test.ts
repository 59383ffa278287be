import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundHalfUp } from '../platform/money.js';
import { type Catalog, defaultCatalog as catalog } from './catalog.js';
import {
  quotePurchase,
  quoteRenewal,
  quoteUpgrade,
  remainingDays,
  termEndAfterRenewal,
  termEndAfterUpgrade,
  upgradeDiscountPercent,
} from './price.js';

const hz = { region: 'aliyun-cn-hangzhou', cuType: 'performance' };
const DAY = 86_400_000;

describe('the provider’s examples come out exact', () => {
  it('performance in 华东1（杭州） is ¥1.25 per CU-hour: 1 CU for a 30-day month is ¥900.00', () => {
    const q = quotePurchase(catalog, { ...hz, cuSize: 1, replicas: 1 }, { unit: 'month', count: 1 });
    expect(q).toMatchObject({
      amount: 90_000,
      listAmount: 90_000,
      discountAmount: 0,
      currency: 'CNY',
      hours: 720,
    });
  });
  it('1–11 months are list price: 8 CU × 2 replicas × 6 months = ¥86,400.00', () => {
    const q = quotePurchase(catalog, { ...hz, cuSize: 8, replicas: 2 }, { unit: 'month', count: 6 });
    expect(q.amount).toBe(8 * 2 * 125 * 24 * 30 * 6);
    expect(q.amount).toBe(8_640_000);
  });
  it('1 year is 7折: 1 CU = ¥10,800.00 list, ¥7,560.00 due', () => {
    const q = quotePurchase(catalog, { ...hz, cuSize: 1, replicas: 1 }, { unit: 'year', count: 1 });
    expect(q).toMatchObject({
      listAmount: 1_080_000,
      amount: 756_000,
      discountAmount: 324_000,
      discountPercent: 70,
    });
  });
  it('3 years is 5折: 1 CU = ¥32,400.00 list, ¥16,200.00 due', () => {
    const q = quotePurchase(catalog, { ...hz, cuSize: 1, replicas: 1 }, { unit: 'year', count: 3 });
    expect(q).toMatchObject({
      listAmount: 3_240_000,
      amount: 1_620_000,
      discountAmount: 1_620_000,
      discountPercent: 50,
    });
  });
  it('upgrade settled by day: +1 CU with 10.2 days left costs 11 days at list price', () => {
    const now = new Date('2026-11-02T00:00:00Z');
    const termEndsAt = new Date(now.getTime() + 10.2 * DAY);
    const q = quoteUpgrade(
      catalog,
      { ...hz, cuSize: 1, replicas: 1 },
      { cuSize: 2, replicas: 1 },
      termEndsAt,
      now,
    );
    expect(q).toMatchObject({ remainingDays: 11, addedCu: 1, amount: 125 * 24 * 11, discountPercent: 100 });
  });
  it('upgrade with a year or more left is 7折: 2→4 CU × 2 replicas with 400 days left', () => {
    const now = new Date('2026-11-02T00:00:00Z');
    const q = quoteUpgrade(
      catalog,
      { ...hz, cuSize: 2, replicas: 2 },
      { cuSize: 4, replicas: 2 },
      new Date(now.getTime() + 400 * DAY),
      now,
    );
    expect(q.addedCu).toBe(4);
    expect(q.listAmount).toBe(4 * 125 * 24 * 400);
    expect(q.amount).toBe((4 * 125 * 24 * 400 * 70) / 100);
  });
  it('rounds once, half up, to the fen', () => {
    // tiered is 63 fen/CU-hour: 1 CU × 1 day × 7折 = 63 × 24 × 0.7 = 1058.4 → 1058
    const now = new Date('2026-11-02T00:00:00Z');
    const q = quoteUpgrade(
      catalog,
      { ...hz, cuType: 'tiered', cuSize: 1, replicas: 1 },
      { cuSize: 2, replicas: 1 },
      new Date(now.getTime() + DAY / 2),
      now,
    );
    expect(q.amount).toBe(63 * 24);
    expect(roundHalfUp(10584n, 10n)).toBe(1058n);
    expect(roundHalfUp(10585n, 10n)).toBe(1059n);
    expect(roundHalfUp(5n, 10n)).toBe(1n);
    expect(roundHalfUp(4n, 10n)).toBe(0n);
  });
});

describe('the subscription term’s prices (SPEC §8)', () => {
  const now = new Date('2026-11-02T00:00:00Z');
  const year = (count: number) => ({ unit: 'year', count }) as const;
  const month = (count: number) => ({ unit: 'month', count }) as const;

  it('renewal is the new-purchase formula: 4 CU × 1 replica, 1 year at 7折 = ¥30,240.00 (§8.2)', () => {
    const q = quoteRenewal(catalog, { ...hz, cuSize: 4, replicas: 1 }, year(1));
    expect(q).toEqual({
      type: 'renewal',
      currency: 'CNY',
      amount: 3_024_000,
      listAmount: 4_320_000,
      discountAmount: 1_296_000,
      pricePerCuHour: 125,
      hours: 8_640,
      months: 12,
      discountPercent: 70,
      cuHours: 34_560,
    });
  });

  it('the auto-renew example’s order: 2 CU × 1 replica × 1 year = ¥15,120.00 (§8.4)', () => {
    const q = quoteRenewal(catalog, { ...hz, cuSize: 2, replicas: 1 }, year(1));
    expect(q.amount).toBe(1_512_000);
    // cash ¥10,000.00 leaves a shortfall of ¥5,120.00; after a ¥6,000.00 top-up, ¥880.00 remains
    expect(q.amount - 1_000_000).toBe(512_000);
    expect(1_600_000 - q.amount).toBe(88_000);
  });

  it('a renewal keeps a size the catalog no longer sells, but needs an offered term and a priced CU type', () => {
    const narrower: Catalog = { ...catalog, cuSizes: [1, 2] };
    expect(quoteRenewal(narrower, { ...hz, cuSize: 4, replicas: 1 }, year(1)).amount).toBe(3_024_000);
    const validation = expect.objectContaining({ code: 'VALIDATION_FAILED' });
    expect(() => quoteRenewal(catalog, { ...hz, cuSize: 4, replicas: 1 }, year(2))).toThrowError(validation);
    expect(() =>
      quoteRenewal(catalog, { ...hz, cuType: 'quantum', cuSize: 4, replicas: 1 }, year(1)),
    ).toThrowError(validation);
    expect(() => quoteRenewal(catalog, { ...hz, cuSize: 0, replicas: 1 }, year(1))).toThrowError(RangeError);
  });

  it('upgrade and extend: 3-year cluster (5折), 180 days left, 2 → 4 CU, 1 year = ¥30,240.00 − ¥5,400.00 (§8.3)', () => {
    const before = { ...hz, cuSize: 2, replicas: 1, term: year(3) };
    const q = quoteUpgrade(
      catalog,
      before,
      { cuSize: 4, replicas: 1 },
      new Date(now.getTime() + 180 * DAY),
      now,
      year(1),
    );
    expect(q).toEqual({
      type: 'upgrade',
      currency: 'CNY',
      amount: 2_484_000,
      listAmount: 4_320_000,
      discountAmount: 1_836_000,
      pricePerCuHour: 125,
      remainingDays: 180,
      hours: 8_640,
      discountPercent: 70,
      addedCu: 2,
      cuHours: 34_560,
      newTerm: {
        unit: 'year',
        count: 1,
        months: 12,
        hours: 8_640,
        cuHours: 34_560,
        listAmount: 4_320_000,
        discountPercent: 70,
        amount: 3_024_000,
      },
      credit: {
        remainingDays: 180,
        hours: 4_320,
        cuHours: 8_640,
        listAmount: 1_080_000,
        discountPercent: 50,
        value: 540_000,
        amount: 540_000,
      },
    });
  });

  it('the credit counts a started day as one: 179.3 days left is 180, 180 days and 1 ms is 181', () => {
    const before = { ...hz, cuSize: 2, replicas: 1, term: year(3) };
    const at = (ms: number) =>
      quoteUpgrade(catalog, before, { cuSize: 4, replicas: 1 }, new Date(now.getTime() + ms), now, year(1));
    expect(at(179.3 * DAY).amount).toBe(2_484_000);
    expect(at(180 * DAY + 1)).toMatchObject({ remainingDays: 181, amount: 2_484_000 - 3_000 });
  });

  it('without a term, an upgrade is priced as before and says nothing of a new term or a credit', () => {
    const before = { ...hz, cuSize: 2, replicas: 1, term: year(3) };
    const end = new Date(now.getTime() + 180 * DAY);
    const q = quoteUpgrade(catalog, before, { cuSize: 4, replicas: 1 }, end, now);
    expect(q).toEqual(quoteUpgrade(catalog, before, { cuSize: 4, replicas: 1 }, end, now, undefined));
    expect(q).toMatchObject({
      amount: 2 * 125 * 24 * 180,
      hours: 180 * 24,
      discountPercent: 100,
      addedCu: 2,
    });
    expect(q).not.toHaveProperty('newTerm');
    expect(q).not.toHaveProperty('credit');
  });

  it('a credit larger than the new term makes the amount 0, never negative; the credit applied is capped', () => {
    // 64 CU bought for 3 years with 1000 days left (¥960,000.00 of credit) → 128 CU for 1 month (¥115,200.00)
    const before = { ...hz, cuSize: 64, replicas: 1, term: year(3) };
    const q = quoteUpgrade(
      catalog,
      before,
      { cuSize: 128, replicas: 1 },
      new Date(now.getTime() + 1000 * DAY),
      now,
      month(1),
    );
    expect(q.amount).toBe(0);
    expect(q.discountAmount).toBe(q.listAmount);
    expect(q.newTerm?.amount).toBe(11_520_000);
    expect(q.credit).toMatchObject({ value: 96_000_000, amount: 11_520_000 });
  });

  it('the difference is rounded once: the parts alone would round to a fen less', () => {
    // tiered, 63 fen/CU-hour, with a 2-year term at 63%: the new term is 2 × 63 × 24 × 720 × 0.63 = 1,371,686.4;
    // 4 days of 1 CU bought at 7折 are worth 63 × 24 × 4 × 0.7 = 4,233.6; the difference 1,367,452.8 → 1,367,453.
    const twoYears: Catalog = {
      ...catalog,
      terms: [...catalog.terms, { unit: 'year', count: 2, discountPercent: 63 }],
    };
    const q = quoteUpgrade(
      twoYears,
      { ...hz, cuType: 'tiered', cuSize: 1, replicas: 1, term: year(1) },
      { cuSize: 2, replicas: 1 },
      new Date(now.getTime() + 4 * DAY),
      now,
      year(2),
    );
    expect(q.amount).toBe(1_367_453);
    expect(q.newTerm?.amount).toBe(1_371_686);
    expect(q.credit).toMatchObject({ value: 4_234, amount: 4_233 });
  });

  it('the credit uses the discount the last term was bought at, when the order gives it', () => {
    const end = new Date(now.getTime() + 180 * DAY);
    const q = quoteUpgrade(
      catalog,
      { ...hz, cuSize: 2, replicas: 1, term: { ...year(3), discountPercent: 60 } },
      { cuSize: 4, replicas: 1 },
      end,
      now,
      year(1),
    );
    expect(q.credit).toMatchObject({ discountPercent: 60, value: 648_000 });
    expect(q.amount).toBe(3_024_000 - 648_000);
  });

  it('refuses what cannot be priced: an unoffered term, a downgrade, an ended term, an unknown last term', () => {
    const end = new Date(now.getTime() + 180 * DAY);
    const before = { ...hz, cuSize: 2, replicas: 2, term: year(3) };
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => quoteUpgrade(catalog, before, { cuSize: 4, replicas: 2 }, end, now, year(2))).toThrowError(
      code('VALIDATION_FAILED'),
    );
    expect(() => quoteUpgrade(catalog, before, { cuSize: 4, replicas: 1 }, end, now, year(1))).toThrowError(
      code('INVALID_UPGRADE'),
    );
    expect(() => quoteUpgrade(catalog, before, { cuSize: 2, replicas: 2 }, end, now, year(1))).toThrowError(
      code('INVALID_UPGRADE'),
    );
    expect(() => quoteUpgrade(catalog, before, { cuSize: 4, replicas: 2 }, now, now, year(1))).toThrowError(
      code('CLUSTER_NOT_READY'),
    );
    const gone = { ...before, term: month(13) };
    expect(() => quoteUpgrade(catalog, gone, { cuSize: 4, replicas: 2 }, end, now, year(1))).toThrowError(
      code('INVALID_UPGRADE'),
    );
    // with the discount it was bought at, the same term is credited
    const known = { ...before, term: { ...month(13), discountPercent: 100 } };
    expect(quoteUpgrade(catalog, known, { cuSize: 4, replicas: 2 }, end, now, year(1)).credit?.value).toBe(
      2 * 2 * 125 * 24 * 180,
    );
  });

  it('an upgrade with a new term runs from the payment: + 1 year is + 360 days', () => {
    const paidAt = new Date('2026-11-02T10:15:30.250Z');
    expect(termEndAfterUpgrade(paidAt, year(1)).toISOString()).toBe('2027-10-28T10:15:30.250Z');
    expect(termEndAfterUpgrade(paidAt, month(1)).toISOString()).toBe('2026-12-02T10:15:30.250Z');
    expect(termEndAfterUpgrade(paidAt, year(3)).toISOString()).toBe('2029-10-17T10:15:30.250Z');
  });

  it('a renewal runs on from the old end, whenever it is paid: + 1 year is + 360 days', () => {
    const oldEnd = new Date('2026-11-02T00:00:00Z');
    expect(termEndAfterRenewal(oldEnd, year(1)).toISOString()).toBe('2027-10-28T00:00:00.000Z');
    expect(termEndAfterRenewal(oldEnd, month(6)).toISOString()).toBe('2027-05-01T00:00:00.000Z');
    expect(() => termEndAfterRenewal(oldEnd, month(0))).toThrowError(RangeError);
    expect(() => termEndAfterRenewal(oldEnd, month(1.5))).toThrowError(RangeError);
    expect(() => termEndAfterUpgrade(new Date(Number.NaN), year(1))).toThrowError(RangeError);
  });
});

describe('refusals', () => {
  const now = new Date('2026-11-02T00:00:00Z');
  const end = new Date(now.getTime() + 100 * DAY);
  it.each([
    ['no change', { cuSize: 2, replicas: 2 }, { cuSize: 2, replicas: 2 }],
    ['fewer CU', { cuSize: 4, replicas: 1 }, { cuSize: 2, replicas: 3 }],
    ['fewer replicas', { cuSize: 2, replicas: 3 }, { cuSize: 8, replicas: 1 }],
  ])('INVALID_UPGRADE for a downgrade or no change (%s)', (_label, before, after) => {
    expect(() => quoteUpgrade(catalog, { ...hz, ...before }, after, end, now)).toThrowError(
      expect.objectContaining({ code: 'INVALID_UPGRADE' }),
    );
  });
  it('refuses sizes, terms, regions and CU types the catalog does not offer', () => {
    const bad = (f: () => unknown) =>
      expect(f).toThrowError(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    bad(() => quotePurchase(catalog, { ...hz, cuSize: 3, replicas: 1 }, { unit: 'month', count: 1 }));
    bad(() => quotePurchase(catalog, { ...hz, cuSize: 1, replicas: 11 }, { unit: 'month', count: 1 }));
    bad(() => quotePurchase(catalog, { ...hz, cuSize: 1, replicas: 1 }, { unit: 'month', count: 12 }));
    bad(() => quotePurchase(catalog, { ...hz, cuSize: 1, replicas: 1 }, { unit: 'year', count: 2 }));
    bad(() =>
      quotePurchase(
        catalog,
        { ...hz, region: 'mars-1', cuSize: 1, replicas: 1 },
        { unit: 'month', count: 1 },
      ),
    );
    bad(() =>
      quotePurchase(
        catalog,
        { region: 'aliyun-cn-beijing', cuType: 'tiered', cuSize: 1, replicas: 1 },
        { unit: 'month', count: 1 },
      ),
    );
  });
});

describe('properties of the formulas', () => {
  const region = fc.constantFrom(...catalog.regions.map((r) => r.id));
  const size = fc.constantFrom(...catalog.cuSizes);
  const replicas = fc.integer({ min: catalog.replicas.min, max: catalog.replicas.max });
  const term = fc.constantFrom(...catalog.terms);

  it('a purchase is exactly size × replicas × hourly × 24 × 30 × months × discount, rounded half up once', () => {
    fc.assert(
      fc.property(region, size, replicas, term, (r, s, n, t) => {
        const cuType = catalog.regions.find((x) => x.id === r)!.cuTypes[0]!;
        const q = quotePurchase(catalog, { region: r, cuType: cuType.id, cuSize: s, replicas: n }, t);
        const months = t.unit === 'year' ? t.count * 12 : t.count;
        const list = BigInt(s * n * cuType.pricePerCuHour * 24 * 30 * months);
        expect(BigInt(q.listAmount)).toBe(list);
        expect(BigInt(q.amount)).toBe(roundHalfUp(list * BigInt(t.discountPercent), 100n));
        expect(q.amount + q.discountAmount).toBe(q.listAmount);
        expect(Number.isSafeInteger(q.amount) && q.amount > 0).toBe(true);
      }),
    );
  });

  it('an upgrade is positive, grows with the added CU and the remaining days, and never exceeds list', () => {
    const now = new Date('2026-11-02T00:00:00Z');
    fc.assert(
      fc.property(
        size,
        size,
        replicas,
        replicas,
        fc.integer({ min: 1, max: 1080 * DAY }),
        (s1, s2, n1, n2, leftMs) => {
          const [a, b] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const [m, k] = n1 <= n2 ? [n1, n2] : [n2, n1];
          fc.pre(b * k > a * m);
          const end = new Date(now.getTime() + leftMs);
          const q = quoteUpgrade(
            catalog,
            { ...hz, cuSize: a, replicas: m },
            { cuSize: b, replicas: k },
            end,
            now,
          );
          const days = Math.ceil(leftMs / DAY);
          expect(q.remainingDays).toBe(days);
          expect(q.listAmount).toBe((b * k - a * m) * 125 * 24 * days);
          expect(q.discountPercent).toBe(days >= 360 ? 70 : 100);
          expect(q.amount).toBeGreaterThan(0);
          expect(q.amount).toBeLessThanOrEqual(q.listAmount);
          // One more day left never costs less.
          const later = quoteUpgrade(
            catalog,
            { ...hz, cuSize: a, replicas: m },
            { cuSize: b, replicas: k },
            new Date(end.getTime() + DAY),
            now,
          );
          expect(later.listAmount).toBeGreaterThan(q.listAmount);
        },
      ),
    );
  });

  const months = (t: { unit: string; count: number }) => (t.unit === 'year' ? t.count * 12 : t.count);
  const hzType = fc.constantFrom(...catalog.regions[0]!.cuTypes);

  it('a renewal is the hand formula in bigint, a positive integer, and the new purchase of the same shape', () => {
    fc.assert(
      fc.property(hzType, size, replicas, term, (cuType, s, n, t) => {
        const shape = { ...hz, cuType: cuType.id, cuSize: s, replicas: n };
        const q = quoteRenewal(catalog, shape, t);
        const exact =
          BigInt(s) *
          BigInt(n) *
          BigInt(cuType.pricePerCuHour) *
          24n *
          30n *
          BigInt(months(t)) *
          BigInt(t.discountPercent);
        expect(BigInt(q.amount)).toBe(roundHalfUp(exact, 100n));
        expect(Number.isSafeInteger(q.amount) && q.amount > 0).toBe(true);
        expect(q.amount + q.discountAmount).toBe(q.listAmount);
        const { type, ...rest } = quotePurchase(catalog, shape, t);
        expect(type).toBe('new_purchase');
        expect(q).toEqual({ type: 'renewal', ...rest });
      }),
    );
  });

  it('a renewal in the term: the list grows with it, the price grows within one discount, and a month never costs more in a longer term', () => {
    fc.assert(
      fc.property(hzType, size, replicas, term, term, (cuType, s, n, t1, t2) => {
        fc.pre(months(t1) < months(t2));
        const shape = { ...hz, cuType: cuType.id, cuSize: s, replicas: n };
        const short = quoteRenewal(catalog, shape, t1);
        const long = quoteRenewal(catalog, shape, t2);
        expect(long.listAmount).toBeGreaterThan(short.listAmount);
        if (t1.discountPercent === t2.discountPercent) expect(long.amount).toBeGreaterThan(short.amount);
        // per month: long / months(t2) ≤ short / months(t1)
        expect(BigInt(long.amount) * BigInt(months(t1))).toBeLessThanOrEqual(
          BigInt(short.amount) * BigInt(months(t2)),
        );
      }),
    );
    // The total is not monotone across a discount: 11 months at list cost more than 1 year at 7折.
    const shape = { ...hz, cuSize: 1, replicas: 1 };
    expect(quoteRenewal(catalog, shape, { unit: 'month', count: 11 }).amount).toBe(990_000);
    expect(quoteRenewal(catalog, shape, { unit: 'year', count: 1 }).amount).toBe(756_000);
  });

  it('upgrade and extend is the hand formula in bigint: max(0, new term − credit), rounded once, and adds up', () => {
    const now = new Date('2026-11-02T00:00:00Z');
    // A discount that is not a multiple of 5 makes the new term's price fractional too, so both parts round.
    const wide: Catalog = {
      ...catalog,
      terms: [...catalog.terms, { unit: 'year', count: 2, discountPercent: 63 }],
    };
    fc.assert(
      fc.property(
        hzType,
        size,
        size,
        replicas,
        replicas,
        fc.constantFrom(...wide.terms),
        fc.constantFrom(...wide.terms),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        fc.integer({ min: 1, max: 1080 * DAY }),
        (cuType, s1, s2, n1, n2, last, next, boughtAt, leftMs) => {
          const [a, b] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const [m, k] = n1 <= n2 ? [n1, n2] : [n2, n1];
          fc.pre(b * k > a * m);
          const lastTerm = { unit: last.unit, count: last.count, discountPercent: boughtAt };
          const before = { ...hz, cuType: cuType.id, cuSize: a, replicas: m, term: lastTerm };
          const end = new Date(now.getTime() + leftMs);
          const q = quoteUpgrade(wide, before, { cuSize: b, replicas: k }, end, now, next);
          const days = BigInt(Math.ceil(leftMs / DAY));
          const price = BigInt(cuType.pricePerCuHour);
          const newExact =
            BigInt(b) * BigInt(k) * price * 24n * 30n * BigInt(months(next)) * BigInt(next.discountPercent);
          const lastDiscount = BigInt(boughtAt ?? last.discountPercent);
          const creditExact = BigInt(a) * BigInt(m) * price * 24n * days * lastDiscount;
          const due = newExact > creditExact ? newExact - creditExact : 0n;
          expect(BigInt(q.amount)).toBe(roundHalfUp(due, 100n));
          expect(Number.isSafeInteger(q.amount) && q.amount >= 0).toBe(true);
          expect(q.remainingDays).toBe(Number(days));
          expect(q.amount + q.discountAmount).toBe(q.listAmount);
          expect(q.discountAmount).toBeGreaterThanOrEqual(0);
          const newTerm = q.newTerm!;
          const credit = q.credit!;
          expect(BigInt(newTerm.amount)).toBe(roundHalfUp(newExact, 100n));
          expect(BigInt(credit.value)).toBe(roundHalfUp(creditExact, 100n));
          expect(newTerm.amount - credit.amount).toBe(q.amount);
          expect(credit.amount).toBeGreaterThanOrEqual(0);
          if (q.amount > 0) expect(Math.abs(credit.amount - credit.value)).toBeLessThanOrEqual(1);
          else expect(credit.amount).toBeLessThanOrEqual(credit.value + 1);
        },
      ),
    );
  });

  it('upgrade and extend in the term and the days left: a longer term of one discount never costs less, more days left never cost more', () => {
    const now = new Date('2026-11-02T00:00:00Z');
    fc.assert(
      fc.property(
        size,
        size,
        replicas,
        term,
        term,
        term,
        fc.integer({ min: 1, max: 1080 * DAY }),
        (s1, s2, n, last, t1, t2, leftMs) => {
          const [a, b] = s1 <= s2 ? [s1, s2] : [s2, s1];
          fc.pre(b > a && months(t1) < months(t2) && t1.discountPercent === t2.discountPercent);
          const before = { ...hz, cuSize: a, replicas: n, term: last };
          const after = { cuSize: b, replicas: n };
          const end = new Date(now.getTime() + leftMs);
          const short = quoteUpgrade(catalog, before, after, end, now, t1);
          const long = quoteUpgrade(catalog, before, after, end, now, t2);
          expect(long.amount).toBeGreaterThanOrEqual(short.amount);
          expect(long.listAmount).toBeGreaterThan(short.listAmount);
          const moreLeft = quoteUpgrade(catalog, before, after, new Date(end.getTime() + DAY), now, t1);
          expect(moreLeft.amount).toBeLessThanOrEqual(short.amount);
          expect(moreLeft.credit!.value).toBeGreaterThan(short.credit!.value);
        },
      ),
    );
  });

  it('a term ends 30 days a month after it starts, later for a longer term', () => {
    const unitTerm = fc.record({
      unit: fc.constantFrom('month' as const, 'year' as const),
      count: fc.integer({ min: 1, max: 36 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
        unitTerm,
        unitTerm,
        (ms, t1, t2) => {
          const from = new Date(ms);
          const a = termEndAfterRenewal(from, t1);
          expect(a.getTime() - ms).toBe(months(t1) * 30 * DAY);
          expect(termEndAfterUpgrade(from, t1).getTime()).toBe(a.getTime());
          const b = termEndAfterRenewal(from, t2);
          expect(Math.sign(b.getTime() - a.getTime())).toBe(Math.sign(months(t2) - months(t1)));
        },
      ),
    );
  });

  it('remaining days: a started day counts as one, an ended term has none', () => {
    const now = new Date('2026-11-02T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: -10 * DAY, max: 2000 * DAY }), (ms) => {
        const d = remainingDays(new Date(now.getTime() + ms), now);
        expect(d).toBe(ms <= 0 ? 0 : Math.ceil(ms / DAY));
      }),
    );
    expect(upgradeDiscountPercent(catalog, 359)).toBe(100);
    expect(upgradeDiscountPercent(catalog, 360)).toBe(70);
  });

  it('roundHalfUp agrees with exact rational rounding', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (n, d) => {
        const r = roundHalfUp(n, d);
        // r is the nearest integer, ties going up: |n/d − r| ≤ 1/2 and a tie rounds up.
        expect(2n * n >= (2n * r - 1n) * d).toBe(true);
        expect(2n * n < (2n * r + 1n) * d).toBe(true);
      }),
    );
  });
});
