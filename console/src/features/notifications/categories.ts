import type { NotificationCategory } from '../../../../contract/notifications.js';

/**
 * The categories as the console groups them, in the settings' order. A Record over the contract's type, so a new
 * category fails the type check until it has its place here (and its words in i18n/parts/notifications.ts).
 * The console keeps its own copy of the list rather than importing the contract's values, which would bring
 * its schema library into the bundle.
 */
export const CATEGORY_GROUP = {
  order_created: 'orders',
  order_unpaid: 'orders',
  order_paid: 'orders',
  order_timed_out: 'orders',
  topup_credited: 'finance',
  bill_issued: 'finance',
  bill_unpaid: 'finance',
  bill_overdue: 'finance',
  cluster_expiring: 'clusters',
  cluster_expiring_soon: 'clusters',
  cluster_expired: 'clusters',
  cluster_recycled: 'clusters',
  auto_renew_failed: 'clusters',
  balance_low: 'balance',
  balance_recovered: 'balance',
} as const satisfies Record<NotificationCategory, 'orders' | 'finance' | 'clusters' | 'balance'>;

export type CategoryGroup = (typeof CATEGORY_GROUP)[NotificationCategory];
export const CATEGORY_GROUPS: CategoryGroup[] = ['orders', 'finance', 'clusters', 'balance'];
export const CATEGORIES = Object.keys(CATEGORY_GROUP) as NotificationCategory[];

/**
 * SPEC §9's critical categories, which nobody may mute. The settings page takes the list from the server's
 * answer; this copy marks the critical messages in the list (a unit test compares it with the contract).
 */
const CRITICAL: ReadonlySet<string> = new Set<NotificationCategory>([
  'bill_overdue',
  'cluster_expiring_soon',
  'cluster_expired',
  'cluster_recycled',
  'auto_renew_failed',
  'balance_low',
]);

export const isCriticalCategory = (c: NotificationCategory): boolean => CRITICAL.has(c);
