import { z } from 'zod';
import { Currency } from './enums.js';

/**
 * Notifications (SPEC §9): the categories of 站内信 and mail, the request bodies of the settings, and the
 * response schemas of the notification routes by "METHOD url" (contract/responses.ts merges them into
 * responseOf). The console reads the categories from here.
 */

/**
 * One category per row of SPEC §9's table (the expiry reminders split: `cluster_expiring` at T − 30 and
 * − 7 days, `cluster_expiring_soon` at − 3 and − 1 day). `bill_unpaid` is the daily reminder of an unpaid bill
 * (SPEC §10.3), sent by the finance work; `balance_recovered` ends a low-balance episode.
 */
export const NOTIFICATION_CATEGORIES = [
  'order_created',
  'order_unpaid',
  'order_paid',
  'order_timed_out',
  'topup_credited',
  'bill_issued',
  'bill_unpaid',
  'bill_overdue',
  'cluster_expiring',
  'cluster_expiring_soon',
  'cluster_expired',
  'cluster_recycled',
  'auto_renew_failed',
  'balance_low',
  'balance_recovered',
] as const;
export const NotificationCategory = z.enum(NOTIFICATION_CATEGORIES);
export type NotificationCategory = z.infer<typeof NotificationCategory>;

/**
 * The critical categories (SPEC §9): balance low, expiry in 3 days or less (and the expiry and recycle
 * themselves), overdue, auto-renew failed. Nobody may mute them.
 */
export const CRITICAL_CATEGORIES = [
  'bill_overdue',
  'cluster_expiring_soon',
  'cluster_expired',
  'cluster_recycled',
  'auto_renew_failed',
  'balance_low',
] as const satisfies readonly NotificationCategory[];

export const isCritical = (c: string): boolean => (CRITICAL_CATEGORIES as readonly string[]).includes(c);

/** The languages of mail; zh-CN is the default. */
export const LOCALES = ['zh-CN', 'en'] as const;
export const Locale = z.enum(LOCALES);
export type Locale = z.infer<typeof Locale>;

/** PUT /v1/me/notification-settings: the categories to mute (critical ones are refused). */
export const NotificationSettingsBody = z.strictObject({
  muted: z.array(NotificationCategory).max(NOTIFICATION_CATEGORIES.length),
});
/** PUT /v1/me/settings: the user's language for mail. */
export const UserSettingsBody = z.strictObject({ locale: Locale });
/** PUT /v1/orgs/{orgId}/settings/low-balance: the threshold in fen; cash strictly below it is low. */
export const LowBalanceBody = z.strictObject({
  threshold: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
/** GET /v1/internal/mail filters. */
export const MailListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  to: z.string().min(1).max(320).optional(),
});

const Instant = z.iso.datetime();
const Count = z.number().int().nonnegative();
const Page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });

/** One 站内信: `link` is the console's path of what it is about. */
export const Notification = z.strictObject({
  id: z.string(),
  orgId: z.string(),
  category: NotificationCategory,
  title: z.string(),
  body: z.string(),
  link: z.string(),
  createdAt: Instant,
  readAt: Instant.nullable(),
});
export type Notification = z.infer<typeof Notification>;

export const NotificationSettings = z.strictObject({
  muted: z.array(NotificationCategory),
  /** what may not be muted */
  critical: z.array(NotificationCategory),
});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

export const UserSettings = z.strictObject({ locale: Locale });

export const LowBalanceSetting = z.strictObject({ threshold: Count, currency: Currency });
export type LowBalanceSetting = z.infer<typeof LowBalanceSetting>;

/** A mail as the operator reads it (GET /v1/internal/mail). */
export const Mail = z.strictObject({
  id: z.string(),
  orgId: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  category: NotificationCategory,
  locale: Locale,
  /** pending: to send (retried with backoff); sent; failed: gave up (retry it); kept: no SMTP configured */
  status: z.enum(['pending', 'sent', 'failed', 'kept']),
  attempts: Count,
  lastError: z.string().nullable(),
  createdAt: Instant,
  sentAt: Instant.nullable(),
});
export type Mail = z.infer<typeof Mail>;

export const notificationResponses = {
  'GET /v1/me/notifications': Page(Notification),
  'GET /v1/me/notifications/unread-count': z.strictObject({ count: Count }),
  'POST /v1/me/notifications/:id/read': Notification,
  'POST /v1/me/notifications/read-all': z.strictObject({ count: Count }),
  'GET /v1/me/notification-settings': NotificationSettings,
  'PUT /v1/me/notification-settings': NotificationSettings,
  'GET /v1/me/settings': UserSettings,
  'PUT /v1/me/settings': UserSettings,
  'GET /v1/orgs/:orgId/settings/low-balance': LowBalanceSetting,
  'PUT /v1/orgs/:orgId/settings/low-balance': LowBalanceSetting,
  'GET /v1/internal/mail': Page(Mail),
  'POST /v1/internal/mail/:id/retry': Mail,
} satisfies Record<string, z.ZodType>;
