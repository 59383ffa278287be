import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundHalfUp } from '../platform/money.js';
import { defaultCatalog as catalog } from './catalog.js';
import { quotePurchase, quoteUpgrade, remainingDays, upgradeDiscountPercent } from './price.js';

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
