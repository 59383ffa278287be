import { Alert, Button, Card, Descriptions, Empty, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { ApiError, downloadFile } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { BillLine, BillStatus, BillSummary } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { ErrorState } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { billsText, unitPrice } from './bills-text.js';

const COLORS: Record<BillStatus, string> = { open: 'blue', unpaid: 'orange', paid: 'green', overdue: 'red' };

function useBillsText() {
  const { locale } = useI18n();
  return { b: billsText(locale), docLang: locale === 'en-US' ? ('en' as const) : ('zh-CN' as const) };
}

/** PDF, CSV and Excel downloads of one month. */
function Downloads({ bill }: { bill: BillSummary }) {
  const { b, docLang } = useBillsText();
  const { errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const [busy, setBusy] = useState<string | undefined>();
  const get = useCallback(
    async (kind: 'pdf' | 'csv' | 'xlsx') => {
      setBusy(kind);
      try {
        const path =
          kind === 'pdf'
            ? api.billDocumentPath(org.id, bill.month, docLang)
            : api.billExportPath(org.id, bill.month, kind, docLang);
        const name = await downloadFile(path, `bill-${bill.month}.${kind}`);
        message.success(b('downloaded', { name }));
      } catch (e) {
        message.error(`${b('downloadFailed')}: ${errorText(e)}`);
      } finally {
        setBusy(undefined);
      }
    },
    [org.id, bill.month, docLang, message, b, errorText],
  );
  return (
    <Space size={4} wrap>
      {(['pdf', 'csv', 'xlsx'] as const).map((k) => (
        <Button
          key={k}
          size="small"
          type="link"
          loading={busy === k}
          onClick={() => void get(k)}
          data-testid={`bill-${k}-${bill.month}`}
        >
          {b(k)}
        </Button>
      ))}
    </Space>
  );
}

/** One month opened: its lines (orders prepaid and settled, usage with coupons applied) and the coupons. */
function BillLines({ month }: { month: string }) {
  const { b } = useBillsText();
  const { org } = useOrg();
  const detail = useAsync((signal) => api.bill(org.id, month, signal), [org.id, month]);
  if (detail.error) return <ErrorState error={detail.error} onRetry={detail.reload} />;
  const bill = detail.data;
  const item = (l: BillLine) =>
    l.kind === 'subscription' ? (
      <span>
        {b(l.orderType ?? 'new_purchase')} <Typography.Text code>{l.orderId}</Typography.Text> ·{' '}
        {l.clusterName} <Tag>{b('settled')}</Tag>
      </span>
    ) : (
      <span>
        {b(l.metric ?? 'storage')} · {l.clusterName}
      </span>
    );
  return (
    <div data-testid={`bill-lines-${month}`}>
      {bill?.status === 'open' && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} title={b('openNote')} />
      )}
      {bill?.status === 'overdue' && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} title={b('overdueNote')} />
      )}
      <Table<BillLine>
        size="small"
        rowKey="lineNo"
        loading={detail.loading}
        pagination={bill && bill.lines.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
        dataSource={bill?.lines ?? []}
        locale={{ emptyText: <Empty description={b('noLines')} /> }}
        columns={[
          { title: b('item'), key: 'item', render: (_: unknown, l) => item(l) },
          {
            title: b('quantity'),
            key: 'quantity',
            align: 'right',
            render: (_: unknown, l) => (l.quantity ? `${l.quantity} ${l.unit ?? ''}` : ''),
          },
          {
            title: b('unitPrice'),
            key: 'unitPrice',
            align: 'right',
            render: (_: unknown, l) => unitPrice(l.unitPriceMicros, l.unit),
          },
          {
            title: b('amount'),
            dataIndex: 'amount',
            align: 'right',
            render: (v: number) => formatMoney(v, bill?.currency),
          },
          {
            title: b('coupon'),
            dataIndex: 'couponAmount',
            align: 'right',
            render: (v: number) => (v ? `-${formatMoney(v, bill?.currency)}` : ''),
          },
          {
            title: b('due'),
            dataIndex: 'dueAmount',
            align: 'right',
            render: (v: number) => formatMoney(v, bill?.currency),
          },
        ]}
      />
      {bill && bill.couponApplications.length > 0 && (
        <Descriptions
          size="small"
          style={{ marginTop: 12 }}
          title={b('couponsApplied')}
          column={1}
          items={bill.couponApplications.map((a) => ({
            key: `${a.couponId}-${a.lineNo}`,
            label: `${b('couponId')} ${a.couponId} → ${b('lineNo')} ${a.lineNo}`,
            children: `-${formatMoney(a.amount, bill.currency)}`,
          }))}
        />
      )}
    </div>
  );
}

/**
 * 账单: one row per month, newest first — the current month open (未出账) and growing with usage, then the
 * issued bills: totals, coupons applied, amount due, status, and PDF / spreadsheet downloads; a row opens
 * its lines.
 */
export function BillsPage() {
  const { b } = useBillsText();
  const { org } = useOrg();
  const [pages, setPages] = useState<BillSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const first = useAsync(
    async (signal) => {
      const r = await api.bills(org.id, undefined, signal);
      setPages([]);
      setCursor(r.nextCursor);
      return r.items;
    },
    [org.id],
  );
  const more = useCallback(async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const r = await api.bills(org.id, cursor);
      setPages((p) => [...p, ...r.items]);
      setCursor(r.nextCursor);
    } finally {
      setLoadingMore(false);
    }
  }, [org.id, cursor]);
  if (first.error instanceof ApiError && first.error.status === 403) {
    return <ErrorState error={first.error} />;
  }
  const rows = [...(first.data ?? []), ...pages];
  const money = (v: number, r: BillSummary) => formatMoney(v, r.currency);
  return (
    <Card title={b('title')} data-testid="bills-page">
      {first.error ? (
        <ErrorState error={first.error} onRetry={first.reload} />
      ) : (
        <>
          <Table<BillSummary>
            rowKey="month"
            loading={first.loading}
            pagination={false}
            dataSource={rows}
            scroll={{ x: 960 }}
            locale={{ emptyText: <Empty description={b('empty')} /> }}
            expandable={{ expandedRowRender: (r) => <BillLines month={r.month} /> }}
            columns={[
              { title: b('month'), dataIndex: 'month', fixed: 'left' },
              {
                title: b('status'),
                dataIndex: 'status',
                render: (s: BillStatus) => (
                  <Tag color={COLORS[s]} data-testid={`bill-status-${s}`}>
                    {b(`status.${s}`)}
                  </Tag>
                ),
              },
              { title: b('total'), dataIndex: 'totalAmount', align: 'right', render: money },
              { title: b('prepaid'), dataIndex: 'prepaidAmount', align: 'right', render: money },
              { title: b('usage'), dataIndex: 'usageAmount', align: 'right', render: money },
              {
                title: b('coupons'),
                dataIndex: 'couponAmount',
                align: 'right',
                render: (v: number, r) => (v ? `-${money(v, r)}` : money(0, r)),
              },
              { title: b('amountDue'), dataIndex: 'amountDue', align: 'right', render: money },
              {
                title: b('outstanding'),
                dataIndex: 'outstandingAmount',
                align: 'right',
                render: (v: number, r) => (
                  <Typography.Text type={v > 0 ? 'danger' : undefined}>{money(v, r)}</Typography.Text>
                ),
              },
              {
                title: b('dueAt'),
                dataIndex: 'dueAt',
                render: (v: string | null) => formatInstant(v, org.timeZone),
              },
              { title: b('actions'), key: 'actions', render: (_: unknown, r) => <Downloads bill={r} /> },
            ]}
          />
          {cursor && (
            <div style={{ textAlign: 'center', marginTop: 12 }}>
              <Button loading={loadingMore} onClick={() => void more()}>
                {b('more')}
              </Button>
            </div>
          )}
        </>
      )}
    </Card>
  );
}
