import { describe, expect, test } from 'vitest';
import { deadlineOf, effective } from './deadline.js';

const order = (cancelsAt: string | null) => ({
  status: 'unpaid' as const,
  expiresAt: '2026-12-09T10:00:00.000Z',
  cancelsAt,
  availableActions: ['pay' as const, 'cancel' as const, 'download' as const],
});
const at = (iso: string) => new Date(iso).getTime();

describe('the deadline of an unpaid order', () => {
  test('is the payment deadline, or the earlier instant the system cancels it', () => {
    expect(deadlineOf(order(null))).toEqual({ at: '2026-12-09T10:00:00.000Z', by: 'timeout' });
    expect(deadlineOf(order('2026-12-05T00:00:00.000Z'))).toEqual({
      at: '2026-12-05T00:00:00.000Z',
      by: 'system',
    });
    // a cancellation after the payment deadline never comes: the order times out first
    expect(deadlineOf(order('2026-12-10T00:00:00.000Z')).by).toBe('timeout');
  });

  test('once passed, the order reads timed out, or cancelled by the system, with only 下载 left', () => {
    const o = order('2026-12-05T00:00:00.000Z');
    expect(effective(o, at('2026-12-04T23:59:59.999Z'))).toEqual({
      status: 'unpaid',
      actions: o.availableActions,
    });
    expect(effective(o, at('2026-12-05T00:00:00.000Z'))).toEqual({
      status: 'cancelled',
      actions: ['download'],
    });
    expect(effective(order(null), at('2026-12-09T10:00:00.000Z'))).toEqual({
      status: 'timed_out',
      actions: ['download'],
    });
    // a final order is shown as the server says
    expect(effective({ ...o, status: 'paid' }, at('2027-01-01T00:00:00.000Z')).status).toBe('paid');
  });
});
