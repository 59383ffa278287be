import { ArrowLeftOutlined } from '@ant-design/icons';
import { Button, Card, Descriptions, Flex, Skeleton, Typography } from 'antd';
import { useCallback } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../../api/endpoints.js';
import type { Order, OrderConfig, OrderDetail, OrderHistoryEntry } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { MenuButton } from '../../components/MenuButton.js';
import { ErrorState, PageLoading } from '../../components/states.js';
import { type T, useI18n } from '../../i18n/i18n.js';
import { catalogNames, useCatalog } from '../../lib/catalog.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { useNow } from '../../lib/useNow.js';
import { deadlineOf, effective } from './deadline.js';
import { Countdown, createdByLabel, discountLabel, StatusTag, termLabel } from './presentation.js';
import { useOrderActions } from './useOrderActions.js';

function configItems(t: T, c: OrderConfig, names: ReturnType<typeof catalogNames>, tz: string) {
  return [
    { key: 'region', label: t('config.region'), children: names.region(c.region) },
    { key: 'cuType', label: t('config.cuType'), children: names.cuType(c.region, c.cuType) },
    { key: 'cuSize', label: t('config.cuSize'), children: t('config.cuSizeValue', { n: c.cuSize }) },
    { key: 'replicas', label: t('config.replicas'), children: c.replicas },
    ...(c.term ? [{ key: 'term', label: t('config.term'), children: termLabel(t, c.term) }] : []),
    // Upgrades and renewals name the term end: before, and once paid (null: a new term counted from the payment).
    ...(c.termEndsAt !== undefined
      ? [
          {
            key: 'termEndsAt',
            label: t('detail.termEndsAt'),
            children: (
              <span data-testid="config-term-ends-at">
                {c.termEndsAt ? formatInstant(c.termEndsAt, tz) : t('detail.termEndsAfterPayment')}
              </span>
            ),
          },
        ]
      : []),
  ];
}

/** One order: what was bought (and before, for upgrades), the prices, the deadline and its history. */
export function OrderDetailPage() {
  const { orderId = '' } = useParams();
  const { t, locale } = useI18n();
  const { org, projects } = useOrg();
  const catalog = useCatalog();
  const names = catalogNames(catalog, locale);
  const nowMs = useNow();
  const state = useAsync((_signal) => api.order(org.id, orderId), [org.id, orderId]);
  const { reload } = state;
  const onUpdated = useCallback((_o: Order) => reload(), [reload]);
  const actions = useOrderActions(onUpdated);

  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  if (!state.data) return <PageLoading />;
  const o: OrderDetail = state.data;
  const { status, actions: allowed } = effective(o, nowMs);
  const tz = org.timeZone;
  const deadline = deadlineOf(o);
  const renewal = o.type === 'renewal';
  // Who did a step: a user by their email (the id means nothing to a reader), the system, the operator.
  const by = (h: OrderHistoryEntry) =>
    h.by.type === 'user' ? (h.by.email ?? t('detail.by.unknownUser')) : t(`detail.by.${h.by.type}`);
  // The creator is the history's first step; an order the system made has none.
  const created = o.history.find((h) => h.from === null);
  const createdBy = o.createdBy && created?.by.type === 'user' ? by(created) : createdByLabel(t, o);
  // The project by name; until the names have loaded, a placeholder rather than its id.
  const project = projects.find((p) => p.id === o.projectId);

  return (
    <Flex vertical gap={16} data-testid="order-detail">
      <Card
        title={
          <Flex align="center" gap={8}>
            <Link to={`/orgs/${org.id}/orders`}>
              <Button type="text" icon={<ArrowLeftOutlined />} aria-label={t('common.back')} />
            </Link>
            {t('detail.title')}
          </Flex>
        }
        extra={
          <Flex gap={8} align="center">
            {status === 'unpaid' && <Countdown order={o} />}
            {status === 'unpaid' && allowed.includes('pay') && (
              <Button type="primary" onClick={() => actions.pay(o)} data-testid="pay">
                {t('orders.pay')}
              </Button>
            )}
            {allowed.includes('download') && (
              <Button
                loading={actions.downloading === o.id}
                onClick={() => actions.download(o)}
                data-testid="download"
              >
                {t('orders.download')}
              </Button>
            )}
            {allowed.includes('cancel') && (
              <MenuButton
                label={t('orders.more')}
                testId="more"
                items={[{ key: 'cancel', label: t('orders.cancel'), danger: true, testId: 'cancel-order' }]}
                onSelect={() => actions.cancel(o)}
              />
            )}
          </Flex>
        }
      >
        <Descriptions
          bordered
          size="small"
          column={{ xs: 1, md: 2 }}
          title={t('detail.basic')}
          items={[
            {
              key: 'id',
              label: t('orders.col.id'),
              children: (
                <Typography.Text copyable data-testid="detail-order-id">
                  {o.id}
                </Typography.Text>
              ),
            },
            { key: 'status', label: t('orders.col.status'), children: <StatusTag status={status} /> },
            { key: 'type', label: t('orders.col.type'), children: t(`order.type.${o.type}`) },
            { key: 'mode', label: t('detail.billingMode'), children: t('detail.subscription') },
            { key: 'cluster', label: t('orders.col.cluster'), children: o.clusterName },
            {
              key: 'project',
              label: t('orders.col.project'),
              children: project ? (
                <span data-testid="detail-project">{project.name}</span>
              ) : (
                <Skeleton.Input active size="small" data-testid="detail-project-loading" />
              ),
            },
            { key: 'created', label: t('orders.col.createdAt'), children: formatInstant(o.createdAt, tz) },
            {
              key: 'createdBy',
              label: t('detail.createdBy'),
              children: <span data-testid="detail-created-by">{createdBy}</span>,
            },
            {
              key: 'deadline',
              label: t('detail.deadline'),
              children: (
                <Flex vertical>
                  <span data-testid="detail-deadline">{formatInstant(deadline.at, tz)}</span>
                  {deadline.by === 'system' && o.status === 'unpaid' && (
                    <Typography.Text type="warning" style={{ fontSize: 12 }} data-testid="detail-cancels-at">
                      {t(renewal ? 'detail.cancelsAt.renewal' : 'detail.cancelsAt.upgrade', {
                        at: formatInstant(deadline.at, tz),
                      })}
                    </Typography.Text>
                  )}
                </Flex>
              ),
            },
            ...(o.paidAt
              ? [{ key: 'paid', label: t('detail.paidAt'), children: formatInstant(o.paidAt, tz) }]
              : []),
            ...(o.cancelledAt
              ? [
                  {
                    key: 'cancelled',
                    label: t('detail.cancelledAt'),
                    children: formatInstant(o.cancelledAt, tz),
                  },
                ]
              : []),
            ...(o.timedOutAt
              ? [
                  {
                    key: 'timedOut',
                    label: t('detail.timedOutAt'),
                    children: formatInstant(o.timedOutAt, tz),
                  },
                ]
              : []),
            ...(o.billMonth ? [{ key: 'bill', label: t('detail.billMonth'), children: o.billMonth }] : []),
          ]}
        />
      </Card>
      <Card title={t('detail.config')}>
        {o.configBefore ? (
          <Flex gap={16} wrap>
            <Descriptions
              style={{ flex: 1, minWidth: 'min(320px, 100%)' }}
              bordered
              size="small"
              column={1}
              title={t(renewal ? 'detail.configBeforeRenewal' : 'detail.configBefore')}
              items={configItems(t, o.configBefore, names, tz)}
            />
            <Descriptions
              style={{ flex: 1, minWidth: 'min(320px, 100%)' }}
              bordered
              size="small"
              column={1}
              title={t(renewal ? 'detail.configAfterRenewal' : 'detail.configAfter')}
              items={configItems(t, o.config, names, tz)}
              data-testid="config-after"
            />
          </Flex>
        ) : (
          <Descriptions
            bordered
            size="small"
            column={{ xs: 1, md: 2 }}
            items={configItems(t, o.config, names, tz)}
          />
        )}
      </Card>
      <Card title={t('detail.prices')}>
        <Descriptions
          bordered
          size="small"
          column={{ xs: 1, md: 2 }}
          items={[
            { key: 'list', label: t('detail.listAmount'), children: formatMoney(o.listAmount, o.currency) },
            {
              key: 'rate',
              label: t('detail.discountRate'),
              children: discountLabel(t, o.pricing.discountPercent),
            },
            // no "优惠 -¥0.00": a discount line only when there is a discount
            ...(o.discountAmount > 0
              ? [
                  {
                    key: 'discount',
                    label: t('detail.discount'),
                    children: (
                      <span data-testid="detail-discount">-{formatMoney(o.discountAmount, o.currency)}</span>
                    ),
                  },
                ]
              : []),
            ...(o.pricing.type === 'upgrade' && !o.pricing.credit
              ? [
                  {
                    key: 'days',
                    label: t('detail.remainingDays'),
                    children: t('detail.remainingDaysValue', { n: o.pricing.remainingDays }),
                  },
                ]
              : []),
            ...(o.pricing.type === 'upgrade' && o.pricing.newTerm && o.pricing.credit
              ? [
                  {
                    key: 'newTerm',
                    label: t('upgrade.newTermAmount'),
                    children: `${formatMoney(o.pricing.newTerm.amount, o.currency)} (${termLabel(t, o.pricing.newTerm)})`,
                  },
                  {
                    key: 'credit',
                    label: t('upgrade.credit'),
                    children: (
                      <span data-testid="detail-credit">
                        -{formatMoney(o.pricing.credit.amount, o.currency)} (
                        {t('upgrade.creditDays', { n: o.pricing.credit.remainingDays })})
                      </span>
                    ),
                  },
                ]
              : []),
            {
              key: 'amount',
              label: t('detail.amount'),
              children: (
                <Typography.Text strong data-testid="detail-amount">
                  {formatMoney(o.amount, o.currency)}
                </Typography.Text>
              ),
            },
          ]}
        />
      </Card>
      <Card title={t('detail.history')}>
        <CardTable<OrderHistoryEntry>
          rowKey={(h) => `${h.to}-${h.at}`}
          size="small"
          pagination={false}
          dataSource={o.history}
          columns={[
            { title: t('detail.history.at'), dataIndex: 'at', render: (v: string) => formatInstant(v, tz) },
            {
              title: t('detail.history.event'),
              key: 'transition',
              render: (_: unknown, h) => {
                const event = h.from
                  ? t('detail.history.transition', {
                      from: t(`order.status.${h.from}`),
                      to: t(`order.status.${h.to}`),
                    })
                  : t('detail.history.created');
                return h.reason ? (
                  <Flex vertical>
                    <span>{event}</span>
                    <Typography.Text type="secondary" data-testid="history-reason">
                      {t(`detail.reason.${h.reason}`)}
                    </Typography.Text>
                  </Flex>
                ) : (
                  event
                );
              },
            },
            {
              title: t('detail.history.by'),
              key: 'by',
              render: (_: unknown, h) => <span data-testid="history-by">{by(h)}</span>,
            },
          ]}
        />
      </Card>
      {actions.dialogs}
    </Flex>
  );
}
