import type { CSSProperties, ReactNode } from 'react';

/**
 * A titled white panel: what the pages on the first screen use instead of antd's Card, whose import also
 * brings Tabs into the orders page's bundle.
 */
export function Panel({
  title,
  extra,
  children,
  style,
  testId,
}: {
  title: ReactNode;
  extra?: ReactNode;
  children: ReactNode;
  style?: CSSProperties;
  testId?: string;
}) {
  return (
    <section
      data-testid={testId}
      style={{ background: '#fff', borderRadius: 8, border: '1px solid #f0f0f0', ...style }}
    >
      <header className="tally-panel-head">
        <h2 style={{ fontSize: 16, fontWeight: 600, margin: 0 }}>{title}</h2>
        {extra}
      </header>
      <div className="tally-panel-body">{children}</div>
    </section>
  );
}
