/**
 * How much of a usage event is billed: storage per started hour (at least one), backup per started day
 * (at least one). Quantities are GB with at most three decimals, held as integer thousandths.
 */
export const UNIT_MS = { storage: 3_600_000, backup: 86_400_000 } as const;

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
