import { describe, expect, test } from 'vitest';
import { addDays, formatInstant, remaining, startOfDayInZone, ymdToInstant } from './time.js';

describe('instants in the org time zone', () => {
  test('formats in the zone, not in the browser zone', () => {
    expect(formatInstant('2026-11-02T16:30:05Z', 'Asia/Shanghai')).toBe(
      '2026-11-03 00:30:05 (Asia/Shanghai)',
    );
    expect(formatInstant('2026-11-02T16:30:05Z', 'UTC')).toBe('2026-11-02 16:30:05 (UTC)');
    expect(formatInstant('2026-11-02T16:30:05Z', 'America/New_York')).toBe(
      '2026-11-02 11:30:05 (America/New_York)',
    );
    expect(formatInstant('2026-11-02T16:30:05Z', 'Asia/Shanghai', { zone: false })).toBe(
      '2026-11-03 00:30:05',
    );
    expect(formatInstant(null, 'UTC')).toBe('—');
  });

  test('a calendar day starts at midnight in the zone', () => {
    expect(startOfDayInZone(2026, 11, 3, 'Asia/Shanghai').toISOString()).toBe('2026-11-02T16:00:00.000Z');
    expect(ymdToInstant('2026-11-03', 'UTC').toISOString()).toBe('2026-11-03T00:00:00.000Z');
    // across a DST change (New York falls back on 2026-11-01)
    expect(ymdToInstant('2026-11-01', 'America/New_York').toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(ymdToInstant('2026-11-02', 'America/New_York').toISOString()).toBe('2026-11-02T05:00:00.000Z');
  });

  test('addDays follows the calendar', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });

  test('time left to pay', () => {
    const now = Date.parse('2026-11-02T08:00:00Z');
    expect(remaining('2026-11-09T08:00:00Z', now)).toMatchObject({
      days: 7,
      hours: 0,
      minutes: 0,
      seconds: 0,
    });
    expect(remaining('2026-11-02T09:01:02Z', now)).toMatchObject({
      days: 0,
      hours: 1,
      minutes: 1,
      seconds: 2,
    });
    expect(remaining('2026-11-01T00:00:00Z', now).totalMs).toBe(0);
  });
});
