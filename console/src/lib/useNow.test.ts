import { afterEach, describe, expect, test, vi } from 'vitest';
import { effective } from '../features/orders/deadline.js';
import {
  nextOffset,
  observeServerClock,
  resetServerClock,
  serverClockOf,
  serverNow,
  serverOffset,
} from './useNow.js';

const H = 3_600_000;
const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });

describe('the offset between the server clock and the browser clock', () => {
  test('the first sample sets it, measured at the middle of the round trip', () => {
    // browser 3 hours behind: sent at 1000, answered at 1400, the server stamped 3 h + 1200
    expect(nextOffset(undefined, { serverMs: 3 * H + 1200, sentMs: 1000, receivedMs: 1400 })).toBe(3 * H);
    // browser 3 hours ahead
    expect(nextOffset(undefined, { serverMs: 5000, sentMs: 3 * H + 4900, receivedMs: 3 * H + 5100 })).toBe(
      -3 * H,
    );
  });

  test('network jitter within the tolerance keeps the offset; a real change replaces it at once', () => {
    const current = 3 * H;
    expect(nextOffset(current, { serverMs: 3 * H + 10_400, sentMs: 10_000, receivedMs: 10_200 })).toBe(
      current,
    );
    expect(nextOffset(current, { serverMs: 3 * H + 10_000 - 900, sentMs: 10_000, receivedMs: 10_000 })).toBe(
      current,
    );
    // the server's clock moved 2 days (the test clock), or the browser's was corrected
    expect(
      nextOffset(current, { serverMs: 3 * H + 2 * 24 * H + 10_000, sentMs: 10_000, receivedMs: 10_000 }),
    ).toBe(3 * H + 2 * 24 * H);
    expect(nextOffset(current, { serverMs: 10_000, sentMs: 10_000, receivedMs: 10_000 })).toBe(0);
  });

  test('a Date header (whole seconds) counts only beyond its own resolution', () => {
    // the true server time is somewhere in [serverMs, serverMs + 1000): half a second is added
    expect(
      nextOffset(undefined, { serverMs: 60_000, sentMs: 60_000, receivedMs: 60_000, precisionMs: 1000 }),
    ).toBe(500);
    expect(nextOffset(0, { serverMs: 61_000, sentMs: 60_000, receivedMs: 60_000, precisionMs: 1000 })).toBe(
      0,
    );
    expect(nextOffset(0, { serverMs: 63_000, sentMs: 60_000, receivedMs: 60_000, precisionMs: 1000 })).toBe(
      3500,
    );
  });

  test('garbage never moves it', () => {
    expect(nextOffset(42, { serverMs: Number.NaN, sentMs: 0, receivedMs: 0 })).toBe(42);
    expect(nextOffset(undefined, { serverMs: Number.NaN, sentMs: 0, receivedMs: 0 })).toBe(0);
  });
});

describe('the server clock from an answer’s headers', () => {
  test('x-server-time (ms) wins over Date (s); neither gives nothing', () => {
    expect(
      serverClockOf(
        headers({ 'x-server-time': '2026-11-02T08:00:00.250Z', date: 'Mon, 02 Nov 2026 05:00:00 GMT' }),
      ),
    ).toEqual({ serverMs: Date.parse('2026-11-02T08:00:00.250Z'), precisionMs: 0 });
    expect(serverClockOf(headers({ date: 'Mon, 02 Nov 2026 05:00:00 GMT' }))).toEqual({
      serverMs: Date.parse('2026-11-02T05:00:00Z'),
      precisionMs: 1000,
    });
    expect(serverClockOf(headers({ 'x-server-time': 'soon' }))).toBeUndefined();
    expect(serverClockOf(headers({}))).toBeUndefined();
  });
});

describe('serverNow and the payment deadline on a wrong browser clock', () => {
  afterEach(() => {
    vi.useRealTimers();
    resetServerClock();
  });

  test('a browser 3 hours fast still has 支付 before the deadline, and loses it after', () => {
    const serverAt = Date.parse('2026-11-02T08:00:00Z');
    vi.useFakeTimers();
    vi.setSystemTime(serverAt + 3 * H); // the browser's clock is 3 hours ahead
    const order = {
      status: 'unpaid' as const,
      expiresAt: '2026-11-02T09:00:00Z', // 1 hour left on the server's clock
      cancelsAt: null,
      availableActions: ['pay' as const, 'cancel' as const, 'download' as const],
    };
    // on the browser's own clock the order would look timed out already
    expect(effective(order, Date.now()).status).toBe('timed_out');
    observeServerClock({ serverMs: serverAt, sentMs: Date.now() - 100, receivedMs: Date.now() + 100 });
    expect(serverOffset()).toBe(-3 * H);
    expect(serverNow()).toBe(serverAt);
    expect(effective(order, serverNow())).toEqual({ status: 'unpaid', actions: order.availableActions });
    vi.advanceTimersByTime(H - 1000);
    expect(effective(order, serverNow()).actions).toContain('pay');
    vi.advanceTimersByTime(1000);
    expect(effective(order, serverNow())).toEqual({ status: 'timed_out', actions: ['download'] });
  });
});
