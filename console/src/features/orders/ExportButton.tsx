import { DownloadOutlined, DownOutlined } from '@ant-design/icons';
import { Alert, Button, Dropdown } from 'antd';
import { useState } from 'react';
import type { ExportFormat } from '../../../../contract/enums.js';
import { downloadFile } from '../../api/client.js';
import type { OrderFilters } from '../../api/endpoints.js';
import { useOrg } from '../../app/org.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { listApi } from './listApi.js';

/**
 * 导出: every order that matches the list's current filters (not only the page on screen), as CSV or Excel in
 * the page's language. Busy while the file comes; a failure stays beside the button until the next try.
 */
export function ExportButton({ filters }: { filters: OrderFilters }) {
  const { t, locale, errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const [busy, setBusy] = useState<ExportFormat | undefined>();
  const [error, setError] = useState<unknown>();

  const run = async (format: ExportFormat) => {
    if (busy) return;
    setBusy(format);
    setError(undefined);
    try {
      const lang = locale === 'en-US' ? 'en' : 'zh-CN';
      const name = await downloadFile(listApi.exportPath(org.id, filters, format, lang), `orders.${format}`);
      message.success(t('ordersList.exported', { name }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <>
      <Dropdown
        trigger={['click']}
        disabled={busy !== undefined}
        menu={{
          items: [
            { key: 'csv', label: <span data-testid="export-csv">{t('ordersList.exportCsv')}</span> },
            { key: 'xlsx', label: <span data-testid="export-xlsx">{t('ordersList.exportXlsx')}</span> },
          ],
          onClick: ({ key }) => void run(key as ExportFormat),
        }}
      >
        <Button
          icon={<DownloadOutlined />}
          loading={busy !== undefined}
          title={t('ordersList.exportHint')}
          data-testid="export"
        >
          {t('ordersList.export')} <DownOutlined />
        </Button>
      </Dropdown>
      {error !== undefined && (
        <Alert
          type="error"
          showIcon
          closable={{ 'aria-label': t('common.close') }}
          onClose={() => setError(undefined)}
          title={`${t('ordersList.exportFailed')}: ${errorText(error)}`}
          style={{ flexBasis: '100%' }}
          data-testid="export-error"
        />
      )}
    </>
  );
}
