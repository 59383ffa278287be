import type { TableColumnsType } from 'antd';
import type { TdHTMLAttributes } from 'react';
import { useEffect, useState } from 'react';

const NARROW = '(max-width: 767.98px)';

/** Below 768 px: the menu is a drawer, tables are cards, descriptions one column. */
export function useNarrow(): boolean {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW).matches);
  useEffect(() => {
    const mq = window.matchMedia(NARROW);
    const on = () => setNarrow(mq.matches);
    on();
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return narrow;
}

/**
 * A table's columns that can show as cards on a phone: each cell carries its column's title, which the
 * `tally-cards` style (console.css) shows before the value when the rows are stacked.
 */
export function cardColumns<T>(columns: TableColumnsType<T>): TableColumnsType<T> {
  return columns.map((c) => {
    const label = typeof c.title === 'string' ? c.title : '';
    return { ...c, onCell: () => ({ 'data-label': label }) as TdHTMLAttributes<HTMLElement> };
  });
}

/** The props that make an antd Table a list of cards below 768 px (and keep its wide scroll above). */
export function cardTable(narrow: boolean, scrollX?: number): { className?: string; scroll?: { x: number } } {
  if (narrow) return { className: 'tally-cards' };
  return scrollX ? { scroll: { x: scrollX } } : {};
}
