import { DownloadOutlined } from '@ant-design/icons';
import { Alert, Button, Dropdown, Empty, Flex, Input, Select, type TableColumnsType } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { downloadFile, get, qs } from '../../api/client.js';
import type { LedgerEntry, Page } from '../../api/types.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { Panel } from '../../components/Panel.js';
import { ErrorState } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { withLaterStyles } from '../../lib/laterStyles.js';
import { formatMoney } from '../../lib/money.js';
import { addDays, formatInstant, ymdToInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';

// The orders page's date-range picker (calendar days read in the org's zone); it loads after the first rows.
const DateRangeFilter = lazy(() => withLaterStyles(import('../orders/DateRangeFilter.js')));

type Kind = LedgerEntry['kind'];
const KINDS: Kind[] = ['topup', 'order_payment', 'bill_payment', 'reversal'];
const YMD = /^\d{4}-\d{2}-\d{2}$/;
const PAGE_SIZE = 20;
/** Darker than antd's success/error text, so that the amounts keep a 4.5:1 contrast on white. */
const CREDIT_COLOR = '#237804';
const DEBIT_COLOR = '#a8071a';

/** The filters live in the URL (shareable, survive a reload); the page cursors live in memory. */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const kind = params.get('kind') ?? '';
  const filters = {
    kind: (KINDS as string[]).includes(kind) ? (kind as Kind) : undefined,
    from: YMD.test(params.get('from') ?? '') ? params.get('from')! : '',
    to: YMD.test(params.get('to') ?? '') ? params.get('to')! : '',
  };
  const update = useCallback(
    (patch: Partial<Record<'kind' | 'from' | 'to', string>>) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (!v) next.delete(k);
            else next.set(k, v);
          }
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return { filters, update, reset: () => setParams(new URLSearchParams(), { replace: true }) };
}

/** 收支明细: the cash ledger, filterable by kind and days (in the org's zone), paged and exportable. */
export function LedgerPage() {
  const { t, locale, errorText } = useI18n();
  const message = useToast();
  const { org } = useOrg();
  const tz = org.timeZone;
  const { filters, update, reset } = useFilters();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  // The days chosen are the org's calendar days: [from 00:00, the day after `to` 00:00) in its zone.
  const range = useMemo(
    () => ({
      kind: filters.kind,
      from: filters.from ? ymdToInstant(filters.from, tz).toISOString() : undefined,
      to: filters.to ? ymdToInstant(addDays(filters.to, 1), tz).toISOString() : undefined,
    }),
    [filters.kind, filters.from, filters.to, tz],
  );
  const key = JSON.stringify(range);
  const page = useAsync(
    (signal) =>
      get<Page<LedgerEntry>>(
        `/v1/orgs/${org.id}/ledger${qs({ ...range, limit: PAGE_SIZE, cursor })}`,
        signal,
      ),
    [org.id, key, cursor],
  );
  const [pickerReady, setPickerReady] = useState(false);
  useEffect(() => {
    if (page.data || page.error) setPickerReady(true);
  }, [page.data, page.error]);
  const filtered = Boolean(filters.kind || filters.from || filters.to);
  const setFilter = (patch: Parameters<typeof update>[0]) => {
    setCursors([undefined]);
    update(patch);
  };

  const [exporting, setExporting] = useState<'csv' | 'xlsx' | undefined>();
  const exportAs = async (format: 'csv' | 'xlsx') => {
    setExporting(format);
    try {
      const path = `/v1/orgs/${org.id}/ledger/export${qs({ format, ...range, lang: locale })}`;
      const name = await downloadFile(path, `ledger.${format}`);
      message.success(t('ledger.exported', { name }));
    } catch (e) {
      message.error(`${t('ledger.exportFailed')}: ${errorText(e)}`);
    } finally {
      setExporting(undefined);
    }
  };

  const mayReadOrders = can(org, 'order.list');
  const columns: TableColumnsType<LedgerEntry> = [
    {
      title: t('ledger.col.time', { zone: tz }),
      dataIndex: 'createdAt',
      width: 190,
      render: (v: string) => <span data-testid="ledger-time">{formatInstant(v, tz, { zone: false })}</span>,
    },
    {
      title: t('ledger.col.kind'),
      dataIndex: 'kind',
      width: 120,
      render: (k: Kind) => <span data-testid="ledger-kind">{t(`ledger.kind.${k}`)}</span>,
    },
    {
      title: t('ledger.col.amount'),
      dataIndex: 'amount',
      align: 'right',
      width: 150,
      render: (v: number, e) => (
        <span
          style={{ color: v > 0 ? CREDIT_COLOR : DEBIT_COLOR, fontVariantNumeric: 'tabular-nums' }}
          data-testid="ledger-amount"
          data-amount={v}
          title={t(v > 0 ? 'ledger.credit' : 'ledger.debit')}
        >
          {v > 0 ? '+' : '−'}
          {formatMoney(Math.abs(v), e.currency)}
        </span>
      ),
    },
    {
      title: t('ledger.col.reference'),
      key: 'reference',
      render: (_: unknown, e) => {
        if (e.orderId && mayReadOrders)
          return (
            <Link to={`/orgs/${org.id}/orders/${e.orderId}`} data-testid="ledger-order-link">
              <span style={{ fontFamily: 'monospace', fontSize: 12, wordBreak: 'break-all' }}>
                {e.orderId}
              </span>
            </Link>
          );
        const bill = /^bill:(\d{4}-\d{2})$/.exec(e.reference);
        return (
          <span data-testid="ledger-reference" style={{ wordBreak: 'break-all' }}>
            {bill ? t('ledger.bill', { month: bill[1] ?? '' }) : e.reference}
          </span>
        );
      },
    },
    {
      title: t('ledger.col.memo'),
      dataIndex: 'memo',
      render: (v: string | null) => v ?? t('common.none'),
    },
  ];

  if (page.error && !page.data) return <ErrorState error={page.error} onRetry={page.reload} />;

  return (
    <Panel
      title={t('ledger.title')}
      testId="ledger-page"
      extra={
        <Dropdown
          trigger={['click']}
          menu={{
            items: [
              { key: 'csv', label: <span data-testid="ledger-export-csv">{t('ledger.exportCsv')}</span> },
              { key: 'xlsx', label: <span data-testid="ledger-export-xlsx">{t('ledger.exportXlsx')}</span> },
            ],
            onClick: ({ key }) => void exportAs(key as 'csv' | 'xlsx'),
          }}
        >
          <Button icon={<DownloadOutlined />} loading={exporting !== undefined} data-testid="ledger-export">
            {t('ledger.export')}
          </Button>
        </Dropdown>
      }
    >
      <Alert type="info" showIcon title={t('ledger.tip', { zone: tz })} style={{ marginBottom: 16 }} />
      <Flex wrap gap={8} style={{ marginBottom: 16 }}>
        <Select
          allowClear
          style={{ width: 160 }}
          placeholder={t('ledger.filter.kind')}
          aria-label={t('ledger.filter.kind')}
          value={filters.kind}
          options={KINDS.map((k) => ({ value: k, label: t(`ledger.kind.${k}`) }))}
          onChange={(v?: string) => setFilter({ kind: v ?? '' })}
          data-testid="ledger-filter-kind"
        />
        <div data-testid="ledger-filter-range">
          {pickerReady ? (
            <Suspense
              fallback={<Input readOnly style={{ width: 260 }} aria-label={t('ledger.filter.range')} />}
            >
              <DateRangeFilter
                from={filters.from}
                to={filters.to}
                onChange={(from, to) => setFilter({ from, to })}
              />
            </Suspense>
          ) : (
            <Input readOnly style={{ width: 260 }} aria-label={t('ledger.filter.range')} />
          )}
        </div>
        {filtered && (
          <Button
            onClick={() => {
              setCursors([undefined]);
              reset();
            }}
            data-testid="ledger-filter-reset"
          >
            {t('ledger.filter.reset')}
          </Button>
        )}
      </Flex>
      {page.error !== undefined && page.data && <ErrorState error={page.error} onRetry={page.reload} />}
      <CardTable<LedgerEntry>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={page.data?.items ?? []}
        loading={page.loading}
        pagination={false}
        data-testid="ledger-table"
        locale={{
          emptyText: page.loading ? (
            ' '
          ) : (
            <Empty
              description={t(filtered ? 'ledger.emptyFiltered' : 'ledger.empty')}
              data-testid="ledger-empty"
            />
          ),
        }}
      />
      <Flex justify="flex-end" align="center" gap={8} wrap style={{ marginTop: 16 }}>
        <span style={{ color: 'rgba(0,0,0,0.6)' }}>{t('common.page', { n: cursors.length })}</span>
        <Button
          disabled={cursors.length <= 1 || page.loading}
          onClick={() => setCursors((c) => c.slice(0, -1))}
          data-testid="ledger-prev"
        >
          {t('common.prev')}
        </Button>
        <Button
          disabled={!page.data?.nextCursor || page.loading}
          onClick={() => setCursors((c) => [...c, page.data?.nextCursor ?? undefined])}
          data-testid="ledger-next"
        >
          {t('common.next')}
        </Button>
      </Flex>
    </Panel>
  );
}
