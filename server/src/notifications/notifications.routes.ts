import { z } from 'zod';
import { ListQuery } from '../../../contract/api.js';
import { Currency } from '../../../contract/enums.js';
import {
  isCritical,
  LowBalanceBody,
  type LowBalanceSetting,
  MailListQuery,
  NotificationSettingsBody,
  UserSettingsBody,
} from '../../../contract/notifications.js';
import { authorizeOrg } from '../access/policy.js';
import type { Queryable } from '../db/schema.js';
import type { UserPrincipal } from '../http/principal.js';
import { defineRoute, Id, type RouteSpec } from '../http/route.js';
import { AppError } from '../platform/errors.js';
import {
  countUnread,
  listMails,
  listNotifications,
  markAllRead,
  markRead,
  presentMail,
  presentNotification,
  readLocale,
  readLowBalanceSetting,
  readNotificationSettings,
  retryMail,
  writeLocale,
  writeLowBalanceThreshold,
  writeNotificationSettings,
} from './notifications.repository.js';

const OrgParams = z.object({ orgId: Id });
const IdParams = z.object({ id: Id });

/** The orgs whose 站内信 the caller reads: an API key acts in its one org, a session in all of the user's. */
const orgsOf = (p: UserPrincipal) => [...p.orgs.keys()];

/** 站内信, the operator's mail box and notification settings (SPEC §9). */
export const notificationRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    url: '/v1/me/notifications',
    summary: '站内信: the caller’s messages, unread first, then newest first',
    tags: ['notifications'],
    auth: 'user',
    query: ListQuery,
    handler: async ({ deps, principal, query }) => ({
      body: await listNotifications(deps.db, principal.id, orgsOf(principal), query),
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/me/notifications/unread-count',
    summary: 'How many of the caller’s 站内信 are unread (the console’s header)',
    tags: ['notifications'],
    auth: 'user',
    handler: async ({ deps, principal }) => ({
      body: { count: await countUnread(deps.db, principal.id, orgsOf(principal)) },
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/me/notifications/:id/read',
    summary: 'Marks one of the caller’s 站内信 read (another user’s is not found)',
    tags: ['notifications'],
    auth: 'user',
    params: IdParams,
    handler: async ({ principal, params, now }, tx) => {
      const n = await markRead(tx, principal.id, orgsOf(principal), params.id, now);
      if (!n) throw new AppError('NOT_FOUND', 'notification not found');
      return { body: presentNotification(n) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/me/notifications/read-all',
    summary: 'Marks all of the caller’s 站内信 read; answers how many were unread',
    tags: ['notifications'],
    auth: 'user',
    handler: async ({ principal, now }, tx) => ({
      body: { count: await markAllRead(tx, principal.id, orgsOf(principal), now) },
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/me/notification-settings',
    summary: 'The categories the caller muted, and those that cannot be muted',
    tags: ['notifications'],
    auth: 'user',
    handler: async ({ deps, principal }) => ({ body: await readNotificationSettings(deps.db, principal.id) }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/me/notification-settings',
    summary:
      'Mutes categories for the caller (no 站内信 and no mail); critical ones (balance low, expiry in 3 days or less, overdue, auto-renew failed) are refused',
    tags: ['notifications'],
    auth: 'user',
    body: NotificationSettingsBody,
    handler: async ({ principal, body, now }, tx) => {
      const critical = body.muted.filter(isCritical);
      if (critical.length > 0) {
        throw new AppError('VALIDATION_FAILED', `muted: ${critical.join(', ')} cannot be muted`, {
          in: 'body',
          issues: critical.map((c) => ({
            field: `muted[${body.muted.indexOf(c)}]`,
            message: `${c} is critical and cannot be muted`,
          })),
        });
      }
      await writeNotificationSettings(tx, principal.id, body.muted, now);
      return { body: await readNotificationSettings(tx, principal.id) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/me/settings',
    summary: 'The caller’s language for mail (zh-CN or en)',
    tags: ['notifications'],
    auth: 'user',
    handler: async ({ deps, principal }) => ({ body: { locale: await readLocale(deps.db, principal.id) } }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/me/settings',
    summary: 'Sets the caller’s language for mail',
    tags: ['notifications'],
    auth: 'user',
    body: UserSettingsBody,
    handler: async ({ principal, body }, tx) => {
      await writeLocale(tx, principal.id, body.locale);
      return { body: { locale: await readLocale(tx, principal.id) } };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/orgs/:orgId/settings/low-balance',
    summary: 'The org’s low-balance threshold in fen (cash strictly below it is low; default ¥100.00)',
    tags: ['notifications'],
    auth: 'user',
    params: OrgParams,
    handler: async ({ deps, principal, params }) => {
      authorizeOrg(principal, params.orgId, 'lowbalance.read');
      return { body: await lowBalanceSetting(deps.db, params.orgId) };
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/orgs/:orgId/settings/low-balance',
    summary: 'Sets the org’s low-balance threshold (Org Admin, Org Billing Admin)',
    tags: ['notifications'],
    auth: 'user',
    params: OrgParams,
    body: LowBalanceBody,
    handler: async ({ principal, params, body }, tx) => {
      // The two admin roles that are told of a low balance set its threshold (SPEC §9, "org-configurable by
      // admins").
      authorizeOrg(principal, params.orgId, 'lowbalance.set');
      await writeLowBalanceThreshold(tx, params.orgId, body.threshold);
      return { body: await lowBalanceSetting(tx, params.orgId) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/internal/mail',
    summary: 'Every mail, newest first, with its delivery status (the operator’s mail box); ?to= filters',
    tags: ['internal'],
    auth: 'operator',
    query: MailListQuery,
    handler: async ({ deps, query }) => ({ body: await listMails(deps.db, query) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/mail/:id/retry',
    summary: 'Sends a mail again from the next run of the notification job, with a fresh count of attempts',
    tags: ['internal'],
    auth: 'operator',
    params: IdParams,
    handler: async ({ deps, params, now }, tx) => {
      const m = await retryMail(tx, params.id, now, deps.config.smtpUrl !== undefined);
      if (!m) throw new AppError('NOT_FOUND', 'mail not found');
      return { body: presentMail(m) };
    },
  }),
];

async function lowBalanceSetting(db: Queryable, orgId: string): Promise<LowBalanceSetting> {
  const s = await readLowBalanceSetting(db, orgId);
  if (!s) throw new AppError('NOT_FOUND', 'organization not found');
  return { threshold: s.low_balance_threshold, currency: Currency.parse(s.currency) };
}
