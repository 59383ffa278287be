import raw from './catalog.json' with { type: 'json' };

export interface LocalizedName {
  'zh-CN': string;
  'en-US': string;
}
export interface CuType {
  id: string;
  name: LocalizedName;
  /** minor units (fen) per CU-hour */
  pricePerCuHour: number;
}
export interface UsagePrice {
  unit: string;
  /** millionths of a minor unit per unit of usage (storage GB-hour, backup GB-day) */
  microsPerUnit: number;
}
export interface Region {
  id: string;
  name: LocalizedName;
  cuTypes: CuType[];
  usagePrices: { storage: UsagePrice; backup: UsagePrice };
}
export interface Term {
  unit: 'month' | 'year';
  count: number;
  /** the share of list price paid: 70 means 7折 */
  discountPercent: number;
}
export interface Catalog {
  currency: string;
  daysPerMonth: number;
  regions: Region[];
  cuSizes: number[];
  replicas: { min: number; max: number };
  terms: Term[];
  /** for upgrades: the discount that applies to the remaining time, by the largest matching threshold */
  upgradeDiscounts: { minRemainingDays: number; discountPercent: number }[];
}

/** The catalog is data: prices change by editing catalog.json, not code. */
export const defaultCatalog: Catalog = raw as Catalog;

export function termMonths(term: { unit: 'month' | 'year'; count: number }): number {
  return term.unit === 'year' ? term.count * 12 : term.count;
}

/** A term's length in days: the provider's month is 30 days, so a year is 360 days of service. */
export function termDays(catalog: Catalog, term: { unit: 'month' | 'year'; count: number }): number {
  return termMonths(term) * catalog.daysPerMonth;
}
