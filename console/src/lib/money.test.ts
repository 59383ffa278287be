import { describe, expect, test } from 'vitest';
import { formatMoney } from './money.js';

describe('formatMoney (integer fen → ¥ with thousands separators and two decimals)', () => {
  test.each([
    [0, '¥0.00'],
    [1, '¥0.01'],
    [90_000, '¥900.00'],
    [756_000, '¥7,560.00'],
    [123_456_789, '¥1,234,567.89'],
    [500_000_000_00, '¥500,000,000.00'],
    [-1_200, '-¥12.00'],
    [Number.MAX_SAFE_INTEGER, '¥90,071,992,547,409.91'],
  ])('%d fen reads %s', (fen, text) => {
    expect(formatMoney(fen)).toBe(text);
  });

  test('never goes through floating point: every amount round-trips', () => {
    for (let fen = 0; fen < 100_000; fen += 7) {
      const text = formatMoney(fen).replace(/[¥,]/g, '');
      const [yuan, cents] = text.split('.');
      expect(Number(yuan) * 100 + Number(cents)).toBe(fen);
    }
  });

  test('a non-integer is not shown as money', () => {
    expect(formatMoney(1.5)).toBe('—');
  });
});
