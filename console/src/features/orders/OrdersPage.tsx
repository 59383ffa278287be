import { DownOutlined } from '@ant-design/icons';
import { Alert, Button, Dropdown, Empty, Flex, Input, Select, type TableColumnsType } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, type OrderFilters } from '../../api/endpoints.js';
import type { Order, OrderStatus, OrderType, Page } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { Panel } from '../../components/Panel.js';
import { ErrorState } from '../../components/states.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { takePrefetched } from '../../lib/prefetch.js';
import { addDays, formatInstant, ymdToInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { useNow } from '../../lib/useNow.js';
import { AutoRenewSwitch } from './AutoRenewSwitch.js';
import { effective } from './deadline.js';
import { DEFAULT_QUERY, defaultOrdersKey } from './prefetch.js';
import { Countdown, StatusTag } from './presentation.js';
import { useOrderActions } from './useOrderActions.js';

// The date picker is the heaviest part of the page: it loads after the table, not before it.
const DateRangeFilter = lazy(() => import('./DateRangeFilter.js'));

const STATUSES: OrderStatus[] = ['unpaid', 'paid', 'cancelled', 'timed_out'];
const TYPES: OrderType[] = ['new_purchase', 'upgrade', 'renewal'];
const PAGE_SIZES = [20, 50];
const YMD = /^\d{4}-\d{2}-\d{2}$/;

/** The filters live in the URL (shareable, survive a reload); the page cursors live in memory. */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const filters = {
    status: params.get('status') ?? '',
    type: params.get('type') ?? '',
    projectId: params.get('projectId') ?? '',
    from: YMD.test(params.get('from') ?? '') ? params.get('from')! : '',
    to: YMD.test(params.get('to') ?? '') ? params.get('to')! : '',
    q: params.get('q') ?? '',
    limit: PAGE_SIZES.includes(Number(params.get('limit'))) ? Number(params.get('limit')) : 20,
  };
  const update = useCallback(
    (patch: Partial<Record<keyof typeof filters, string | number>>) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (v === '' || v === undefined) next.delete(k);
            else next.set(k, String(v));
          }
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );
  return { filters, update, reset: () => setParams(new URLSearchParams(), { replace: true }) };
}

function StatusCell({ order, onPay }: { order: Order; onPay(o: Order): void }) {
  const { t } = useI18n();
  const nowMs = useNow();
  const { status, actions } = effective(order, nowMs);
  return (
    <Flex vertical gap={4} align="flex-start">
      <StatusTag status={status} />
      {status === 'unpaid' && actions.includes('pay') && (
        <Button type="primary" size="small" onClick={() => onPay(order)} data-testid="pay">
          {t('orders.pay')}
        </Button>
      )}
      {status === 'unpaid' && <Countdown order={order} />}
    </Flex>
  );
}

/**
 * The 操作 dropdown (取消订单). The antd Dropdown is mounted on the first click only: twenty of them on the
 * first screen cost more than the table itself.
 */
function MoreMenu({ onCancel }: { onCancel(): void }) {
  const { t } = useI18n();
  const [armed, setArmed] = useState(false);
  const [open, setOpen] = useState(false);
  const button = (
    <Button
      type="link"
      size="small"
      data-testid="more"
      onClick={() => {
        setArmed(true);
        setOpen(true);
      }}
    >
      {t('orders.more')} <DownOutlined />
    </Button>
  );
  if (!armed) return button;
  return (
    <Dropdown
      trigger={['click']}
      open={open}
      onOpenChange={setOpen}
      menu={{
        items: [
          {
            key: 'cancel',
            label: <span data-testid="cancel-order">{t('orders.cancel')}</span>,
            danger: true,
          },
        ],
        onClick: () => {
          setOpen(false);
          onCancel();
        },
      }}
    >
      {button}
    </Dropdown>
  );
}

function ActionsCell({
  order,
  downloading,
  onDownload,
  onCancel,
}: {
  order: Order;
  downloading: boolean;
  onDownload(o: Order): void;
  onCancel(o: Order): void;
}) {
  const { t } = useI18n();
  const nowMs = useNow();
  const { actions } = effective(order, nowMs);
  return (
    <Flex gap={4} align="center">
      {actions.includes('download') && (
        <Button
          type="link"
          size="small"
          loading={downloading}
          onClick={() => onDownload(order)}
          data-testid="download"
          style={{ paddingInline: 0 }}
        >
          {t('orders.download')}
        </Button>
      )}
      {actions.includes('cancel') && <MoreMenu onCancel={() => onCancel(order)} />}
    </Flex>
  );
}

/** 费用中心 > 订单. */
export function OrdersPage() {
  const { t } = useI18n();
  const { org, projects, projectName, canBuy } = useOrg();
  const { filters, update, reset } = useFilters();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const query: OrderFilters & { limit: number; cursor?: string } = useMemo(
    () => ({
      status: filters.status || undefined,
      type: filters.type || undefined,
      projectId: filters.projectId || undefined,
      createdFrom: filters.from ? ymdToInstant(filters.from, org.timeZone).toISOString() : undefined,
      createdTo: filters.to ? ymdToInstant(addDays(filters.to, 1), org.timeZone).toISOString() : undefined,
      q: filters.q || undefined,
      limit: filters.limit,
      cursor,
    }),
    [
      filters.status,
      filters.type,
      filters.projectId,
      filters.from,
      filters.to,
      filters.q,
      filters.limit,
      cursor,
      org.timeZone,
    ],
  );
  const key = JSON.stringify(query);
  const page = useAsync<Page<Order>>(
    (signal) =>
      (key === JSON.stringify(DEFAULT_QUERY) && takePrefetched<Page<Order>>(defaultOrdersKey(org.id))) ||
      api.orders(org.id, query, signal),
    [org.id, key],
  );
  // The date picker's code loads once the first rows are on screen.
  const [pickerReady, setPickerReady] = useState(false);
  useEffect(() => {
    if (page.data || page.error) setPickerReady(true);
  }, [page.data, page.error]);
  const filtered = Boolean(
    filters.status || filters.type || filters.projectId || filters.from || filters.to || filters.q,
  );

  const replaceOrder = useCallback(
    (o: Order) => page.setData((p) => p && { ...p, items: p.items.map((x) => (x.id === o.id ? o : x)) }),
    [page.setData],
  );
  const actions = useOrderActions(replaceOrder);

  const setFilter = (patch: Parameters<typeof update>[0]) => {
    setCursors([undefined]);
    update(patch);
  };

  const columns: TableColumnsType<Order> = [
    {
      title: t('orders.col.id'),
      dataIndex: 'id',
      width: 244,
      render: (id: string) => (
        <Link to={`/orgs/${org.id}/orders/${id}`} data-testid="order-link">
          <span style={{ fontFamily: 'monospace', fontSize: 12, whiteSpace: 'nowrap' }}>{id}</span>
        </Link>
      ),
    },
    {
      title: t('orders.col.type'),
      dataIndex: 'type',
      width: 110,
      render: (v: OrderType, o) => (
        <Flex vertical>
          <span data-testid="order-type">{t(`order.type.${v}`)}</span>
          {o.createdBy === null && (
            <span style={{ fontSize: 12, color: 'rgba(0,0,0,0.45)' }} data-testid="order-by-system">
              {t('orders.createdBySystem')}
            </span>
          )}
        </Flex>
      ),
    },
    { title: t('orders.col.cluster'), dataIndex: 'clusterName', ellipsis: { showTitle: true } },
    {
      title: t('orders.col.project'),
      dataIndex: 'projectId',
      ellipsis: true,
      render: (id: string) => projectName(id),
    },
    {
      title: t('orders.col.amount'),
      dataIndex: 'amount',
      align: 'right',
      width: 130,
      render: (v: number, o) => <span data-testid="order-amount">{formatMoney(v, o.currency)}</span>,
    },
    {
      title: t('orders.col.createdAt'),
      dataIndex: 'createdAt',
      width: 180,
      render: (v: string) => formatInstant(v, org.timeZone),
    },
    {
      title: t('orders.col.status'),
      key: 'status',
      width: 150,
      render: (_: unknown, o) => <StatusCell order={o} onPay={actions.pay} />,
    },
    {
      title: t('orders.col.actions'),
      key: 'actions',
      width: 140,
      render: (_: unknown, o) => (
        <ActionsCell
          order={o}
          downloading={actions.downloading === o.id}
          onDownload={actions.download}
          onCancel={actions.cancel}
        />
      ),
    },
  ];

  if (page.error && !page.data) return <ErrorState error={page.error} onRetry={page.reload} />;

  return (
    <Panel title={t('orders.title')} testId="orders-page">
      <AutoRenewSwitch />
      <Alert type="info" showIcon title={t('orders.tip')} style={{ marginBottom: 16 }} />
      <Flex wrap gap={8} style={{ marginBottom: 16 }}>
        <Select
          mode="multiple"
          allowClear
          maxTagCount="responsive"
          style={{ minWidth: 180 }}
          placeholder={t('orders.filter.status')}
          value={filters.status ? filters.status.split(',') : []}
          options={STATUSES.map((s) => ({ value: s, label: t(`order.status.${s}`) }))}
          onChange={(v: string[]) => setFilter({ status: v.join(',') })}
          data-testid="filter-status"
        />
        <Select
          allowClear
          style={{ width: 120 }}
          placeholder={t('orders.filter.type')}
          value={filters.type || undefined}
          options={TYPES.map((s) => ({ value: s, label: t(`order.type.${s}`) }))}
          onChange={(v?: string) => setFilter({ type: v ?? '' })}
          data-testid="filter-type"
        />
        <Select
          allowClear
          style={{ width: 160 }}
          placeholder={t('orders.filter.project')}
          value={filters.projectId || undefined}
          options={projects.map((p) => ({ value: p.id, label: p.name }))}
          onChange={(v?: string) => setFilter({ projectId: v ?? '' })}
          data-testid="filter-project"
        />
        {pickerReady ? (
          <Suspense
            fallback={<Input readOnly style={{ width: 260 }} placeholder={t('orders.filter.from')} />}
          >
            <DateRangeFilter
              from={filters.from}
              to={filters.to}
              onChange={(from, to) => setFilter({ from, to })}
            />
          </Suspense>
        ) : (
          <Input readOnly style={{ width: 260 }} placeholder={t('orders.filter.from')} />
        )}
        <Input.Search
          allowClear
          style={{ width: 260 }}
          placeholder={t('orders.filter.search')}
          defaultValue={filters.q}
          key={filters.q}
          onSearch={(v) => setFilter({ q: v.trim() })}
          data-testid="filter-search"
        />
        {filtered && (
          <Button
            onClick={() => {
              setCursors([undefined]);
              reset();
            }}
          >
            {t('orders.filter.reset')}
          </Button>
        )}
      </Flex>
      {page.error !== undefined && page.data && <ErrorState error={page.error} onRetry={page.reload} />}
      <CardTable<Order>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={page.data?.items ?? []}
        loading={page.loading}
        pagination={false}
        scrollX={1100}
        locale={{
          emptyText: page.loading ? (
            ' '
          ) : (
            <Empty
              description={t(filtered ? 'orders.emptyFiltered' : 'orders.empty')}
              data-testid="orders-empty"
            >
              {!filtered && canBuy && (
                <Flex vertical align="center" gap={8}>
                  <span style={{ color: 'rgba(0,0,0,0.6)' }}>{t('orders.emptyNext')}</span>
                  <Link to={`/orgs/${org.id}/clusters/new`} data-testid="orders-empty-create">
                    {t('orders.createCluster')}
                  </Link>
                </Flex>
              )}
            </Empty>
          ),
        }}
      />
      <Flex justify="flex-end" align="center" gap={8} style={{ marginTop: 16 }}>
        <span style={{ color: 'rgba(0,0,0,0.45)' }}>{t('common.page', { n: cursors.length })}</span>
        <Button
          disabled={cursors.length <= 1 || page.loading}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          {t('common.prev')}
        </Button>
        <Button
          disabled={!page.data?.nextCursor || page.loading}
          onClick={() => setCursors((c) => [...c, page.data?.nextCursor ?? undefined])}
          data-testid="next-page"
        >
          {t('common.next')}
        </Button>
        <Select
          style={{ width: 110 }}
          value={filters.limit}
          options={PAGE_SIZES.map((n) => ({ value: n, label: t('common.pageSize', { n }) }))}
          onChange={(n: number) => setFilter({ limit: n })}
        />
      </Flex>
      {actions.dialogs}
    </Panel>
  );
}
