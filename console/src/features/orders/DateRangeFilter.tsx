import { DatePicker } from 'antd';
import dayjs from 'dayjs';
import { useI18n } from '../../i18n/i18n.js';

/** The created-time filter: calendar days, read in the org's time zone by the page. Loaded on its own. */
export default function DateRangeFilter({
  from,
  to,
  onChange,
}: {
  from: string;
  to: string;
  onChange(from: string, to: string): void;
}) {
  const { t } = useI18n();
  return (
    <DatePicker.RangePicker
      placeholder={[t('orders.filter.from'), t('orders.filter.to')]}
      value={from && to ? [dayjs(from), dayjs(to)] : null}
      onChange={(v) =>
        onChange(v?.[0] ? v[0].format('YYYY-MM-DD') : '', v?.[1] ? v[1].format('YYYY-MM-DD') : '')
      }
      data-testid="filter-created"
    />
  );
}
