import { DatePicker } from 'antd';
import dayjs from 'dayjs';
import { useI18n } from '../../i18n/i18n.js';

/**
 * The created-time filter: calendar days, read in the org's time zone by the page. Loaded on its own.
 * Its two inputs are named (创建时间：开始日期 / 结束日期) by labels that only assistive technology reads.
 */
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
    <fieldset
      style={{ display: 'inline-flex', border: 0, margin: 0, padding: 0, minWidth: 0 }}
      // The picker sends Tab back to its empty half, so that the focus could not leave a range chosen halfway:
      // Tab and Shift+Tab move as everywhere else (the calendar closes when the focus leaves).
      onKeyDownCapture={(e) => {
        if (e.key === 'Tab') e.stopPropagation();
      }}
    >
      <legend className="tally-sr-only">{t('a11y.createdRange')}</legend>
      <label htmlFor="orders-created-from" className="tally-sr-only">
        {t('a11y.createdFrom')}
      </label>
      <label htmlFor="orders-created-to" className="tally-sr-only">
        {t('a11y.createdTo')}
      </label>
      <DatePicker.RangePicker
        id={{ start: 'orders-created-from', end: 'orders-created-to' }}
        placeholder={[t('orders.filter.from'), t('orders.filter.to')]}
        value={from && to ? [dayjs(from), dayjs(to)] : null}
        onChange={(v) =>
          onChange(v?.[0] ? v[0].format('YYYY-MM-DD') : '', v?.[1] ? v[1].format('YYYY-MM-DD') : '')
        }
        data-testid="filter-created"
      />
    </fieldset>
  );
}
