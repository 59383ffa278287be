import { Alert, Spin, Typography } from 'antd';
import { Link } from 'react-router-dom';
import type { ApiError } from '../../api/client.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';

/** The cash balance in a pay dialog: the amount once read, the read's error, or a spinner meanwhile. */
export function CashBalance(p: {
  cash: number | undefined;
  currency: string;
  loadError: unknown;
  testId: string;
}) {
  const { errorText } = useI18n();
  if (p.cash !== undefined) return <span data-testid={p.testId}>{formatMoney(p.cash, p.currency)}</span>;
  if (p.loadError) return <Typography.Text type="danger">{errorText(p.loadError)}</Typography.Text>;
  return <Spin size="small" />;
}

/**
 * The balance is short of what a pay dialog would pay: a warning with a link to 充值 that comes back to
 * returnTo. When the server refused the payment for it, its error leads.
 */
export function ShortfallNotice(p: {
  orgId: string;
  returnTo: string;
  linkTestId: string;
  insufficient?: ApiError | undefined;
  testId?: string | undefined;
}) {
  const { t, errorText } = useI18n();
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 12 }}
      title={p.insufficient ? errorText(p.insufficient) : t('pay.short')}
      description={p.insufficient ? t('pay.short') : undefined}
      action={
        <Link
          to={`/orgs/${p.orgId}/topup?returnTo=${encodeURIComponent(p.returnTo)}`}
          data-testid={p.linkTestId}
        >
          {t('pay.goTopup')}
        </Link>
      }
      data-testid={p.testId}
    />
  );
}
