/**
 * A money input in yuan ("100", "100.5", "1,000.50") to integer fen, by string and integer arithmetic only
 * (no float ever holds the amount): `invalid` for anything that is not a non-negative amount with at most two
 * decimals, `tooLarge` past what the API accepts (a safe integer of fen).
 */
export type YuanParse = { ok: true; fen: number } | { ok: false; reason: 'invalid' | 'tooLarge' };

export function parseYuan(input: string): YuanParse {
  const s = input
    .trim()
    .replace(/[,\uFF0C\s]/g, '')
    .replace(/^[\u00A5\uFFE5]/, '');
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return { ok: false, reason: 'invalid' };
  const yuan = (m[1] ?? '0').replace(/^0+(?=\d)/, '');
  const cents = (m[2] ?? '').padEnd(2, '0');
  const digits = `${yuan}${cents}`.replace(/^0+(?=\d)/, '');
  // 16 digits can exceed 2^53 − 1 (9,007,199,254,740,991): compare as strings before converting
  if (digits.length > 16) return { ok: false, reason: 'tooLarge' };
  const fen = Number(digits);
  if (!Number.isSafeInteger(fen)) return { ok: false, reason: 'tooLarge' };
  return { ok: true, fen };
}

/** Integer fen as the input shows it: "100.00" (no grouping, no currency sign). */
export function fenToYuanInput(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) return '';
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}
