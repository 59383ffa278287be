import { DatePicker } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useRef } from 'react';
import { useI18n } from '../../i18n/i18n.js';

/**
 * The created-time filter: calendar days, read in the org's time zone by the page. Loaded on its own.
 * Its two inputs are named (创建时间：开始日期 / 结束日期); Esc closes the calendar and keeps the focus on the
 * input, from where Tab leaves the filter.
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
  const box = useRef<HTMLFieldSetElement>(null);
  const fromLabel = t('a11y.createdFrom');
  const toLabel = t('a11y.createdTo');
  // antd's RangePicker has no prop for its inputs' names: set them on its two inputs.
  useEffect(() => {
    const inputs = box.current?.querySelectorAll('input') ?? [];
    inputs[0]?.setAttribute('aria-label', fromLabel);
    inputs[1]?.setAttribute('aria-label', toLabel);
  });
  return (
    <fieldset
      ref={box}
      aria-label={t('a11y.createdRange')}
      style={{ display: 'inline-flex', border: 0, margin: 0, padding: 0, minWidth: 0 }}
      // The picker sends Tab back to its empty half, so that the focus could not leave a range chosen halfway:
      // Tab and Shift+Tab move as everywhere else (the calendar closes when the focus leaves).
      onKeyDownCapture={(e) => {
        if (e.key === 'Tab') e.stopPropagation();
      }}
    >
      <DatePicker.RangePicker
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
