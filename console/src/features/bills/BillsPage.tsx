import { Alert, Card, Empty, Table, Tag } from 'antd';
import { ApiError } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { Bill } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { ErrorState } from '../../components/states.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { useAsync } from '../../lib/useAsync.js';

const COLORS: Record<Bill['status'], string> = {
  open: 'blue',
  unpaid: 'orange',
  paid: 'green',
  overdue: 'red',
};

/**
 * 账单: the monthly bills. A first version over GET /bills; while the bills API is not deployed (a 404 for
 * the route itself), it says so instead of failing.
 */
export function BillsPage() {
  const { t } = useI18n();
  const { org } = useOrg();
  const bills = useAsync(() => api.bills(org.id), [org.id]);
  const routeMissing =
    bills.error instanceof ApiError && bills.error.status === 404 && /no route/i.test(bills.error.message);
  return (
    <Card title={t('bills.title')} data-testid="bills-page">
      {routeMissing ? (
        <Alert type="info" showIcon title={t('bills.unavailable')} data-testid="bills-unavailable" />
      ) : bills.error ? (
        <ErrorState error={bills.error} onRetry={bills.reload} />
      ) : (
        <Table<Bill>
          rowKey="month"
          loading={bills.loading}
          pagination={false}
          dataSource={bills.data?.items ?? []}
          locale={{ emptyText: <Empty description={t('bills.empty')} /> }}
          columns={[
            { title: t('bills.month'), dataIndex: 'month' },
            {
              title: t('bills.status'),
              dataIndex: 'status',
              render: (s: Bill['status']) => <Tag color={COLORS[s]}>{t(`bills.status.${s}`)}</Tag>,
            },
            {
              title: t('bills.total'),
              dataIndex: 'total',
              align: 'right',
              render: (v: number, b) => formatMoney(v, b.currency),
            },
            {
              title: t('bills.amountDue'),
              dataIndex: 'amountDue',
              align: 'right',
              render: (v: number, b) => formatMoney(v, b.currency),
            },
          ]}
        />
      )}
    </Card>
  );
}
