import { type RawBuilder, sql } from 'kysely';
import { AppError } from '../platform/errors.js';
import { roundHalfUp, toSafeNumber } from '../platform/money.js';
import { type Catalog, type CuType, type Region, type Term, termDays, termMonths } from './catalog.js';

const DAY_MS = 86_400_000;

export interface ClusterShape {
  region: string;
  cuType: string;
  cuSize: number;
  replicas: number;
}

export interface PurchaseQuote {
  type: 'new_purchase';
  currency: string;
  amount: number;
  listAmount: number;
  discountAmount: number;
  pricePerCuHour: number;
  hours: number;
  months: number;
  discountPercent: number;
  cuHours: number;
}

/** A renewal (续订) is priced as a new purchase of the cluster's current configuration (SPEC §8.2). */
export interface RenewalQuote extends Omit<PurchaseQuote, 'type'> {
  type: 'renewal';
}

/**
 * Without a new term, the amounts are the added CU over the remaining days (SPEC §3). With one (SPEC §8.3),
 * `listAmount` is the new term's list price, `amount` what is due, `discountAmount` = `listAmount` − `amount`
 * (the term's discount and the credit together), `hours`, `cuHours` and `discountPercent` are the new term's,
 * and `newTerm` and `credit` break the amount down so that `newTerm.amount` − `credit.amount` = `amount`.
 */
export interface UpgradeQuote {
  type: 'upgrade';
  currency: string;
  amount: number;
  listAmount: number;
  discountAmount: number;
  pricePerCuHour: number;
  remainingDays: number;
  hours: number;
  discountPercent: number;
  addedCu: number;
  cuHours: number;
  newTerm?: UpgradeNewTerm;
  credit?: UpgradeCredit;
}

/** The new configuration bought for the new term, at that term's discount. */
export interface UpgradeNewTerm {
  unit: 'month' | 'year';
  count: number;
  months: number;
  hours: number;
  cuHours: number;
  listAmount: number;
  discountPercent: number;
  /** the new term's price, rounded half up on its own */
  amount: number;
}

/** What is left of the old term, at the discount of the term last bought. */
export interface UpgradeCredit {
  remainingDays: number;
  hours: number;
  cuHours: number;
  listAmount: number;
  discountPercent: number;
  /** the remaining time's worth, rounded half up on its own */
  value: number;
  /**
   * the credit this order applies: `newTerm.amount` − `amount`, so the breakdown adds up to the fen. It is
   * capped at the new term's price (the amount never goes below zero; nothing is refunded) and may differ
   * from `value` by a fen where the one rounding of the difference falls otherwise.
   */
  amount: number;
}

/** A term as chosen or as stored on a cluster. */
export interface TermChoice {
  unit: string;
  count: number;
}

/**
 * The term a cluster last bought. `discountPercent` is the discount it was bought at (from the order's
 * snapshot); without it, the catalog's current discount for that term applies.
 */
export interface LastTerm extends TermChoice {
  discountPercent?: number | undefined;
}

export function findRegion(catalog: Catalog, regionId: string): Region {
  const region = catalog.regions.find((r) => r.id === regionId);
  if (!region) throw new AppError('VALIDATION_FAILED', `unknown region ${regionId}`, { field: 'region' });
  return region;
}

export function findCuType(catalog: Catalog, regionId: string, cuTypeId: string): CuType {
  const cuType = findRegion(catalog, regionId).cuTypes.find((c) => c.id === cuTypeId);
  if (!cuType) {
    throw new AppError('VALIDATION_FAILED', `CU type ${cuTypeId} is not offered in ${regionId}`, {
      field: 'cuType',
    });
  }
  return cuType;
}

export function findTerm(catalog: Catalog, term: { unit: string; count: number }): Term {
  const found = catalog.terms.find((t) => t.unit === term.unit && t.count === term.count);
  if (!found) {
    throw new AppError('VALIDATION_FAILED', `no ${term.count}-${term.unit} term is offered`, {
      field: 'term',
    });
  }
  return found;
}

export function checkSize(catalog: Catalog, cuSize: number, replicas: number): void {
  if (!catalog.cuSizes.includes(cuSize)) {
    throw new AppError('VALIDATION_FAILED', `CU size ${cuSize} is not offered`, {
      field: 'cuSize',
      allowed: catalog.cuSizes,
    });
  }
  if (replicas < catalog.replicas.min || replicas > catalog.replicas.max) {
    throw new AppError(
      'VALIDATION_FAILED',
      `replicas must be between ${catalog.replicas.min} and ${catalog.replicas.max}`,
      { field: 'replicas' },
    );
  }
}

/**
 * New purchase = cuSize × replicas × hourly × 24 × 30 × months × discount, computed exactly and rounded
 * once, half up.
 */
export function quotePurchase(catalog: Catalog, shape: ClusterShape, term: TermChoice): PurchaseQuote {
  checkSize(catalog, shape.cuSize, shape.replicas);
  return { type: 'new_purchase', ...priceTerm(catalog, shape, term) };
}

/**
 * Renewal (续订) = the new-purchase formula for the cluster's current configuration (SPEC §8.2). The
 * configuration is not checked against the sizes the catalog offers today: it was bought, and a size the
 * catalog later stops selling must stay renewable. Its CU type still needs a price and the term must be offered.
 */
export function quoteRenewal(catalog: Catalog, cluster: ClusterShape, term: TermChoice): RenewalQuote {
  if (!isPositiveInt(cluster.cuSize) || !isPositiveInt(cluster.replicas)) {
    throw new RangeError(
      `a cluster has a positive whole CU size and replica count, not ${cluster.cuSize}×${cluster.replicas}`,
    );
  }
  return { type: 'renewal', ...priceTerm(catalog, cluster, term) };
}

function priceTerm(catalog: Catalog, shape: ClusterShape, term: TermChoice): Omit<PurchaseQuote, 'type'> {
  const cuType = findCuType(catalog, shape.region, shape.cuType);
  const t = findTerm(catalog, term);
  const hours = termDays(catalog, t) * 24;
  const cuHours = BigInt(shape.cuSize) * BigInt(shape.replicas) * BigInt(hours);
  const list = cuHours * BigInt(cuType.pricePerCuHour);
  const amount = roundHalfUp(list * BigInt(t.discountPercent), 100n);
  return {
    currency: catalog.currency,
    amount: toSafeNumber(amount),
    listAmount: toSafeNumber(list),
    discountAmount: toSafeNumber(list - amount),
    pricePerCuHour: cuType.pricePerCuHour,
    hours,
    months: termMonths(t),
    discountPercent: t.discountPercent,
    cuHours: toSafeNumber(cuHours),
  };
}

function isPositiveInt(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}

/** Whole days left in the term; a started day counts as one. */
export function remainingDays(termEndsAt: Date, now: Date): number {
  const ms = termEndsAt.getTime() - now.getTime();
  return ms <= 0 ? 0 : Math.ceil(ms / DAY_MS);
}

export function upgradeDiscountPercent(catalog: Catalog, days: number): number {
  let percent = 100;
  for (const d of catalog.upgradeDiscounts) if (days >= d.minRemainingDays) percent = d.discountPercent;
  return percent;
}

/**
 * Upgrade (settled by day, SPEC §3) = (new cuSize × new replicas − old cuSize × old replicas) × hourly × 24 ×
 * remaining days × the discount of the remaining time; the term's end does not move.
 *
 * Upgrade and extend the term (SPEC §8.3), when `term` is given = max(0, new cuSize × new replicas × hourly ×
 * 24 × 30 × months × the new term's discount − old cuSize × old replicas × hourly × 24 × remaining days × the
 * discount of the term last bought (`before.term`)). Both parts stay exact (in hundredths of a fen) and the
 * difference is rounded once, half up. Upgrades only go up, with or without a term.
 */
export function quoteUpgrade(
  catalog: Catalog,
  before: ClusterShape,
  after: { cuSize: number; replicas: number },
  termEndsAt: Date,
  now: Date,
): UpgradeQuote;
export function quoteUpgrade(
  catalog: Catalog,
  before: ClusterShape & { term: LastTerm },
  after: { cuSize: number; replicas: number },
  termEndsAt: Date,
  now: Date,
  term: TermChoice | undefined,
): UpgradeQuote;
export function quoteUpgrade(
  catalog: Catalog,
  before: ClusterShape & { term?: LastTerm },
  after: { cuSize: number; replicas: number },
  termEndsAt: Date,
  now: Date,
  term?: TermChoice,
): UpgradeQuote {
  checkSize(catalog, after.cuSize, after.replicas);
  if (after.cuSize < before.cuSize || after.replicas < before.replicas) {
    throw new AppError('INVALID_UPGRADE', 'an upgrade can only raise the CU size and the replica count', {
      before: { cuSize: before.cuSize, replicas: before.replicas },
      requested: after,
    });
  }
  const addedCu = after.cuSize * after.replicas - before.cuSize * before.replicas;
  if (addedCu <= 0) {
    throw new AppError('INVALID_UPGRADE', 'the upgrade changes nothing', {
      before: { cuSize: before.cuSize, replicas: before.replicas },
      requested: after,
    });
  }
  const cuType = findCuType(catalog, before.region, before.cuType);
  const days = remainingDays(termEndsAt, now);
  if (days === 0) throw new AppError('CLUSTER_NOT_READY', 'the cluster term has ended');
  if (term !== undefined) return quoteUpgradeAndExtend(catalog, before, after, cuType, days, term);
  const discountPercent = upgradeDiscountPercent(catalog, days);
  const hours = days * 24;
  const cuHours = BigInt(addedCu) * BigInt(hours);
  const list = cuHours * BigInt(cuType.pricePerCuHour);
  const amount = roundHalfUp(list * BigInt(discountPercent), 100n);
  return {
    type: 'upgrade',
    currency: catalog.currency,
    amount: toSafeNumber(amount),
    listAmount: toSafeNumber(list),
    discountAmount: toSafeNumber(list - amount),
    pricePerCuHour: cuType.pricePerCuHour,
    remainingDays: days,
    hours,
    discountPercent,
    addedCu,
    cuHours: toSafeNumber(cuHours),
  };
}

function quoteUpgradeAndExtend(
  catalog: Catalog,
  before: ClusterShape & { term?: LastTerm },
  after: { cuSize: number; replicas: number },
  cuType: CuType,
  days: number,
  term: TermChoice,
): UpgradeQuote {
  if (!before.term)
    throw new TypeError('extending the term needs the term the cluster last bought (before.term)');
  const t = findTerm(catalog, term);
  const lastDiscount = lastTermDiscountPercent(catalog, before.term);
  const price = BigInt(cuType.pricePerCuHour);

  const termHours = termDays(catalog, t) * 24;
  const termCuHours = BigInt(after.cuSize) * BigInt(after.replicas) * BigInt(termHours);
  const termList = termCuHours * price;
  const termExact = termList * BigInt(t.discountPercent); // hundredths of a fen

  const creditHours = days * 24;
  const creditCuHours = BigInt(before.cuSize) * BigInt(before.replicas) * BigInt(creditHours);
  const creditList = creditCuHours * price;
  const creditExact = creditList * BigInt(lastDiscount);

  const amount = roundHalfUp(termExact > creditExact ? termExact - creditExact : 0n, 100n);
  const termAmount = roundHalfUp(termExact, 100n);
  return {
    type: 'upgrade',
    currency: catalog.currency,
    amount: toSafeNumber(amount),
    listAmount: toSafeNumber(termList),
    discountAmount: toSafeNumber(termList - amount),
    pricePerCuHour: cuType.pricePerCuHour,
    remainingDays: days,
    hours: termHours,
    discountPercent: t.discountPercent,
    addedCu: after.cuSize * after.replicas - before.cuSize * before.replicas,
    cuHours: toSafeNumber(termCuHours),
    newTerm: {
      unit: t.unit,
      count: t.count,
      months: termMonths(t),
      hours: termHours,
      cuHours: toSafeNumber(termCuHours),
      listAmount: toSafeNumber(termList),
      discountPercent: t.discountPercent,
      amount: toSafeNumber(termAmount),
    },
    credit: {
      remainingDays: days,
      hours: creditHours,
      cuHours: toSafeNumber(creditCuHours),
      listAmount: toSafeNumber(creditList),
      discountPercent: lastDiscount,
      value: toSafeNumber(roundHalfUp(creditExact, 100n)),
      amount: toSafeNumber(termAmount - amount),
    },
  };
}

/**
 * The discount the remaining time was bought at. A term the catalog no longer offers cannot be valued
 * unless its discount comes with it (from the order that bought it).
 */
function lastTermDiscountPercent(catalog: Catalog, last: LastTerm): number {
  if (last.discountPercent !== undefined) {
    if (!Number.isInteger(last.discountPercent) || last.discountPercent < 0 || last.discountPercent > 100) {
      throw new RangeError(`a discount is a whole percent from 0 to 100, not ${last.discountPercent}`);
    }
    return last.discountPercent;
  }
  const found = catalog.terms.find((t) => t.unit === last.unit && t.count === last.count);
  if (!found) {
    throw new AppError(
      'INVALID_UPGRADE',
      `the term this cluster last bought (${last.count} ${last.unit}) is no longer offered, so its remaining time cannot be credited; upgrade without a new term or renew`,
      { lastTerm: { unit: last.unit, count: last.count } },
    );
  }
  return found.discountPercent;
}

/**
 * SPEC §8: a month of a term is 30 days and a year 12 months (360 days), as in prices. Terms are counted in
 * whole days from an instant, so they never depend on calendars or time zones.
 */
const TERM_DAYS_PER_MONTH = 30;

function addTerm(from: Date, term: { unit: 'month' | 'year'; count: number }): Date {
  if (Number.isNaN(from.getTime())) throw new RangeError('a term starts at a valid instant');
  if (!isPositiveInt(term.count) || (term.unit !== 'month' && term.unit !== 'year')) {
    throw new RangeError(
      `a term is a positive whole number of months or years, not ${term.count} ${term.unit}`,
    );
  }
  return new Date(from.getTime() + termMonths(term) * TERM_DAYS_PER_MONTH * DAY_MS);
}

/** Paying an upgrade that takes a new term: the term runs from the payment (SPEC §8.3). */
export function termEndAfterUpgrade(paidAt: Date, term: { unit: 'month' | 'year'; count: number }): Date {
  return addTerm(paidAt, term);
}

/**
 * Paying a renewal: the term runs on from the old end, also when paid after it (the expired buffer), never
 * from the payment (SPEC §8.2).
 */
export function termEndAfterRenewal(
  oldTermEndsAt: Date,
  term: { unit: 'month' | 'year'; count: number },
): Date {
  return addTerm(oldTermEndsAt, term);
}

/**
 * termDays in SQL, for a statement that starts a term from stored data (the payment of a new purchase): the
 * days of the term whose unit and count are the given expressions. It is built from termDays itself (the
 * days of one month and of one year, times the count), so the rule has one place.
 */
export function termDaysSql(
  catalog: Catalog,
  term: { unit: RawBuilder<unknown>; count: RawBuilder<unknown> },
): RawBuilder<number> {
  const yearDays = termDays(catalog, { unit: 'year', count: 1 });
  const monthDays = termDays(catalog, { unit: 'month', count: 1 });
  return sql<number>`(${term.count})::int * (case when ${term.unit} = 'year' then ${sql.lit(yearDays)} else ${sql.lit(monthDays)} end)`;
}
