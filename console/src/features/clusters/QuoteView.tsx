import { Descriptions, Spin, Typography } from 'antd';
import type { Quote } from '../../api/types.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { discountLabel } from '../orders/presentation.js';

/**
 * A live quote: list price, discount and the amount the order will ask for. An upgrade that extends the term
 * (SPEC §8.3) shows its breakdown: the new configuration for the new term, less the credit for the time left.
 */
export function QuoteView({ quote, loading, error }: { quote?: Quote; loading: boolean; error?: unknown }) {
  const { t, errorText } = useI18n();
  if (error !== undefined && !loading)
    return (
      <Typography.Text type="danger" data-testid="quote-error">
        {errorText(error)}
      </Typography.Text>
    );
  if (!quote) return loading ? <Spin size="small" /> : null;
  return (
    <Spin spinning={loading}>
      <Descriptions
        bordered
        size="small"
        column={1}
        items={[
          {
            key: 'list',
            label: t('detail.listAmount'),
            children: formatMoney(quote.listAmount, quote.currency),
          },
          {
            key: 'discount',
            label: t('detail.discount'),
            children:
              quote.discountAmount > 0
                ? `${discountLabel(t, quote.discountPercent)} (-${formatMoney(quote.discountAmount, quote.currency)})`
                : discountLabel(t, quote.discountPercent),
          },
          ...(quote.type === 'upgrade' && quote.newTerm && quote.credit
            ? [
                {
                  key: 'newTerm',
                  label: t('upgrade.newTermAmount'),
                  children: (
                    <span data-testid="quote-new-term">
                      {formatMoney(quote.newTerm.amount, quote.currency)}
                    </span>
                  ),
                },
                {
                  key: 'credit',
                  label: t('upgrade.credit'),
                  children: (
                    <span data-testid="quote-credit">
                      -{formatMoney(quote.credit.amount, quote.currency)} (
                      {t('upgrade.creditDays', { n: quote.credit.remainingDays })})
                    </span>
                  ),
                },
              ]
            : quote.type === 'upgrade'
              ? [
                  {
                    key: 'days',
                    label: t('detail.remainingDays'),
                    children: t('detail.remainingDaysValue', { n: quote.remainingDays }),
                  },
                ]
              : []),
          {
            key: 'amount',
            label: t('detail.amount'),
            children: (
              <Typography.Text strong style={{ fontSize: 18, color: '#d4380d' }} data-testid="quote-amount">
                {formatMoney(quote.amount, quote.currency)}
              </Typography.Text>
            ),
          },
        ]}
      />
    </Spin>
  );
}
