import { Button, Empty, Flex, Skeleton, Tag, Typography } from 'antd';
import { useRef, useState } from 'react';
import type { Webhook, WebhookWithSecret } from '../../../../contract/webhooks.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { Panel } from '../../components/Panel.js';
import { ErrorState } from '../../components/states.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { webhooksApi } from './api.js';
import { DeliveriesDrawer, DeliveryStatusTag, ResponseCode } from './DeliveriesDrawer.js';
import { AddWebhookDialog, DeleteDialog, RotateDialog, SecretDialog } from './dialogs.js';
import { ENDPOINTS_PER_ORG } from './events.js';

/** An endpoint's status: how its latest delivery went (one small request per endpoint, at most 10). */
function LastDelivery({ webhook, version }: { webhook: Webhook; version: number }) {
  const { t } = useI18n();
  const { org } = useOrg();
  const last = useAsync(
    (signal) => webhooksApi.deliveries(org.id, webhook.id, { limit: 1 }, signal),
    [org.id, webhook.id, version],
  );
  if (last.loading && !last.data) return <Skeleton.Button active size="small" />;
  const d = last.data?.items[0];
  if (last.error || !d)
    return (
      <Typography.Text type="secondary" data-testid="webhook-status">
        {last.error ? t('common.none') : t('webhooks.noDeliveries')}
      </Typography.Text>
    );
  return (
    <Flex gap={4} align="center" wrap data-testid="webhook-status">
      <DeliveryStatusTag status={d.status} />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t(`webhooks.event.${d.type}`)} · <ResponseCode attempt={d.attempts.at(-1)} />
      </Typography.Text>
    </Flex>
  );
}

type Dialog =
  | { kind: 'add' }
  | { kind: 'created'; webhook: WebhookWithSecret }
  | { kind: 'rotate'; webhook: Webhook }
  | { kind: 'delete'; webhook: Webhook }
  | { kind: 'deliveries'; webhook: Webhook };

/**
 * Webhook (SPEC §9, Org Admin): the org's endpoints — URL, events, how the last delivery went, created — with
 * 添加 Webhook (the secret shown once), 投递记录 (and 重新投递), 轮换密钥 and 删除, each after its dialog. Focus
 * goes back to the button that opened a dialog (or to 添加 Webhook when its row is gone).
 */
export function WebhooksPage() {
  const { t } = useI18n();
  const { org } = useOrg();
  const list = useAsync((signal) => webhooksApi.list(org.id, signal), [org.id]);
  const [dialog, setDialog] = useState<Dialog>();
  // bumped when a drawer closes, so each row's status is read again
  const [version, setVersion] = useState(0);
  const opener = useRef<HTMLElement | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);

  if (list.error) return <ErrorState error={list.error} onRetry={list.reload} />;
  const items = list.data?.items ?? [];
  const atLimit = items.length >= ENDPOINTS_PER_ORG;

  const open = (d: Dialog) => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setDialog(d);
  };
  const close = () => {
    setDialog(undefined);
    const back = opener.current;
    // after the dialog's close: the opener if its row is still there, else 添加 Webhook
    setTimeout(() => (back?.isConnected ? back : addButton.current)?.focus(), 0);
  };
  const replace = (w: Webhook) =>
    list.setData((prev) => prev && { ...prev, items: prev.items.map((x) => (x.id === w.id ? w : x)) });

  return (
    <Panel
      title={t('nav.webhooks')}
      testId="webhooks-page"
      extra={
        <Flex gap={8} align="center" wrap>
          <Typography.Text type="secondary" data-testid="webhooks-count">
            {items.length} / {ENDPOINTS_PER_ORG}
          </Typography.Text>
          <Button
            ref={addButton}
            type="primary"
            disabled={atLimit || !list.data}
            title={atLimit ? t('webhooks.limit', { limit: ENDPOINTS_PER_ORG }) : undefined}
            onClick={() => open({ kind: 'add' })}
            data-testid="webhook-add"
          >
            {t('webhooks.add')}
          </Button>
        </Flex>
      }
    >
      <Typography.Paragraph type="secondary">{t('webhooks.intro')}</Typography.Paragraph>
      {atLimit && (
        <Typography.Paragraph type="warning" data-testid="webhooks-limit">
          {t('webhooks.limitReached', { limit: ENDPOINTS_PER_ORG })}
        </Typography.Paragraph>
      )}
      <CardTable<Webhook>
        rowKey="id"
        loading={list.loading}
        pagination={false}
        dataSource={items}
        locale={{ emptyText: <Empty description={t('webhooks.empty')} /> }}
        onRow={(w) => ({ 'data-testid': `webhook-row-${w.id}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('webhooks.url'),
            dataIndex: 'url',
            render: (v: string) => (
              <Typography.Text code style={{ overflowWrap: 'anywhere', wordBreak: 'break-all' }}>
                {v}
              </Typography.Text>
            ),
          },
          {
            title: t('webhooks.events'),
            dataIndex: 'events',
            render: (_: unknown, w) => (
              <Flex wrap gap={4} data-testid="webhook-events-list">
                {w.events.map((e) => (
                  <Tag key={e} title={e} style={{ marginInlineEnd: 0 }}>
                    {t(`webhooks.event.${e}`)}
                  </Tag>
                ))}
              </Flex>
            ),
          },
          {
            title: t('webhooks.status'),
            key: 'status',
            render: (_: unknown, w) => <LastDelivery webhook={w} version={version} />,
          },
          {
            title: t('webhooks.createdAt'),
            dataIndex: 'createdAt',
            render: (v: string, w) => (
              <div>
                <div>{formatInstant(v, org.timeZone)}</div>
                {w.secretRotatedAt && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="webhook-rotated-at">
                    {t('webhooks.secretRotatedAt')} {formatInstant(w.secretRotatedAt, org.timeZone)}
                  </Typography.Text>
                )}
              </div>
            ),
          },
          {
            title: t('webhooks.actions'),
            key: 'actions',
            render: (_: unknown, w) => (
              <Flex wrap gap={4}>
                <Button
                  size="small"
                  onClick={() => open({ kind: 'deliveries', webhook: w })}
                  data-testid="webhook-deliveries"
                >
                  {t('webhooks.deliveries')}
                </Button>
                <Button
                  size="small"
                  onClick={() => open({ kind: 'rotate', webhook: w })}
                  data-testid="webhook-rotate"
                >
                  {t('webhooks.rotate')}
                </Button>
                <Button
                  size="small"
                  danger
                  onClick={() => open({ kind: 'delete', webhook: w })}
                  data-testid="webhook-delete"
                >
                  {t('webhooks.delete')}
                </Button>
              </Flex>
            ),
          },
        ]}
      />
      {dialog?.kind === 'add' && (
        <AddWebhookDialog
          onClose={close}
          onCreated={(w) => {
            const { secret: _secret, ...listed } = w;
            list.setData((prev) => prev && { ...prev, items: [listed, ...prev.items] });
            setDialog({ kind: 'created', webhook: w });
          }}
        />
      )}
      {dialog?.kind === 'created' && (
        <SecretDialog title={t('webhooks.createdTitle')} webhook={dialog.webhook} onClose={close} />
      )}
      {dialog?.kind === 'rotate' && (
        <RotateDialog webhook={dialog.webhook} onClose={close} onRotated={replace} />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          webhook={dialog.webhook}
          onClose={close}
          onDeleted={(id) => {
            list.setData((prev) => prev && { ...prev, items: prev.items.filter((x) => x.id !== id) });
            close();
          }}
        />
      )}
      {dialog?.kind === 'deliveries' && (
        <DeliveriesDrawer
          webhook={dialog.webhook}
          onClose={() => {
            setVersion((v) => v + 1);
            close();
          }}
        />
      )}
    </Panel>
  );
}
