import { Alert, Button, Card, Descriptions, Empty, Space, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, downloadFile } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { BillLine, BillStatus, BillSummary } from '../../api/types.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { ErrorState } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { type MessageKey, useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { refreshArrears } from './arrears-store.js';
import { ConfirmBillDialog, DESCRIPTION_STYLES, DisputeBillDialog } from './BillDialogs.js';
import { unitPrice } from './unit-price.js';

/** Every bill status has its words and colour: a new status fails the type check until it has them. */
const STATUS: Record<BillStatus, { label: MessageKey; color: string; text?: string }> = {
  open: { label: 'bills.status.open', color: 'blue' },
  // gold-8 and purple-9 text: 4.5:1 or more on their tags' light backgrounds
  pending_confirmation: { label: 'bills.status.pending_confirmation', color: 'gold', text: '#874d00' },
  disputed: { label: 'bills.status.disputed', color: 'purple', text: '#22075e' },
  unpaid: { label: 'bills.status.unpaid', color: 'orange' },
  paid: { label: 'bills.status.paid', color: 'green' },
  overdue: { label: 'bills.status.overdue', color: 'red' },
};

/** Something is still owed on a confirmed bill: the amount in red, and the way to pay when the role has it. */
function Outstanding({ bill }: { bill: BillSummary }) {
  const { t } = useI18n();
  const { org } = useOrg();
  const v = bill.outstandingAmount;
  const owed = v > 0 && (bill.status === 'unpaid' || bill.status === 'overdue');
  return (
    <Space size={4} wrap>
      <Typography.Text type={owed ? 'danger' : undefined}>{formatMoney(v, bill.currency)}</Typography.Text>
      {owed && can(org, 'remittance.read') && (
        <Link to={`/orgs/${org.id}/topup`} data-testid={`bill-topup-${bill.month}`}>
          {t('bills.goTopup')}
        </Link>
      )}
    </Space>
  );
}

/** The status, with what it means now: when a pending bill confirms itself, why a bill is disputed. */
function StatusCell({ bill }: { bill: BillSummary }) {
  const { t } = useI18n();
  const { org } = useOrg();
  const s = STATUS[bill.status];
  return (
    <div>
      <Tag
        color={s.color}
        style={s.text ? { color: s.text } : undefined}
        data-testid={`bill-status-${bill.status}`}
      >
        {t(s.label)}
      </Tag>
      {bill.status === 'pending_confirmation' && bill.confirmsAt && (
        <div>
          <Typography.Text type="secondary" data-testid={`bill-confirms-at-${bill.month}`}>
            {t('bills.confirmsAt', { time: formatInstant(bill.confirmsAt, org.timeZone) })}
          </Typography.Text>
        </div>
      )}
      {bill.status === 'disputed' && bill.disputeReason && (
        <div style={{ maxWidth: 240 }}>
          <Typography.Text type="secondary" data-testid={`bill-dispute-reason-${bill.month}`}>
            {t('bills.disputedNote', { reason: bill.disputeReason })}
          </Typography.Text>
        </div>
      )}
    </div>
  );
}

/** PDF, CSV and Excel downloads of one month. */
function Downloads({ bill }: { bill: BillSummary }) {
  const { t, locale, errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const [busy, setBusy] = useState<string | undefined>();
  const get = useCallback(
    async (kind: 'pdf' | 'csv' | 'xlsx') => {
      setBusy(kind);
      try {
        const path =
          kind === 'pdf'
            ? api.billDocumentPath(org.id, bill.month, locale)
            : api.billExportPath(org.id, bill.month, kind, locale);
        const name = await downloadFile(path, `bill-${bill.month}.${kind}`);
        message.success(t('bills.downloaded', { name }));
      } catch (e) {
        message.error(`${t('bills.downloadFailed')}: ${errorText(e)}`);
      } finally {
        setBusy(undefined);
      }
    },
    [org.id, bill.month, locale, message, t, errorText],
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
          {t(`bills.${k}`)}
        </Button>
      ))}
    </Space>
  );
}

/** One month opened: its lines (orders prepaid and settled, usage with coupons applied) and the coupons. */
function BillLines({ month }: { month: string }) {
  const { t } = useI18n();
  const { org } = useOrg();
  const detail = useAsync((signal) => api.bill(org.id, month, signal), [org.id, month]);
  if (detail.error) return <ErrorState error={detail.error} onRetry={detail.reload} />;
  const bill = detail.data;
  const item = (l: BillLine) =>
    l.kind === 'adjustment' ? (
      <span data-testid={`bill-adjustment-${month}`}>
        <Tag color="purple">{t('bills.adjustment')}</Tag> {t('bills.adjustmentLine')}
      </span>
    ) : l.kind === 'subscription' ? (
      <span>
        {t(`order.type.${l.orderType ?? 'new_purchase'}`)} <Typography.Text code>{l.orderId}</Typography.Text>{' '}
        · {l.clusterName} <Tag>{t('bills.settled')}</Tag>
      </span>
    ) : (
      <span>
        {t(`bills.metric.${l.metric ?? 'storage'}`)} · {l.clusterName}
      </span>
    );
  return (
    <div data-testid={`bill-lines-${month}`}>
      {bill?.status === 'open' && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('bills.openNote')} />
      )}
      {bill?.status === 'pending_confirmation' && bill.confirmsAt && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('bills.pendingNote', { time: formatInstant(bill.confirmsAt, org.timeZone) })}
        />
      )}
      {bill?.status === 'disputed' && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('bills.disputedNote', { reason: bill.disputeReason ?? '' })}
        />
      )}
      {bill?.status === 'unpaid' && bill.outstandingAmount > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('bills.outstandingNote', { amount: formatMoney(bill.outstandingAmount, bill.currency) })}
        />
      )}
      {bill?.status === 'overdue' && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} title={t('bills.overdueNote')} />
      )}
      <CardTable<BillLine>
        size="small"
        rowKey="lineNo"
        loading={detail.loading}
        pagination={bill && bill.lines.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
        dataSource={bill?.lines ?? []}
        locale={{ emptyText: <Empty description={t('bills.noLines')} /> }}
        columns={[
          { title: t('bills.item'), key: 'item', render: (_: unknown, l) => item(l) },
          {
            title: t('bills.quantity'),
            key: 'quantity',
            align: 'right',
            render: (_: unknown, l) => (l.quantity ? `${l.quantity} ${l.unit ?? ''}` : ''),
          },
          {
            title: t('bills.unitPrice'),
            key: 'unitPrice',
            align: 'right',
            render: (_: unknown, l) => unitPrice(l.unitPriceMicros, l.unit),
          },
          {
            title: t('bills.amount'),
            dataIndex: 'amount',
            align: 'right',
            render: (v: number) => formatMoney(v, bill?.currency),
          },
          {
            title: t('bills.coupon'),
            dataIndex: 'couponAmount',
            align: 'right',
            render: (v: number) => (v ? `-${formatMoney(v, bill?.currency)}` : ''),
          },
          {
            title: t('bills.due'),
            dataIndex: 'dueAmount',
            align: 'right',
            render: (v: number) => formatMoney(v, bill?.currency),
          },
        ]}
      />
      {bill && bill.adjustmentAmount > 0 && (
        <Typography.Paragraph style={{ marginTop: 12 }}>
          {t('bills.adjustmentAmount')}: -{formatMoney(bill.adjustmentAmount, bill.currency)}
        </Typography.Paragraph>
      )}
      {bill && bill.couponApplications.length > 0 && (
        <Descriptions
          styles={DESCRIPTION_STYLES}
          size="small"
          style={{ marginTop: 12 }}
          title={t('bills.couponsApplied')}
          column={1}
          items={bill.couponApplications.map((a) => ({
            key: `${a.couponId}-${a.lineNo}`,
            label: `${t('bills.couponId')} ${a.couponId} → ${t('bills.lineNo')} ${a.lineNo}`,
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
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const [pages, setPages] = useState<BillSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [confirming, setConfirming] = useState<BillSummary>();
  const [disputing, setDisputing] = useState<BillSummary>();
  const mayConfirm = can(org, 'bill.confirm');
  const mayDispute = can(org, 'bill.dispute');
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
    } catch (e) {
      // the rows on screen stay; the button stays for a retry
      message.error(`${t('bills.moreFailed')}: ${errorText(e)}`);
    } finally {
      setLoadingMore(false);
    }
  }, [org.id, cursor, message, t, errorText]);
  if (first.error instanceof ApiError && first.error.status === 403) {
    return <ErrorState error={first.error} />;
  }
  const rows = [...(first.data ?? []), ...pages];
  /** A bill changed by a dialog: its row in place (its lines load again when opened), and the banner. */
  const replace = (b: BillSummary) => {
    const swap = (list: BillSummary[]) => list.map((r) => (r.month === b.month ? b : r));
    first.setData((d) => d && swap(d));
    setPages(swap);
    refreshArrears(org.id);
  };
  const money = (v: number, r: BillSummary) => formatMoney(v, r.currency);
  return (
    <Card title={t('bills.title')} data-testid="bills-page">
      {first.error ? (
        <ErrorState error={first.error} onRetry={first.reload} />
      ) : (
        <>
          <CardTable<BillSummary>
            rowKey="month"
            loading={first.loading}
            pagination={false}
            dataSource={rows}
            scrollX={960}
            locale={{ emptyText: <Empty description={t('bills.empty')} /> }}
            expandable={{ expandedRowRender: (r) => <BillLines month={r.month} /> }}
            columns={[
              { title: t('bills.month'), dataIndex: 'month', fixed: 'left' },
              {
                title: t('bills.status'),
                dataIndex: 'status',
                width: 200,
                render: (_: BillStatus, r) => <StatusCell bill={r} />,
              },
              { title: t('bills.total'), dataIndex: 'totalAmount', align: 'right', render: money },
              { title: t('bills.prepaid'), dataIndex: 'prepaidAmount', align: 'right', render: money },
              { title: t('bills.usage'), dataIndex: 'usageAmount', align: 'right', render: money },
              {
                title: t('bills.coupons'),
                dataIndex: 'couponAmount',
                align: 'right',
                render: (v: number, r) => (v ? `-${money(v, r)}` : money(0, r)),
              },
              { title: t('bills.amountDue'), dataIndex: 'amountDue', align: 'right', render: money },
              {
                title: t('bills.outstanding'),
                dataIndex: 'outstandingAmount',
                align: 'right',
                render: (_: number, r) => <Outstanding bill={r} />,
              },
              {
                title: t('bills.dueAt'),
                dataIndex: 'dueAt',
                render: (v: string | null) => formatInstant(v, org.timeZone),
              },
              {
                title: t('bills.actions'),
                key: 'actions',
                render: (_: unknown, r) => (
                  <Space size={4} wrap>
                    {r.status === 'pending_confirmation' && mayConfirm && (
                      <Button
                        size="small"
                        type="primary"
                        onClick={() => setConfirming(r)}
                        data-testid={`bill-confirm-${r.month}`}
                      >
                        {t('bills.confirm')}
                      </Button>
                    )}
                    {r.status === 'pending_confirmation' && mayDispute && (
                      <Button
                        size="small"
                        onClick={() => setDisputing(r)}
                        data-testid={`bill-dispute-${r.month}`}
                      >
                        {t('bills.dispute')}
                      </Button>
                    )}
                    <Downloads bill={r} />
                  </Space>
                ),
              },
            ]}
          />
          {cursor && (
            <div style={{ textAlign: 'center', marginTop: 12 }}>
              <Button loading={loadingMore} onClick={() => void more()}>
                {t('bills.more')}
              </Button>
            </div>
          )}
        </>
      )}
      {confirming && (
        <ConfirmBillDialog
          bill={confirming}
          onClose={() => setConfirming(undefined)}
          onDone={(b) => {
            replace(b);
            setConfirming(undefined);
            message.success(t('bills.confirmed'));
          }}
        />
      )}
      {disputing && (
        <DisputeBillDialog
          bill={disputing}
          onClose={() => setDisputing(undefined)}
          onDone={(b) => {
            replace(b);
            setDisputing(undefined);
            message.success(t('bills.disputed'));
          }}
        />
      )}
    </Card>
  );
}
