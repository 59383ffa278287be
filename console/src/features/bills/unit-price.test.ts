import { describe, expect, test } from 'vitest';
import { unitPrice } from './unit-price.js';

describe('unitPrice', () => {
  test('millionths of a fen as exact yuan per unit', () => {
    expect(unitPrice(417, 'GB-hour')).toBe('¥0.00000417/GB-hour');
    expect(unitPrice(100_000_000, 'GB-day')).toBe('¥1/GB-day');
    expect(unitPrice(123_450_000_000, 'GB-day')).toBe('¥1234.5/GB-day');
    expect(unitPrice(1, 'GB-hour')).toBe('¥0.00000001/GB-hour');
  });

  test('no price for a line without one', () => {
    expect(unitPrice(null, 'GB-hour')).toBe('');
  });
});
