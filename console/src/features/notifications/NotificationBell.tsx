import type { MeOrg } from '../../api/types.js';

/** The header's 消息 entry with the unread count (scaffold: the feature is being built). */
export function NotificationBell(_props: { org: MeOrg }) {
  return null;
}
