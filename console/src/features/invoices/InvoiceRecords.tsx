import { Button, Descriptions, Empty, Space, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { downloadFile } from '../../api/client.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { ErrorState } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { type Invoice, invoicesApi } from './invoices-api.js';
import { DESCRIPTION_STYLES, itemText, StatusTag } from './presentation.js';

/** 下载 PDF of an issued invoice. */
function Download({ invoice }: { invoice: Invoice }) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const [busy, setBusy] = useState(false);
  const get = async () => {
    setBusy(true);
    try {
      const name = await downloadFile(
        invoicesApi.documentPath(org.id, invoice.id),
        `invoice-${invoice.number ?? invoice.id}.pdf`,
      );
      message.success(t('invoices.downloaded', { name }));
    } catch (e) {
      message.error(`${t('invoices.downloadFailed')}: ${errorText(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button
      type="link"
      size="small"
      loading={busy}
      onClick={() => void get()}
      data-testid={`invoice-download-${invoice.id}`}
      aria-label={`${t('invoices.download')} ${invoice.number ?? invoice.id}`}
    >
      {t('invoices.download')}
    </Button>
  );
}

/** An invoice opened: the buyer copied from the certification, the items, the addresses and the remark. */
function InvoiceDetail({ invoice }: { invoice: Invoice }) {
  const { t } = useI18n();
  const b = invoice.buyer;
  const money = (v: number) => formatMoney(v, invoice.currency);
  return (
    <Descriptions
      styles={DESCRIPTION_STYLES}
      size="small"
      column={1}
      data-testid={`invoice-detail-${invoice.id}`}
      items={[
        { key: 'buyer', label: t('invoices.buyer'), children: b?.title ?? t('common.none') },
        ...(b?.taxId ? [{ key: 'tax', label: t('invoices.taxId'), children: b.taxId }] : []),
        {
          key: 'items',
          label: t('invoices.items'),
          children: (
            <Space direction="vertical" size={0}>
              {invoice.items.map((i) => (
                <span key={`${i.kind}:${i.id}`}>
                  {itemText(t, i)} {money(i.amount)}
                </span>
              ))}
            </Space>
          ),
        },
        { key: 'emails', label: t('invoices.emails'), children: invoice.emails.join(', ') },
        ...(invoice.remark ? [{ key: 'remark', label: t('invoices.remark'), children: invoice.remark }] : []),
      ]}
    />
  );
}

/** 开票记录: every request, newest first — status (with the reason of a failure), number, date, amount, PDF. */
export function InvoiceRecords({ version }: { version: number }) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const [more, setMore] = useState<Invoice[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const list = useAsync(
    async (signal) => {
      const r = await invoicesApi.invoices(org.id, undefined, signal);
      setMore([]);
      setCursor(r.nextCursor);
      return r.items;
    },
    [org.id, version],
  );
  const loadMore = useCallback(async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const r = await invoicesApi.invoices(org.id, cursor);
      setMore((m) => [...m, ...r.items]);
      setCursor(r.nextCursor);
    } catch (e) {
      message.error(`${t('invoices.moreFailed')}: ${errorText(e)}`);
    } finally {
      setLoadingMore(false);
    }
  }, [org.id, cursor, message, t, errorText]);
  if (list.error) return <ErrorState error={list.error} onRetry={list.reload} />;
  const rows = [...(list.data ?? []), ...more];
  return (
    <div data-testid="invoice-records">
      <CardTable<Invoice>
        rowKey="id"
        loading={list.loading}
        pagination={false}
        dataSource={rows}
        scrollX={900}
        locale={{ emptyText: <Empty description={t('invoices.noRecords')} /> }}
        onRow={(r) => ({ 'data-testid': `invoice-row-${r.id}` }) as React.HTMLAttributes<HTMLElement>}
        expandable={{ expandedRowRender: (r) => <InvoiceDetail invoice={r} /> }}
        columns={[
          {
            title: t('invoices.requestedAt'),
            dataIndex: 'requestedAt',
            render: (v: string) => formatInstant(v, org.timeZone),
          },
          {
            title: t('invoices.type'),
            dataIndex: 'type',
            render: (v: Invoice['type'], r) => (
              <span>
                {t(`invoices.typeShort.${v}`)} {r.automatic && <Tag>{t('invoices.automatic')}</Tag>}
              </span>
            ),
          },
          {
            title: t('invoices.total'),
            dataIndex: 'totalAmount',
            align: 'right',
            render: (v: number, r) => formatMoney(v, r.currency),
          },
          {
            title: t('invoices.status'),
            dataIndex: 'status',
            render: (s: Invoice['status'], r) => (
              <div>
                <StatusTag t={t} status={s} />
                {s === 'failed' && r.failureReason && (
                  <div>
                    <Typography.Text type="danger" data-testid={`invoice-failure-${r.id}`}>
                      {t('invoices.failureReason', { reason: r.failureReason })}
                    </Typography.Text>
                  </div>
                )}
              </div>
            ),
          },
          {
            title: t('invoices.number'),
            dataIndex: 'number',
            render: (v: string | null) => v ?? t('common.none'),
          },
          {
            title: t('invoices.issuedAt'),
            dataIndex: 'issuedAt',
            render: (v: string | null) => formatInstant(v, org.timeZone),
          },
          {
            title: t('invoices.actions'),
            key: 'actions',
            render: (_: unknown, r) =>
              r.status === 'issued' && r.hasDocument ? <Download invoice={r} /> : null,
          },
        ]}
      />
      {cursor && (
        <div style={{ textAlign: 'center', marginTop: 12 }}>
          <Button loading={loadingMore} onClick={() => void loadMore()}>
            {t('invoices.more')}
          </Button>
        </div>
      )}
    </div>
  );
}
