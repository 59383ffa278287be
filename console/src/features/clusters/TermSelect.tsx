import { Select } from 'antd';
import type { Catalog, Term } from '../../api/types.js';
import { useI18n } from '../../i18n/i18n.js';
import { discountLabel, termLabel } from '../orders/presentation.js';
import { parseTerm, termKey } from './terms.js';

/** The catalog's terms (1–11 months, 1 year, 3 years), each with its discount. */
export function TermSelect({
  catalog,
  value,
  onChange,
  testId,
  id,
  ariaLabel,
}: {
  catalog: Catalog;
  value: Term;
  onChange(term: Term): void;
  testId: string;
  /** The control's id, for a Form.Item label's htmlFor; else an `ariaLabel` names it. */
  id?: string;
  ariaLabel?: string;
}) {
  const { t } = useI18n();
  return (
    <Select
      id={id}
      aria-label={ariaLabel}
      style={{ width: 200 }}
      // thirteen terms: all of them in the list, none hidden by virtual scrolling
      virtual={false}
      listHeight={400}
      value={termKey(value)}
      onChange={(k: string) => onChange(parseTerm(k))}
      options={catalog.terms.map((term) => ({
        value: termKey(term),
        label:
          term.discountPercent < 100
            ? `${termLabel(t, term)} (${discountLabel(t, term.discountPercent)})`
            : termLabel(t, term),
      }))}
      data-testid={testId}
    />
  );
}
