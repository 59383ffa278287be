import { Alert, Button, Empty, Flex, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { ErrorState } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { type Invoice, type InvoiceableItem, invoicesApi } from './invoices-api.js';
import { ItemCell, itemText } from './presentation.js';
import { RequestInvoiceDialog } from './RequestInvoiceDialog.js';

const keyOf = (i: { kind: string; id: string }) => `${i.kind}:${i.id}`;

/** 可开票: the bills and orders that may be invoiced now; choose several, then 申请开票. */
export function InvoiceableTab({
  version,
  onRequested,
}: {
  version: number;
  onRequested(inv: Invoice): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const mayRequest = can(org, 'invoice.request');
  const [more, setMore] = useState<InvoiceableItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [requesting, setRequesting] = useState<InvoiceableItem[]>();
  const list = useAsync(
    async (signal) => {
      const r = await invoicesApi.invoiceable(org.id, undefined, signal);
      setMore([]);
      setCursor(r.nextCursor);
      setSelected([]);
      return r.items;
    },
    [org.id, version],
  );
  const loadMore = useCallback(async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const r = await invoicesApi.invoiceable(org.id, cursor);
      setMore((m) => [...m, ...r.items]);
      setCursor(r.nextCursor);
    } catch (e) {
      message.error(`${t('invoices.moreFailed')}: ${errorText(e)}`);
    } finally {
      setLoadingMore(false);
    }
  }, [org.id, cursor, message, t, errorText]);
  const rows = useMemo(() => [...(list.data ?? []), ...more], [list.data, more]);
  const chosen = rows.filter((r) => selected.includes(keyOf(r)));
  const total = chosen.reduce((s, r) => s + r.amount, 0);

  if (list.error) return <ErrorState error={list.error} onRetry={list.reload} />;
  return (
    <div data-testid="invoiceable-tab">
      <Typography.Paragraph type="secondary">{t('invoices.intro')}</Typography.Paragraph>
      {!mayRequest && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('invoices.readOnly')} />
      )}
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 12 }}>
        <Typography.Text data-testid="invoiceable-selected" aria-live="polite">
          {t('invoices.selected', { count: chosen.length, amount: formatMoney(total, org.currency) })}
        </Typography.Text>
        {mayRequest && (
          <Button
            type="primary"
            disabled={chosen.length === 0}
            onClick={() => setRequesting(chosen)}
            data-testid="invoice-request"
          >
            {t('invoices.request')}
          </Button>
        )}
      </Flex>
      <CardTable<InvoiceableItem>
        rowKey={keyOf}
        loading={list.loading}
        pagination={false}
        dataSource={rows}
        locale={{ emptyText: <Empty description={t('invoices.noInvoiceable')} /> }}
        onRow={(r) => ({ 'data-testid': `invoiceable-row-${r.id}` }) as React.HTMLAttributes<HTMLElement>}
        rowSelection={
          mayRequest
            ? {
                selectedRowKeys: selected,
                onChange: (keys) => setSelected(keys.map(String)),
                getCheckboxProps: (r) =>
                  ({ 'aria-label': t('invoices.select', { item: itemText(t, r) }) }) as object,
              }
            : undefined
        }
        columns={[
          {
            title: t('invoices.kind'),
            dataIndex: 'kind',
            render: (k: InvoiceableItem['kind']) => t(`invoices.kind.${k}`),
          },
          { title: t('invoices.item'), key: 'item', render: (_: unknown, r) => <ItemCell t={t} item={r} /> },
          {
            title: t('invoices.amount'),
            dataIndex: 'amount',
            align: 'right',
            render: (v: number, r) => formatMoney(v, r.currency),
          },
          {
            title: t('invoices.paidAt'),
            dataIndex: 'paidAt',
            render: (v: string) => formatInstant(v, org.timeZone),
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
      {requesting && (
        <RequestInvoiceDialog
          items={requesting}
          onClose={() => setRequesting(undefined)}
          onRefused={list.reload}
          onRequested={(inv) => {
            setRequesting(undefined);
            message.success(t('invoices.requested'));
            onRequested(inv);
          }}
        />
      )}
    </div>
  );
}
