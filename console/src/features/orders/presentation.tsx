import { Tag } from 'antd';
import type { Order, OrderStatus, Term } from '../../api/types.js';
import type { T } from '../../i18n/i18n.js';
import { useI18n } from '../../i18n/i18n.js';
import { remaining } from '../../lib/time.js';
import { useNow } from '../../lib/useNow.js';
import { deadlineOf } from './deadline.js';

const STATUS_COLORS: Record<OrderStatus, string> = {
  unpaid: 'orange',
  paid: 'green',
  cancelled: 'default',
  timed_out: 'default',
};

export function StatusTag({ status }: { status: OrderStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status]} data-testid="order-status" style={{ marginInlineEnd: 0 }}>
      {t(`order.status.${status}`)}
    </Tag>
  );
}

export function formatDuration(t: T, ms: number, nowMs = 0): string {
  const r = remaining(new Date(nowMs + ms).toISOString(), nowMs);
  if (r.days > 0) return t('time.dhm', { d: r.days, h: r.hours, m: r.minutes });
  if (r.hours > 0) return t('time.hms', { h: r.hours, m: r.minutes, s: r.seconds });
  return t('time.ms', { m: r.minutes, s: r.seconds });
}

/** The time left to pay (until the earlier of the payment deadline and the system's cancellation), every second. */
export function Countdown({ order }: { order: Pick<Order, 'expiresAt' | 'cancelsAt'> }) {
  const { t } = useI18n();
  const nowMs = useNow();
  const ms = Math.max(0, new Date(deadlineOf(order).at).getTime() - nowMs);
  return (
    <span className="tally-countdown" data-testid="time-left">
      {t('orders.timeLeft', { time: formatDuration(t, ms) })}
    </span>
  );
}

/** Who made the order: a user, or the system (an auto-renew order). */
export function createdByLabel(t: T, order: Pick<Order, 'createdBy'>): string {
  return order.createdBy ? t('detail.by.user', { id: order.createdBy }) : t('orders.createdBySystem');
}

export function termLabel(t: T, term: Term | undefined): string {
  if (!term) return '—';
  return t(term.unit === 'year' ? 'term.year' : 'term.month', { n: term.count });
}

/** 70 → "7折" / "30% off"; 100 → list price. */
export function discountLabel(t: T, percent: number | undefined): string {
  if (percent === undefined || percent >= 100) return t('discount.none');
  return t('discount.zhe', { zhe: percent / 10, off: 100 - percent });
}
