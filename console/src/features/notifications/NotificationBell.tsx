import { useEffect } from 'react';
import { Link, useLocation } from 'react-router-dom';
import type { MeOrg } from '../../api/types.js';
import { useI18n } from '../../i18n/i18n.js';
import { useNarrow } from '../../lib/responsive.js';
import { refreshUnread, useUnreadCount } from './unread.js';

/** How often the count is asked for while the console is open, besides on navigation and on focus. */
const REFRESH_MS = 60_000;

function BellGlyph() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
      />
    </svg>
  );
}

/**
 * The header's 消息 entry: a link to the 消息 page with the unread count. The count is refreshed on every
 * navigation, when the window regains focus and every minute (the unread-count route is one indexed count);
 * when it cannot be had, the link stays and only the count is hidden. On a phone it is the bell alone.
 */
export function NotificationBell({ org }: { org: MeOrg }) {
  const { t } = useI18n();
  const narrow = useNarrow();
  const { pathname } = useLocation();
  const count = useUnreadCount();

  // biome-ignore lint/correctness/useExhaustiveDependencies: each navigation asks again
  useEffect(() => {
    void refreshUnread();
  }, [pathname]);

  useEffect(() => {
    const onFocus = () => void refreshUnread();
    window.addEventListener('focus', onFocus);
    const timer = setInterval(onFocus, REFRESH_MS);
    return () => {
      window.removeEventListener('focus', onFocus);
      clearInterval(timer);
    };
  }, []);

  const unread = count ?? 0;
  const label = unread > 0 ? t('notifications.bellUnread', { count: unread }) : t('notifications.bell');
  return (
    <Link
      to={`/orgs/${org.id}/notifications`}
      aria-label={label}
      data-testid="notification-bell"
      data-count={count ?? ''}
      style={{
        display: 'inline-flex',
        alignItems: 'center',
        gap: 4,
        padding: narrow ? '4px 6px' : '4px 8px',
        borderRadius: 6,
        color: 'rgba(0,0,0,0.88)',
        whiteSpace: 'nowrap',
        lineHeight: '24px',
      }}
    >
      {narrow ? <BellGlyph /> : <span>{t('notifications.bell')}</span>}
      {unread > 0 && (
        <span
          data-testid="notification-bell-count"
          aria-hidden="true"
          style={{
            minWidth: 18,
            height: 18,
            padding: '0 5px',
            borderRadius: 9,
            background: '#cf1322',
            color: '#fff',
            fontSize: 12,
            lineHeight: '18px',
            textAlign: 'center',
            boxSizing: 'border-box',
          }}
        >
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </Link>
  );
}
