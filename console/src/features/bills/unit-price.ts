/**
 * A usage line's unit price, given in millionths of a fen: 417 per GB-hour → "¥0.00000417/GB-hour" (exact,
 * from integers, never through a float).
 */
export function unitPrice(micros: number | null, unit: string | null): string {
  if (micros === null) return '';
  const s = String(micros).padStart(9, '0');
  const y = `${s.slice(0, -8)}.${s.slice(-8)}`.replace(/^0+(?=\d)/, '').replace(/\.?0+$/, '');
  return `¥${y}/${unit ?? ''}`;
}
