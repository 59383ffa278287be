import { describe, expect, test } from 'vitest';
import { fenToYuanInput, parseYuan } from './yuan.js';

describe('a yuan amount typed into the threshold input', () => {
  test('becomes integer fen', () => {
    expect(parseYuan('100')).toEqual({ ok: true, fen: 10_000 });
    expect(parseYuan('100.5')).toEqual({ ok: true, fen: 10_050 });
    expect(parseYuan('200.50')).toEqual({ ok: true, fen: 20_050 });
    expect(parseYuan(' 1,234.56 ')).toEqual({ ok: true, fen: 123_456 });
    expect(parseYuan('¥0.01')).toEqual({ ok: true, fen: 1 });
    expect(parseYuan('0')).toEqual({ ok: true, fen: 0 });
    expect(parseYuan('007.')).toEqual({ ok: true, fen: 700 });
    // a float would make 0.29 × 100 = 28.999…; the digits give 29
    expect(parseYuan('0.29')).toEqual({ ok: true, fen: 29 });
    expect(parseYuan('90071992547409.91')).toEqual({ ok: true, fen: Number.MAX_SAFE_INTEGER });
  });

  test('refuses what is not a non-negative amount with at most two decimals', () => {
    for (const s of ['', ' ', '-1', '1.234', 'abc', '1e3', '1.2.3', '.5', 'NaN', 'Infinity'])
      expect(parseYuan(s), s).toEqual({ ok: false, reason: 'invalid' });
    expect(parseYuan('90071992547409.92')).toEqual({ ok: false, reason: 'tooLarge' });
    expect(parseYuan('99999999999999999')).toEqual({ ok: false, reason: 'tooLarge' });
  });

  test('fen show as the input’s text', () => {
    expect(fenToYuanInput(10_000)).toBe('100.00');
    expect(fenToYuanInput(20_050)).toBe('200.50');
    expect(fenToYuanInput(7)).toBe('0.07');
    expect(fenToYuanInput(0)).toBe('0.00');
  });
});
