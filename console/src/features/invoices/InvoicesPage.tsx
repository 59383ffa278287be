import { Card, Tabs } from 'antd';
import { useState } from 'react';
import { useI18n } from '../../i18n/i18n.js';
import { AutoInvoiceTab } from './AutoInvoiceTab.js';
import { InvoiceableTab } from './InvoiceableTab.js';
import { InvoiceRecords } from './InvoiceRecords.js';

type TabKey = 'invoiceable' | 'records' | 'auto';

/**
 * 发票 (SPEC §10.4): 可开票 (choose bills and orders, then 申请开票), 开票记录 (each request's status, number,
 * date and PDF) and 自动开票. A request made here shows at once in 开票记录 and leaves 可开票.
 */
export function InvoicesPage() {
  const { t } = useI18n();
  const [tab, setTab] = useState<TabKey>('invoiceable');
  // bumped by a request: both lists load again
  const [version, setVersion] = useState(0);
  const label = (key: TabKey, text: string) => <span data-testid={`invoices-tab-${key}`}>{text}</span>;
  return (
    <Card title={t('invoices.title')} data-testid="invoices-page">
      <Tabs
        activeKey={tab}
        onChange={(k) => setTab(k as TabKey)}
        items={[
          {
            key: 'invoiceable',
            label: label('invoiceable', t('invoices.tab.invoiceable')),
            children: (
              <InvoiceableTab
                version={version}
                onRequested={() => {
                  setVersion((v) => v + 1);
                  setTab('records');
                }}
              />
            ),
          },
          {
            key: 'records',
            label: label('records', t('invoices.tab.records')),
            children: <InvoiceRecords version={version} />,
          },
          {
            key: 'auto',
            label: label('auto', t('invoices.tab.auto')),
            children: <AutoInvoiceTab />,
          },
        ]}
      />
    </Card>
  );
}
