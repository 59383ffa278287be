const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$' };

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Integer minor units (fen) to "¥1,234.56": integer arithmetic only, so no amount is ever off by a float
 * rounding. Negative amounts read "-¥12.00".
 */
export function formatMoney(minor: number, currency = 'CNY'): string {
  if (!Number.isSafeInteger(minor)) return '—';
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const major = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  return `${sign}${symbol}${group(String(major))}.${cents}`;
}
