import { ConfigProvider, Spin } from 'antd';
import tableStyle from 'antd/es/table/style/index.js';
import { type CSSProperties, type Key, type ReactNode, useContext } from 'react';
import { useNarrow } from '../lib/responsive.js';

type UseTableStyle = (prefixCls: string, rootCls?: string) => readonly [hashId: string, cssVarCls: string];
/**
 * antd's own style hook of its Table: it registers the table's CSS variables (--ant-table-*), which antd's
 * stylesheet reads, under the theme's class; without a mounted antd Table nothing else would. (An ES module
 * without "type": "module": TypeScript sees the CommonJS shape, the bundler the default export.)
 */
const useTableStyle: UseTableStyle =
  'default' in tableStyle ? (tableStyle.default as UseTableStyle) : (tableStyle as unknown as UseTableStyle);

/** A header or body cell's class and alignment, as antd's Table gives them. */
function cellLook<T>(c: LiteColumn<T>): { className: string; style?: CSSProperties } {
  return {
    className: c.ellipsis ? 'ant-table-cell ant-table-cell-ellipsis' : 'ant-table-cell',
    ...(c.align ? { style: { textAlign: c.align } } : {}),
  };
}

export interface LiteColumn<T> {
  /** The header's text, also the label before the value when the rows are cards (below 768 px). */
  title: string;
  key?: string;
  dataIndex?: keyof T & string;
  width?: number;
  align?: 'left' | 'right' | 'center';
  /** One line, cut with an ellipsis; a plain-text cell also gets its full text as its title. */
  ellipsis?: boolean;
  render?: (value: never, record: T, index: number) => ReactNode;
}

/**
 * A read-only table drawn with antd Table's own markup and classes (so antd's stylesheet and the `tally-cards`
 * layout below 768 px apply unchanged), without the machinery the orders list does not use: sorting, filters,
 * selection columns, fixed columns, virtual rows, column measuring. The orders list is the first screen after
 * sign-in and its twenty rows were the largest part of that screen's first render with antd's Table (each cell a
 * component with its own context subscriptions and memo comparisons); here a row is a plain `<tr>`.
 * Pages with expandable rows or sorting keep antd's Table (CardTable).
 */
export function LiteTable<T extends object>({
  columns,
  dataSource,
  rowKey,
  loading = false,
  emptyText,
  scrollX,
  testId,
}: {
  columns: LiteColumn<T>[];
  dataSource: readonly T[];
  rowKey: (keyof T & string) | ((record: T) => Key);
  loading?: boolean;
  emptyText?: ReactNode;
  /** The table's width above 768 px when the columns need more than the screen: it scrolls sideways inside. */
  scrollX?: number;
  testId?: string;
}) {
  const narrow = useNarrow();
  const prefixCls = useContext(ConfigProvider.ConfigContext).getPrefixCls('table');
  const rootCls = `${prefixCls}-css-var`;
  const [hashId, cssVarCls] = useTableStyle(prefixCls, rootCls);
  const wide = !narrow && scrollX !== undefined;
  const keyOf = (r: T): Key => (typeof rowKey === 'function' ? rowKey(r) : (r[rowKey] as Key));
  const tableStyle: CSSProperties | undefined = wide
    ? { width: scrollX, minWidth: '100%', tableLayout: 'fixed' }
    : undefined;
  return (
    <div
      className={`${cssVarCls} ${rootCls} ${prefixCls}-wrapper ${hashId}${narrow ? ' tally-cards' : ''}`}
      data-testid={testId}
    >
      <Spin spinning={loading}>
        <div className={`${prefixCls} ${prefixCls}-medium${wide ? ` ${prefixCls}-scroll-horizontal` : ''}`}>
          <div className="ant-table-container">
            <div className="ant-table-content" style={wide ? { overflow: 'auto hidden' } : undefined}>
              <table style={tableStyle}>
                <colgroup>
                  {columns.map((c, i) => (
                    <col key={c.key ?? c.dataIndex ?? i} style={c.width ? { width: c.width } : undefined} />
                  ))}
                </colgroup>
                <thead className="ant-table-thead">
                  <tr>
                    {columns.map((c, i) => (
                      <th
                        key={c.key ?? c.dataIndex ?? i}
                        scope="col"
                        {...cellLook(c)}
                        title={c.ellipsis ? c.title : undefined}
                      >
                        {c.title}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody className="ant-table-tbody">
                  {dataSource.length === 0 ? (
                    <tr className="ant-table-placeholder">
                      <td className="ant-table-cell" colSpan={columns.length}>
                        {emptyText}
                      </td>
                    </tr>
                  ) : (
                    dataSource.map((record, index) => {
                      const key = keyOf(record);
                      return (
                        <tr key={key} className="ant-table-row ant-table-row-level-0" data-row-key={key}>
                          {columns.map((c, i) => {
                            const value = c.dataIndex === undefined ? undefined : record[c.dataIndex];
                            const content = c.render
                              ? c.render(value as never, record, index)
                              : (value as ReactNode);
                            return (
                              <td
                                key={c.key ?? c.dataIndex ?? i}
                                data-label={c.title}
                                {...cellLook(c)}
                                title={
                                  c.ellipsis && (typeof content === 'string' || typeof content === 'number')
                                    ? String(content)
                                    : undefined
                                }
                              >
                                {content}
                              </td>
                            );
                          })}
                        </tr>
                      );
                    })
                  )}
                </tbody>
              </table>
            </div>
          </div>
        </div>
      </Spin>
    </div>
  );
}
