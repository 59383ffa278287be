import type {
  Locale,
  LowBalanceSetting,
  NotificationCategory,
  NotificationSettings,
} from '../../../../contract/notifications.js';
import { get, put } from '../../api/client.js';

const org = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}`;

/** The calls of the 设置 page (SPEC §9): the user's own muting and mail language, the org's threshold. */
export const settingsApi = {
  notificationSettings: (signal?: AbortSignal) =>
    get<NotificationSettings>('/v1/me/notification-settings', signal),
  saveNotificationSettings: (muted: NotificationCategory[]) =>
    put<NotificationSettings>('/v1/me/notification-settings', { muted }),
  userSettings: (signal?: AbortSignal) => get<{ locale: Locale }>('/v1/me/settings', signal),
  saveUserSettings: (locale: Locale) => put<{ locale: Locale }>('/v1/me/settings', { locale }),
  lowBalance: (orgId: string, signal?: AbortSignal) =>
    get<LowBalanceSetting>(`${org(orgId)}/settings/low-balance`, signal),
  saveLowBalance: (orgId: string, threshold: number) =>
    put<LowBalanceSetting>(`${org(orgId)}/settings/low-balance`, { threshold }),
};
