import { Table, type TableProps } from 'antd';
import { cardColumns, cardTable, useNarrow } from '../lib/responsive.js';

/**
 * antd's Table that becomes a list of cards below 768 px (one line per column, its title before its value; the
 * rows keep their data-row-key), and scrolls sideways inside itself above it when `scrollX` is wider.
 */
export function CardTable<T extends object>({
  scrollX,
  columns,
  ...rest
}: TableProps<T> & { scrollX?: number }) {
  const narrow = useNarrow();
  return <Table<T> {...rest} columns={columns && cardColumns(columns)} {...cardTable(narrow, scrollX)} />;
}
