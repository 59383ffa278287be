import { describe, expect, test } from 'vitest';
import { daysUntil } from '../../lib/time.js';
import { parseTerm, termKey, termMs } from './terms.js';

const DAY = 86_400_000;

describe('terms and the expiry timeline in the console', () => {
  test('a month is 30 days and a year 12 of them: the renewal ends the term after the old end', () => {
    const catalog = { daysPerMonth: 30 };
    expect(termMs(catalog, { unit: 'month', count: 1 })).toBe(30 * DAY);
    expect(termMs(catalog, { unit: 'month', count: 11 })).toBe(330 * DAY);
    expect(termMs(catalog, { unit: 'year', count: 1 })).toBe(360 * DAY);
    expect(termMs(catalog, { unit: 'year', count: 3 })).toBe(1080 * DAY);
    expect(parseTerm(termKey({ unit: 'year', count: 3 }))).toEqual({ unit: 'year', count: 3 });
  });

  test('days left count a started day as one, and never read 0 while the server says it is ahead', () => {
    const end = '2026-12-31T00:00:00.000Z';
    const endMs = new Date(end).getTime();
    expect(daysUntil(end, endMs - 30 * DAY)).toBe(30);
    expect(daysUntil(end, endMs - 30 * DAY + 1)).toBe(30);
    expect(daysUntil(end, endMs - 29 * DAY - 1)).toBe(30);
    expect(daysUntil(end, endMs - 29 * DAY)).toBe(29);
    expect(daysUntil(end, endMs - 1)).toBe(1);
    expect(daysUntil(end, endMs + DAY)).toBe(1);
  });
});
