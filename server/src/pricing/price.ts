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
export function quotePurchase(
  catalog: Catalog,
  shape: ClusterShape,
  term: { unit: string; count: number },
): PurchaseQuote {
  checkSize(catalog, shape.cuSize, shape.replicas);
  const cuType = findCuType(catalog, shape.region, shape.cuType);
  const t = findTerm(catalog, term);
  const hours = termDays(catalog, t) * 24;
  const cuHours = BigInt(shape.cuSize) * BigInt(shape.replicas) * BigInt(hours);
  const list = cuHours * BigInt(cuType.pricePerCuHour);
  const amount = roundHalfUp(list * BigInt(t.discountPercent), 100n);
  return {
    type: 'new_purchase',
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
 * Upgrade (settled by day) = (new cuSize × new replicas − old cuSize × old replicas) × hourly × 24 ×
 * remaining days × the discount of the remaining time. Upgrades only go up.
 */
export function quoteUpgrade(
  catalog: Catalog,
  before: ClusterShape,
  after: { cuSize: number; replicas: number },
  termEndsAt: Date,
  now: Date,
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
