import { Alert, Button, Empty, Flex, Spin, Tag, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import type { Notification } from '../../../../contract/notifications.js';
import { useOrg } from '../../app/org.js';
import { useMe } from '../../app/session.js';
import { Panel } from '../../components/Panel.js';
import { toast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatInstant } from '../../lib/time.js';
import { notificationsApi } from './api.js';
import { isCriticalCategory } from './categories.js';
import { unreadChanged, useUnreadCount } from './unread.js';

interface ListState {
  items: Notification[];
  nextCursor: string | null;
}

/** One message: unread ones are marked (tag, tint, bold title); 查看 opens what it is about and marks it read. */
function Item({
  n,
  busy,
  onMarkRead,
}: {
  n: Notification;
  busy: boolean;
  onMarkRead(n: Notification, focusAfter: HTMLElement | null): void;
}) {
  const { t } = useI18n();
  const { org } = useOrg();
  const me = useMe();
  const ref = useRef<HTMLLIElement>(null);
  const unread = n.readAt === null;
  // A message is shown in its own org's zone (a session reads the messages of all the user's orgs).
  const itsOrg = me.orgs.find((o) => o.id === n.orgId);
  const zone = itsOrg?.timeZone ?? org.timeZone;
  return (
    <li
      ref={ref}
      tabIndex={-1}
      data-testid={`notification-${n.id}`}
      data-unread={unread ? 'true' : 'false'}
      style={{
        listStyle: 'none',
        padding: '12px 16px',
        borderRadius: 8,
        border: '1px solid #f0f0f0',
        borderLeft: unread ? '4px solid #1677ff' : '1px solid #f0f0f0',
        background: unread ? '#f0f7ff' : '#fff',
        marginBottom: 8,
        outlineOffset: 2,
      }}
    >
      <Flex justify="space-between" align="center" wrap gap={8}>
        <Flex wrap gap={4} align="center">
          {unread && (
            <Tag color="blue" data-testid="notification-unread">
              {t('notifications.unread')}
            </Tag>
          )}
          <Tag data-testid="notification-category">{t(`notifications.category.${n.category}`)}</Tag>
          {isCriticalCategory(n.category) && <Tag color="red">{t('notifications.critical')}</Tag>}
          {itsOrg && itsOrg.id !== org.id && <Tag>{t('notifications.org', { org: itsOrg.name })}</Tag>}
        </Flex>
        <Typography.Text type="secondary" data-testid="notification-time" style={{ fontSize: 12 }}>
          {formatInstant(n.createdAt, zone)}
        </Typography.Text>
      </Flex>
      <div
        data-testid="notification-title"
        style={{ marginTop: 6, fontWeight: unread ? 600 : 400, overflowWrap: 'anywhere' }}
      >
        {n.title}
      </div>
      {n.body && (
        <Typography.Paragraph
          type="secondary"
          style={{ margin: '4px 0 0', whiteSpace: 'pre-line', overflowWrap: 'anywhere' }}
        >
          {n.body}
        </Typography.Paragraph>
      )}
      <Flex gap={8} wrap style={{ marginTop: 8 }}>
        {n.link.startsWith('/') && (
          <Link
            to={n.link}
            aria-label={t('notifications.viewOf', { title: n.title })}
            onClick={() => unread && onMarkRead(n, null)}
            data-testid="notification-view"
          >
            {t('notifications.view')}
          </Link>
        )}
        {unread && (
          <Button
            size="small"
            loading={busy}
            disabled={busy}
            aria-label={t('notifications.markReadOf', { title: n.title })}
            onClick={() => onMarkRead(n, ref.current)}
            data-testid="notification-mark-read"
          >
            {t('notifications.markRead')}
          </Button>
        )}
      </Flex>
    </li>
  );
}

/**
 * 消息: the signed-in user's 站内信, unread first then newest, 20 at a time with 加载更多; each can be marked
 * read, or all at once. The header's count follows every change (unread.ts).
 */
export function NotificationsPage() {
  const { t, errorText } = useI18n();
  const [list, setList] = useState<ListState>();
  const [loadError, setLoadError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [actionError, setActionError] = useState<unknown>();
  const [busyIds, setBusyIds] = useState<ReadonlySet<string>>(new Set());
  const [allBusy, setAllBusy] = useState(false);
  const unreadCount = useUnreadCount();
  const listRef = useRef<HTMLUListElement>(null);
  const moreAbort = useRef<AbortController | null>(null);

  /** The first page (again, after 重试); later pages are appended by 加载更多. */
  const loadFirst = useCallback((signal?: AbortSignal) => {
    setLoading(true);
    setLoadError(undefined);
    notificationsApi.list(undefined, signal).then(
      (page) => {
        if (signal?.aborted) return;
        setList(page);
        setLoading(false);
      },
      (e) => {
        if (signal?.aborted) return;
        setLoadError(e);
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    const ctrl = new AbortController();
    loadFirst(ctrl.signal);
    return () => {
      ctrl.abort();
      moreAbort.current?.abort();
    };
  }, [loadFirst]);

  const loadMore = () => {
    if (!list?.nextCursor || loading) return;
    const ctrl = new AbortController();
    moreAbort.current = ctrl;
    setLoading(true);
    setLoadError(undefined);
    notificationsApi.list(list.nextCursor, ctrl.signal).then(
      (page) => {
        if (ctrl.signal.aborted) return;
        // Marking read reorders the server's list (unread first): a message may come twice across pages.
        setList((prev) => {
          const seen = new Set(prev?.items.map((n) => n.id));
          return {
            items: [...(prev?.items ?? []), ...page.items.filter((n) => !seen.has(n.id))],
            nextCursor: page.nextCursor,
          };
        });
        setLoading(false);
      },
      (e) => {
        if (ctrl.signal.aborted) return;
        setLoadError(e);
        setLoading(false);
      },
    );
  };

  const markRead = async (n: Notification, focusAfter: HTMLElement | null) => {
    if (busyIds.has(n.id)) return;
    setBusyIds((s) => new Set(s).add(n.id));
    setActionError(undefined);
    try {
      const updated = await notificationsApi.markRead(n.id);
      setList((prev) => prev && { ...prev, items: prev.items.map((x) => (x.id === n.id ? updated : x)) });
      unreadChanged(-1);
      // the button is gone: keep the keyboard on the message it belonged to
      focusAfter?.focus();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusyIds((s) => {
        const next = new Set(s);
        next.delete(n.id);
        return next;
      });
    }
  };

  const markAllRead = async () => {
    setAllBusy(true);
    setActionError(undefined);
    try {
      const r = await notificationsApi.markAllRead();
      const at = new Date().toISOString();
      setList(
        (prev) => prev && { ...prev, items: prev.items.map((x) => (x.readAt ? x : { ...x, readAt: at })) },
      );
      unreadChanged('none');
      toast.success(t('notifications.markedAll', { count: r.count }));
    } catch (e) {
      setActionError(e);
    } finally {
      setAllBusy(false);
    }
  };

  const items = list?.items ?? [];
  const anyUnread = (unreadCount ?? 0) > 0 || items.some((n) => n.readAt === null);
  return (
    <Panel
      title={t('nav.notifications')}
      testId="notifications-page"
      extra={
        <Button
          onClick={markAllRead}
          loading={allBusy}
          disabled={allBusy || !anyUnread}
          data-testid="notifications-mark-all"
        >
          {t('notifications.markAllRead')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('notifications.intro')}</Typography.Paragraph>
      {actionError !== undefined && (
        <Alert
          type="error"
          showIcon
          closable
          onClose={() => setActionError(undefined)}
          title={t('notifications.actionFailed', { error: errorText(actionError) })}
          style={{ marginBottom: 12 }}
          data-testid="notifications-action-error"
        />
      )}
      {list && items.length === 0 && !loading && !loadError && (
        <Empty
          description={
            <>
              <div>{t('notifications.empty')}</div>
              <Typography.Text type="secondary">{t('notifications.emptyDesc')}</Typography.Text>
            </>
          }
          data-testid="notifications-empty"
        />
      )}
      {items.length > 0 && (
        <ul ref={listRef} style={{ padding: 0, margin: 0 }} data-testid="notifications-list">
          {items.map((n) => (
            <Item key={n.id} n={n} busy={busyIds.has(n.id)} onMarkRead={markRead} />
          ))}
        </ul>
      )}
      {loadError !== undefined && (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={t('notifications.loadFailed')}
          description={errorText(loadError)}
          style={{ marginTop: 12 }}
          data-testid="notifications-error"
          action={
            <Button size="small" onClick={() => (list ? loadMore() : loadFirst())} data-testid="retry">
              {t('common.retry')}
            </Button>
          }
        />
      )}
      {loading && (
        <div style={{ padding: 24, textAlign: 'center' }} data-testid="notifications-loading">
          <Spin />
        </div>
      )}
      {!loading && !loadError && list?.nextCursor && (
        <Flex justify="center" style={{ marginTop: 8 }}>
          <Button onClick={loadMore} data-testid="notifications-more">
            {t('notifications.loadMore')}
          </Button>
        </Flex>
      )}
      {!loading && !loadError && list && !list.nextCursor && items.length > 0 && (
        <Typography.Paragraph type="secondary" style={{ textAlign: 'center', marginTop: 8 }}>
          {t('notifications.allShown')}
        </Typography.Paragraph>
      )}
    </Panel>
  );
}
