/**
 * How much of a usage event is billed: storage per started hour (at least one), backup per started day
 * (at least one). Quantities are GB with at most three decimals, held as integer thousandths.
 */
export const UNIT_MS = { storage: 3_600_000, backup: 86_400_000 } as const;

/**
 * Bounds on one usage event (SPEC §11), checked at ingest. With them one event is at most 10^10 milli-GB ×
 * 744 hours, so its units fit an integer and its price a bigint many times over; bills sum in numeric anyway.
 * - span: at most 31 days (a meter reports at least monthly);
 * - end: at most 1 hour after now (clock skew between meters and Tally);
 * - start: at most 366 days before now (a year of late usage; older is a meter bug, not usage to bill);
 * - quantity: at most 10,000,000 GB (10 PB) per event, far above any cluster size sold.
 */
export const MAX_EVENT_SPAN_MS = 31 * 86_400_000;
export const MAX_FUTURE_END_MS = 3_600_000;
export const MAX_PAST_START_MS = 366 * 86_400_000;
export const MAX_QUANTITY_GB = 10_000_000;
/** The same bounds in the units stored on usage_events: what bills count (older rows outside them are skipped). */
export const MAX_QUANTITY_MILLI = MAX_QUANTITY_GB * 1000;
export const MAX_UNITS = { storage: 31 * 24, backup: 31 } as const;

export function billableUnits(metric: 'storage' | 'backup', start: Date, end: Date): number {
  const span = end.getTime() - start.getTime();
  return Math.max(1, Math.ceil(span / UNIT_MS[metric]));
}

/** GB → thousandths of a GB, exactly, or undefined when the number has more than three decimals. */
export function toMilli(quantity: number): number | undefined {
  const milli = Math.round(quantity * 1000);
  if (Math.abs(milli - quantity * 1000) > 1e-6 * Math.max(1, Math.abs(quantity))) return undefined;
  return milli;
}
