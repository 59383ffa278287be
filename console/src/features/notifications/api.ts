import type { Notification } from '../../../../contract/notifications.js';
import { get, post, qs } from '../../api/client.js';
import type { Page } from '../../api/types.js';

/** The calls of the 消息 page and the header's count (SPEC §9): the signed-in user's own 站内信. */
export const notificationsApi = {
  list: (cursor: string | undefined, signal?: AbortSignal) =>
    get<Page<Notification>>(`/v1/me/notifications${qs({ limit: 20, cursor })}`, signal),
  unreadCount: (signal?: AbortSignal) => get<{ count: number }>('/v1/me/notifications/unread-count', signal),
  markRead: (id: string) => post<Notification>(`/v1/me/notifications/${encodeURIComponent(id)}/read`),
  markAllRead: () => post<{ count: number }>('/v1/me/notifications/read-all'),
};
