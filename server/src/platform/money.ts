/**
 * Money is an integer count of the currency's minor unit (fen for CNY) from end to end. Rounding happens
 * once, here, half up, on exact rational values held as bigint.
 */

/** round(numerator / denominator), half up, for non-negative operands. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new Error('denominator must be positive');
  if (numerator < 0n) throw new Error('roundHalfUp expects a non-negative numerator');
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** A bigint amount of minor units as a JS number, refusing anything past 2^53. */
export function toSafeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${v} exceeds the safe integer range`);
  }
  return Number(v);
}

/** Parses a PostgreSQL int8 text value into a safe integer. */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} exceeds the safe integer range`);
  return n;
}

/** ¥1,234.56 style, for documents and logs; the console formats on its own side. */
export function formatMinor(amount: number, currency: string): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const major = Math.floor(abs / 100).toLocaleString('en-US');
  const minor = String(abs % 100).padStart(2, '0');
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  return `${sign}${symbol}${major}.${minor}`;
}
