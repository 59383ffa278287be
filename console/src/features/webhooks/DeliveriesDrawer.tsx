import { Alert, Button, Drawer, Empty, Flex, Tag, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Webhook, WebhookAttempt, WebhookDelivery } from '../../../../contract/webhooks.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { toast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { useNarrow } from '../../lib/responsive.js';
import { formatInstant } from '../../lib/time.js';
import { webhooksApi } from './api.js';

/** While a delivery is pending, the log asks again this often (the delivery job runs every 2 s). */
const PENDING_REFRESH_MS = 3_000;
const PAGE = 20;

// antd's preset colours (their text is dark enough on the tag's background; the status presets' is not)
const STATUS_COLOR = { pending: 'blue', succeeded: 'green', failed: 'red' } as const;

export function DeliveryStatusTag({ status }: { status: WebhookDelivery['status'] }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLOR[status]} data-testid="delivery-status">
      {t(`webhooks.deliveryStatus.${status}`)}
    </Tag>
  );
}

/** The last attempt's HTTP status, or 无响应 with the reason (timeout, refused connection, refused address). */
export function ResponseCode({ attempt }: { attempt: WebhookAttempt | undefined }) {
  const { t } = useI18n();
  if (!attempt) return <>{t('common.none')}</>;
  if (attempt.statusCode !== null) return <span data-testid="delivery-code">{attempt.statusCode}</span>;
  return (
    <span data-testid="delivery-code" title={attempt.error ?? undefined}>
      {t('webhooks.delivery.noResponse')}
      {attempt.error && (
        <Typography.Text
          type="secondary"
          style={{ display: 'block', fontSize: 12, overflowWrap: 'anywhere' }}
        >
          {attempt.error}
        </Typography.Text>
      )}
    </span>
  );
}

/**
 * 投递记录: an endpoint's deliveries, newest first — event, status, the last response code, attempts, time —
 * with 重新投递 on each. It refreshes itself while a delivery is pending.
 */
export function DeliveriesDrawer({ webhook, onClose }: { webhook: Webhook; onClose(): void }) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const narrow = useNarrow();
  const [items, setItems] = useState<WebhookDelivery[]>();
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const shown = useRef(PAGE);

  /** The newest deliveries again, as many as are shown (a refresh keeps what 加载更多 added). */
  const refresh = useCallback(
    (signal?: AbortSignal) => {
      setLoading(true);
      webhooksApi.deliveries(org.id, webhook.id, { limit: Math.min(100, shown.current) }, signal).then(
        (page) => {
          if (signal?.aborted) return;
          setItems(page.items);
          setNextCursor(page.nextCursor);
          setError(undefined);
          setLoading(false);
        },
        (e) => {
          if (signal?.aborted) return;
          setError(e);
          setLoading(false);
        },
      );
    },
    [org.id, webhook.id],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    refresh(ctrl.signal);
    return () => ctrl.abort();
  }, [refresh]);

  const pending = items?.some((d) => d.status === 'pending') ?? false;
  useEffect(() => {
    if (!pending) return;
    // its own controller: a refresh is not cancelled by the loading state it sets
    const ctrl = new AbortController();
    const timer = setInterval(() => refresh(ctrl.signal), PENDING_REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctrl.abort();
    };
  }, [pending, refresh]);

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoading(true);
    try {
      const page = await webhooksApi.deliveries(org.id, webhook.id, { cursor: nextCursor });
      setItems((prev) => {
        const seen = new Set(prev?.map((d) => d.id));
        const next = [...(prev ?? []), ...page.items.filter((d) => !seen.has(d.id))];
        shown.current = next.length;
        return next;
      });
      setNextCursor(page.nextCursor);
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const redeliver = async (d: WebhookDelivery) => {
    if (busy.has(d.id)) return;
    setBusy((s) => new Set(s).add(d.id));
    setActionError(undefined);
    try {
      const updated = await webhooksApi.redeliver(org.id, webhook.id, d.id);
      setItems((prev) => prev?.map((x) => (x.id === d.id ? updated : x)));
      toast.success(t('webhooks.delivery.redelivered'));
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy((s) => {
        const next = new Set(s);
        next.delete(d.id);
        return next;
      });
    }
  };

  return (
    <Drawer
      open
      onClose={onClose}
      placement="right"
      size={narrow ? '100%' : 960}
      title={
        <span style={{ overflowWrap: 'anywhere' }}>{t('webhooks.deliveriesOf', { url: webhook.url })}</span>
      }
      closable={{ 'aria-label': t('common.close') }}
      extra={
        <Button onClick={() => refresh()} loading={loading} data-testid="deliveries-refresh">
          {t('common.refresh')}
        </Button>
      }
      data-testid="deliveries-drawer"
    >
      <div data-testid="deliveries">
        {actionError !== undefined && (
          <Alert type="error" showIcon title={errorText(actionError)} style={{ marginBottom: 12 }} closable />
        )}
        {error !== undefined && (
          <Alert
            type="error"
            showIcon
            title={errorText(error)}
            style={{ marginBottom: 12 }}
            data-testid="deliveries-error"
            action={
              <Button size="small" onClick={() => refresh()} data-testid="retry">
                {t('common.retry')}
              </Button>
            }
          />
        )}
        <CardTable<WebhookDelivery>
          rowKey="id"
          size="small"
          loading={loading && !items}
          pagination={false}
          dataSource={items ?? []}
          locale={{ emptyText: <Empty description={t('webhooks.deliveriesEmpty')} /> }}
          columns={[
            {
              title: t('webhooks.delivery.event'),
              dataIndex: 'type',
              render: (_: unknown, d) => (
                <div style={{ minWidth: 0 }}>
                  <div>{t(`webhooks.event.${d.type}`)}</div>
                  <Typography.Text type="secondary" style={{ fontSize: 12, overflowWrap: 'anywhere' }}>
                    {d.type} · {d.eventId}
                  </Typography.Text>
                </div>
              ),
            },
            {
              title: t('webhooks.delivery.status'),
              dataIndex: 'status',
              render: (_: unknown, d) => (
                <div>
                  <DeliveryStatusTag status={d.status} />
                  {d.status === 'pending' && d.nextAttemptAt && (
                    <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                      {t('webhooks.delivery.nextAttempt', {
                        time: formatInstant(d.nextAttemptAt, org.timeZone),
                      })}
                    </Typography.Text>
                  )}
                </div>
              ),
            },
            {
              title: t('webhooks.delivery.responseCode'),
              key: 'code',
              render: (_: unknown, d) => <ResponseCode attempt={d.attempts.at(-1)} />,
            },
            {
              title: t('webhooks.delivery.attempts'),
              key: 'attempts',
              render: (_: unknown, d) => <span data-testid="delivery-attempts">{d.attempts.length}</span>,
            },
            {
              title: t('webhooks.delivery.time'),
              dataIndex: 'createdAt',
              render: (v: string) => formatInstant(v, org.timeZone),
            },
            {
              title: t('webhooks.actions'),
              key: 'actions',
              render: (_: unknown, d) => (
                <Button
                  size="small"
                  onClick={() => redeliver(d)}
                  loading={busy.has(d.id)}
                  disabled={busy.has(d.id)}
                  aria-label={t('webhooks.delivery.redeliverOf', { id: d.eventId })}
                  data-testid="delivery-redeliver"
                >
                  {t('webhooks.delivery.redeliver')}
                </Button>
              ),
            },
          ]}
          onRow={(d) => ({ 'data-testid': `delivery-${d.id}` }) as React.HTMLAttributes<HTMLElement>}
        />
        {nextCursor && (
          <Flex justify="center" style={{ marginTop: 12 }}>
            <Button onClick={loadMore} loading={loading} data-testid="deliveries-more">
              {t('notifications.loadMore')}
            </Button>
          </Flex>
        )}
      </div>
    </Drawer>
  );
}
