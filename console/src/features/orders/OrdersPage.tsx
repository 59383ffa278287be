import { Alert, Button, Checkbox, Empty, Flex, Input, Pagination, Select, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import type { MergedPayment } from '../../../../contract/responses.js';
import { api, type OrderFilters } from '../../api/endpoints.js';
import type { Order, OrderStatus, OrderType, Page } from '../../api/types.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { type LiteColumn, LiteTable } from '../../components/LiteTable.js';
import { lazyPage } from '../../components/lazyPage.js';
import { MenuButton } from '../../components/MenuButton.js';
import { Panel } from '../../components/Panel.js';
import { ErrorState } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { afterPaint, loadLaterStylesAfterPaint, withLaterStyles } from '../../lib/laterStyles.js';
import { formatMoney } from '../../lib/money.js';
import { takeArrived, takePrefetched } from '../../lib/prefetch.js';
import { useNarrow } from '../../lib/responsive.js';
import { addDays, formatInstant, ymdToInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { serverNow, useNow } from '../../lib/useNow.js';
import { AutoRenewSwitch } from './AutoRenewSwitch.js';
import { effective } from './deadline.js';
import { ExportButton } from './ExportButton.js';
import { listApi } from './listApi.js';
import { deepestJump, type PagePosition, positionOf, provisionalTotal } from './paging.js';
import { DEFAULT_QUERY, defaultOrdersKey } from './prefetch.js';
import { Countdown, StatusTag } from './presentation.js';
import { useOrderActions } from './useOrderActions.js';

// The date picker is the heaviest part of the page: it loads after the table, not before it.
const DateRangeFilter = lazy(() => withLaterStyles(import('./DateRangeFilter.js')));
// 合并支付's dialog loads when it is opened (or shortly after the first screen).
const loadMergePay = () => import('./MergePayDialog.js');
const MergePayDialog = lazyPage(() => loadMergePay().then((m) => m.MergePayDialog));

const STATUSES: OrderStatus[] = ['unpaid', 'paid', 'cancelled', 'timed_out'];
const TYPES: OrderType[] = ['new_purchase', 'upgrade', 'renewal'];
const PAGE_SIZES = [20, 50];
/** 合并支付 takes 1–30 orders (SPEC §10.1). */
const MAX_SELECTED = 30;
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
    <div className="tally-cell-stack">
      <StatusTag status={status} />
      {status === 'unpaid' && actions.includes('pay') && (
        <Button type="primary" size="small" onClick={() => onPay(order)} data-testid="pay">
          {t('orders.pay')}
        </Button>
      )}
      {status === 'unpaid' && <Countdown order={order} />}
    </div>
  );
}

/** Can this order be paid now (unpaid, before its deadline, the caller allowed)? */
function payable(order: Order, nowMs: number): boolean {
  const { status, actions } = effective(order, nowMs);
  return status === 'unpaid' && actions.includes('pay');
}

/** A row's checkbox for 合并支付: only a payable order can be chosen; labelled with its id. */
function SelectCell({
  order,
  checked,
  full,
  onToggle,
}: {
  order: Order;
  checked: boolean;
  full: boolean;
  onToggle(o: Order, on: boolean): void;
}) {
  const { t } = useI18n();
  const nowMs = useNow();
  if (!payable(order, nowMs) && !checked) return null;
  return (
    <Checkbox
      checked={checked}
      disabled={!checked && full}
      onChange={(e) => onToggle(order, e.target.checked)}
      aria-label={t('ordersList.selectOrder', { id: order.id })}
      data-testid="select-order"
    />
  );
}

/** The 操作 menu (更多 → 取消订单), keyboard-usable; its Dropdown mounts on the first opening (MenuButton). */
function MoreMenu({ onCancel }: { onCancel(): void }) {
  const { t } = useI18n();
  return (
    <MenuButton
      label={t('orders.more')}
      testId="more"
      buttonProps={{ type: 'link', size: 'small', style: { paddingInline: 0 } }}
      items={[{ key: 'cancel', label: t('orders.cancel'), danger: true, testId: 'cancel-order' }]}
      onSelect={onCancel}
    />
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
    <div className="tally-cell-inline">
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
    </div>
  );
}

/** 费用中心 > 订单. */
export function OrdersPage() {
  const { t } = useI18n();
  const message = useToast();
  const narrow = useNarrow();
  const { org, projects, projectName, canBuy } = useOrg();
  const canPay = can(org, 'order.pay');
  const { filters, update, reset } = useFilters();
  // The list's filters as the API takes them: the list, its count and its export share them.
  const filterQuery: OrderFilters = useMemo(
    () => ({
      status: filters.status || undefined,
      type: filters.type || undefined,
      projectId: filters.projectId || undefined,
      createdFrom: filters.from ? ymdToInstant(filters.from, org.timeZone).toISOString() : undefined,
      createdTo: filters.to ? ymdToInstant(addDays(filters.to, 1), org.timeZone).toISOString() : undefined,
      q: filters.q || undefined,
    }),
    [filters.status, filters.type, filters.projectId, filters.from, filters.to, filters.q, org.timeZone],
  );
  const filterKey = `${JSON.stringify(filterQuery)}:${filters.limit}`;
  // The page on screen; the cursors of the pages after the ones seen (page n + 1's is page n's nextCursor).
  const [pos, setPos] = useState<PagePosition & { filterKey: string }>({ page: 1, filterKey });
  const cursors = useRef(new Map<number, string>());
  // Other filters or another page size: back to the first page, and the cursors seen no longer apply.
  const at: PagePosition = pos.filterKey === filterKey ? pos : { page: 1 };
  useEffect(() => {
    setPos((p) => (p.filterKey === filterKey ? p : { page: 1, filterKey }));
    cursors.current = new Map();
  }, [filterKey]);
  const query = useMemo(
    () => ({ ...filterQuery, limit: filters.limit, cursor: at.cursor, offset: at.offset }),
    [filterQuery, filters.limit, at.cursor, at.offset],
  );
  const key = JSON.stringify(query);
  const firstPage = key === JSON.stringify(DEFAULT_QUERY);
  const page = useAsync<Page<Order> & { key: string }>(
    (signal) =>
      (
        (firstPage && takePrefetched<Page<Order>>(defaultOrdersKey(org.id))) ||
        listApi.page(org.id, query, signal)
      ).then((p) => ({ ...p, key })),
    [org.id, key],
    () => {
      // Asked for before the code ran and already here: the rows come with the page's first render.
      const p = firstPage ? takeArrived<Page<Order>>(defaultOrdersKey(org.id)) : undefined;
      return p && { ...p, key };
    },
  );
  const shown = page.data?.key === key ? page.data : undefined;
  useEffect(() => {
    if (shown?.nextCursor) cursors.current.set(at.page + 1, shown.nextCursor);
  }, [shown, at.page]);

  // 共 N 条: asked once the first page of these filters is on screen, so it never delays the first row.
  const [count, setCount] = useState<{ key: string; total: number } | undefined>();
  const [countNonce, setCountNonce] = useState(0);
  const countKey = JSON.stringify(filterQuery);
  const listed = shown !== undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: asked again when the filters change or after a payment
  useEffect(() => {
    if (!listed) return;
    const ctrl = new AbortController();
    listApi.count(org.id, filterQuery, ctrl.signal).then(
      (r) => setCount({ key: countKey, total: r.total }),
      () => {
        // without the count the pages go on by what has been seen
      },
    );
    return () => ctrl.abort();
  }, [org.id, countKey, listed, countNonce]);
  const total = count?.key === countKey ? count.total : undefined;
  // The rest of antd's stylesheet once the rows are on screen: the pages and dialogs after them wait for it.
  useEffect(() => {
    if (listed) loadLaterStylesAfterPaint();
  }, [listed]);

  // The date picker's code (and with it the rest of antd's stylesheet) loads once the first rows are drawn: asked
  // for in the same frame, its stylesheet held back the first paint of the rows.
  const [pickerReady, setPickerReady] = useState(false);
  const settled = Boolean(page.data || page.error);
  useEffect(() => {
    if (settled) return afterPaint(() => setPickerReady(true));
  }, [settled]);
  useEffect(() => {
    if (!canPay) return;
    const id = setTimeout(() => void loadMergePay(), 600);
    return () => clearTimeout(id);
  }, [canPay]);
  const filtered = Boolean(
    filters.status || filters.type || filters.projectId || filters.from || filters.to || filters.q,
  );

  // 合并支付: the orders chosen, kept across the pages of the same filters.
  const [selected, setSelected] = useState<ReadonlyMap<string, Order>>(new Map());
  const [merging, setMerging] = useState(false);
  const [jumpLimit, setJumpLimit] = useState<number | undefined>();
  const selectedTotal = [...selected.values()].reduce((sum, o) => sum + o.amount, 0);
  const full = selected.size >= MAX_SELECTED;
  const toggle = useCallback((o: Order, on: boolean) => {
    setSelected((prev) => {
      const next = new Map(prev);
      if (!on) next.delete(o.id);
      else if (next.size < MAX_SELECTED) next.set(o.id, o);
      return next;
    });
  }, []);
  const pageRows = shown?.items ?? [];
  const pagePayable = pageRows.filter((o) => payable(o, serverNow()));
  const pageChosen = pagePayable.filter((o) => selected.has(o.id)).length;
  const togglePage = (on: boolean) =>
    setSelected((prev) => {
      const next = new Map(prev);
      for (const o of pagePayable) {
        if (!on) next.delete(o.id);
        else if (next.size < MAX_SELECTED) next.set(o.id, o);
      }
      return next;
    });
  const pageCheckbox = (
    <Checkbox
      checked={pagePayable.length > 0 && pageChosen === pagePayable.length}
      indeterminate={pageChosen > 0 && pageChosen < pagePayable.length}
      disabled={pagePayable.length === 0}
      onChange={(e) => togglePage(e.target.checked)}
      data-testid="select-page"
    >
      {t('ordersList.selectPage')}
    </Checkbox>
  );

  const replaceOrder = useCallback(
    (o: Order) => {
      page.setData((p) => p && { ...p, items: p.items.map((x) => (x.id === o.id ? o : x)) });
      setSelected((prev) => {
        if (!prev.has(o.id) || payable(o, serverNow())) return prev;
        const next = new Map(prev);
        next.delete(o.id);
        return next;
      });
    },
    [page.setData],
  );
  const actions = useOrderActions(replaceOrder);

  const onMergedPaid = (r: MergedPayment) => {
    const paid = new Map(r.orders.map((o) => [o.id, o]));
    page.setData((p) => p && { ...p, items: p.items.map((x) => paid.get(x.id) ?? x) });
    setSelected(new Map());
    setMerging(false);
    setCountNonce((n) => n + 1);
    message.success(
      t('mergePay.done', { n: r.orders.length, amount: formatMoney(r.total, r.balance.currency) }),
    );
  };
  const onMergeStale = (ids: string[]) => {
    for (const id of ids) api.order(org.id, id).then(replaceOrder, () => {});
  };

  const setFilter = (patch: Parameters<typeof update>[0]) => {
    setSelected(new Map());
    setJumpLimit(undefined);
    update(patch);
  };
  const goTo = (n: number, size: number) => {
    if (size !== filters.limit) {
      setFilter({ limit: size });
      return;
    }
    const next = positionOf(n, filters.limit, cursors.current);
    if (!next) {
      setJumpLimit(deepestJump(filters.limit));
      return;
    }
    setJumpLimit(undefined);
    setPos({ ...next, filterKey });
  };

  const columns: LiteColumn<Order>[] = [
    ...(canPay
      ? [
          {
            // Text, not the page's checkbox: on a phone it is also the label of the card's line.
            title: t('ordersList.select'),
            key: 'select',
            // wide enough for its title in one line in English ("Select")
            width: 72,
            render: (_: unknown, o: Order) => (
              <SelectCell order={o} checked={selected.has(o.id)} full={full} onToggle={toggle} />
            ),
          },
        ]
      : []),
    {
      title: t('orders.col.id'),
      dataIndex: 'id',
      width: 236,
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
      render: (v: OrderType, o: Order) => (
        <div className="tally-cell-stack">
          <span data-testid="order-type">{t(`order.type.${v}`)}</span>
          {o.createdBy === null && (
            <span style={{ fontSize: 12 }} className="tally-muted" data-testid="order-by-system">
              {t('orders.createdBySystem')}
            </span>
          )}
        </div>
      ),
    },
    { title: t('orders.col.cluster'), dataIndex: 'clusterName', ellipsis: true },
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
      render: (v: number, o: Order) => <span data-testid="order-amount">{formatMoney(v, o.currency)}</span>,
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
      render: (_: unknown, o: Order) => <StatusCell order={o} onPay={actions.pay} />,
    },
    {
      title: t('orders.col.actions'),
      key: 'actions',
      width: 140,
      render: (_: unknown, o: Order) => (
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
          aria-label={t('orders.filter.status')}
          value={filters.status ? filters.status.split(',') : []}
          options={STATUSES.map((s) => ({ value: s, label: t(`order.status.${s}`) }))}
          onChange={(v: string[]) => setFilter({ status: v.join(',') })}
          data-testid="filter-status"
        />
        <Select
          allowClear
          style={{ width: 120 }}
          placeholder={t('orders.filter.type')}
          aria-label={t('orders.filter.type')}
          value={filters.type || undefined}
          options={TYPES.map((s) => ({ value: s, label: t(`order.type.${s}`) }))}
          onChange={(v?: string) => setFilter({ type: v ?? '' })}
          data-testid="filter-type"
        />
        <Select
          allowClear
          style={{ width: 160 }}
          placeholder={t('orders.filter.project')}
          aria-label={t('orders.filter.project')}
          value={projects.some((p) => p.id === filters.projectId) ? filters.projectId : undefined}
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
              setSelected(new Map());
              setJumpLimit(undefined);
              reset();
            }}
          >
            {t('orders.filter.reset')}
          </Button>
        )}
        <ExportButton filters={filterQuery} />
      </Flex>
      {canPay && (
        <Flex
          wrap
          align="center"
          gap={8}
          style={{ marginBottom: 12, padding: '8px 12px', background: '#fafafa', borderRadius: 8 }}
          data-testid="selection-bar"
        >
          {pageCheckbox}
          <span data-testid="selected-count">{t('ordersList.selected', { n: selected.size })}</span>
          {selected.size > 0 && (
            <Typography.Text strong data-testid="selected-total">
              {t('ordersList.selectedTotal', {
                amount: formatMoney(selectedTotal, [...selected.values()][0]?.currency),
              })}
            </Typography.Text>
          )}
          {selected.size > 0 && (
            <Button
              type="link"
              size="small"
              onClick={() => setSelected(new Map())}
              data-testid="clear-selection"
            >
              {t('ordersList.clearSelection')}
            </Button>
          )}
          {full && (
            <Typography.Text type="warning" data-testid="selection-max" role="status">
              {t('ordersList.maxSelected', { max: MAX_SELECTED })}
            </Typography.Text>
          )}
          <Button
            type="primary"
            disabled={selected.size === 0}
            onClick={() => setMerging(true)}
            style={{ marginInlineStart: 'auto' }}
            data-testid="merge-pay"
          >
            {t('ordersList.mergePay')}
          </Button>
        </Flex>
      )}
      {page.error !== undefined && page.data && <ErrorState error={page.error} onRetry={page.reload} />}
      <LiteTable<Order>
        rowKey="id"
        columns={columns}
        dataSource={page.data?.items ?? []}
        loading={page.loading}
        scrollX={1100}
        emptyText={
          page.loading ? (
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
          )
        }
      />
      <Flex vertical align="flex-end" gap={4} style={{ marginTop: 16 }}>
        <Pagination
          current={at.page}
          pageSize={filters.limit}
          total={
            total ??
            provisionalTotal(at.page, filters.limit, shown?.items.length ?? 0, Boolean(shown?.nextCursor))
          }
          showTotal={() =>
            total === undefined ? null : (
              <span data-testid="orders-total">{t('ordersList.total', { n: total })}</span>
            )
          }
          showQuickJumper={!narrow && total !== undefined}
          showSizeChanger={!narrow}
          pageSizeOptions={PAGE_SIZES}
          simple={narrow}
          disabled={page.loading}
          onChange={goTo}
          aria-label={t('ordersList.pagination')}
          data-testid="orders-pagination"
        />
        {jumpLimit !== undefined && (
          <Typography.Text type="warning" role="status" data-testid="jump-limit">
            {t('ordersList.jumpLimit', { n: jumpLimit })}
          </Typography.Text>
        )}
      </Flex>
      {actions.dialogs}
      {merging && (
        <Suspense fallback={null}>
          <MergePayDialog
            orders={[...selected.values()]}
            onClose={() => setMerging(false)}
            onPaid={onMergedPaid}
            onStale={onMergeStale}
          />
        </Suspense>
      )}
    </Panel>
  );
}
