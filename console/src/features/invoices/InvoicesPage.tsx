import { Card, Segmented, Tabs } from 'antd';
import { type ReactNode, useState } from 'react';
import { useI18n } from '../../i18n/i18n.js';
import { useNarrow } from '../../lib/responsive.js';
import { AutoInvoiceTab } from './AutoInvoiceTab.js';
import { InvoiceableTab } from './InvoiceableTab.js';
import { InvoiceRecords } from './InvoiceRecords.js';

type TabKey = 'invoiceable' | 'records' | 'auto';
const TABS: TabKey[] = ['invoiceable', 'records', 'auto'];

/** antd's blue-7, 6:1 on white */
const SELECTED_TAB = '#0958d9';

/**
 * 发票 (SPEC §10.4): 可开票 (choose bills and orders, then 申请开票), 开票记录 (each request's status, number,
 * date and PDF) and 自动开票. A request made here shows at once in 开票记录 and leaves 可开票. On a phone
 * the three sections are a stacked switch: tabs would hide the last one behind a "more" menu.
 */
export function InvoicesPage() {
  const { t } = useI18n();
  const narrow = useNarrow();
  const [tab, setTab] = useState<TabKey>('invoiceable');
  // bumped by a request: both lists load again
  const [version, setVersion] = useState(0);
  // antd's selected tab keeps its light blue (#1677ff, 4.1:1 on white): the label takes a darker one
  const label = (key: TabKey) => (
    <span
      data-testid={`invoices-tab-${key}`}
      style={tab === key && !narrow ? { color: SELECTED_TAB } : undefined}
    >
      {t(`invoices.tab.${key}`)}
    </span>
  );
  const content: Record<TabKey, ReactNode> = {
    invoiceable: (
      <InvoiceableTab
        version={version}
        onRequested={() => {
          setVersion((v) => v + 1);
          setTab('records');
        }}
      />
    ),
    records: <InvoiceRecords version={version} />,
    auto: <AutoInvoiceTab />,
  };
  return (
    <Card title={t('invoices.title')} data-testid="invoices-page">
      {narrow ? (
        <>
          <Segmented<TabKey>
            vertical
            block
            value={tab}
            onChange={setTab}
            options={TABS.map((k) => ({ value: k, label: label(k) }))}
            style={{ marginBottom: 16 }}
          />
          {content[tab]}
        </>
      ) : (
        <Tabs
          activeKey={tab}
          onChange={(k) => setTab(k as TabKey)}
          items={TABS.map((k) => ({ key: k, label: label(k), children: content[k] }))}
        />
      )}
    </Card>
  );
}
