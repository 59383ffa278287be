// The results table: printed at the end of a run and written as Markdown to bench/results.md, the one place
// the figures are shown (bench/README.md and the project README point to it).
import type { BillsResult } from './bills-issue.js';
import type { EmbeddedResult } from './embedded.js';
import type { ListResult } from './list.js';
import type { PayResult } from './pay.js';
import type { SweepResult } from './sweep.js';

export interface RunResults {
  pay?: PayResult;
  embedded?: EmbeddedResult;
  list?: ListResult;
  sweep?: SweepResult;
  bills?: BillsResult;
}

const fmt = (x: number | null | undefined, unit = '') =>
  x === null || x === undefined ? 'n/a' : `${x}${unit}`;
const n = (x: number) => x.toLocaleString('en');

export function resultsRows(results: RunResults): string[][] {
  const rows: string[][] = [];
  const p = results.pay;
  for (const r of p?.runs ?? []) {
    rows.push([
      `pay over HTTP, PostgreSQL, ${r.clients} clients, ${n(p?.orgs ?? 0)} orgs`,
      fmt(r.spread.perSecond, '/s'),
      `pgbench ${fmt(r.pgbenchTps)} TPS → ${fmt(r.ratioToPgbench, '×')}`,
      '≥ 1.0× pgbench',
    ]);
    rows.push([
      `pay hot org, ${r.clients} clients`,
      fmt(r.hot.perSecond, '/s'),
      `${fmt(r.hotToSpread, '×')} of spread`,
      '≥ 0.5×',
    ]);
  }
  if (p?.memory) rows.push(['server peak RSS under pay load', fmt(p.memory.peakRssMb, ' MB'), '', '']);
  if (p?.readFloor)
    rows.push([
      'GET balance over HTTP, 8 clients (the HTTP floor)',
      fmt(p.readFloor.perSecond, '/s'),
      `p99 ${p.readFloor.p99Ms} ms`,
      '',
    ]);
  const e = results.embedded;
  if (e?.run)
    rows.push([
      'pay over HTTP, PGlite, 8 clients',
      fmt(e.run.perSecond, '/s'),
      `p99 ${e.run.p99Ms} ms`,
      '≥ 1,000/s',
    ]);
  const l = results.list;
  if (l?.firstPage) {
    rows.push([
      `orders list, first page (${n(l.dataSet.n)} orders, ${n(l.dataSet.orgs)} orgs; org of ${n(l.bigOrgOrders)})`,
      `p50 ${l.firstPage.p50Ms} ms`,
      `p99 ${l.firstPage.p99Ms} ms`,
      'p99 ≤ 20 ms',
    ]);
    rows.push([
      'orders list, filtered page',
      `p50 ${l.filteredPage.p50Ms} ms`,
      `p99 ${l.filteredPage.p99Ms} ms`,
      'p99 ≤ 20 ms',
    ]);
    rows.push([
      `orders list, deep cursor page (${n(Math.floor(l.bigOrgOrders * 0.9))} in)`,
      `p50 ${l.deepCursorPage.p50Ms} ms`,
      `p99 ${l.deepCursorPage.p99Ms} ms`,
      'p99 ≤ 20 ms',
    ]);
  }
  const s = results.sweep;
  if (s?.counts)
    rows.push([
      `timeout sweep, ${n(s.orders)} orders`,
      `${fmt(s.persistSecondsAfterLastDeadline, ' s')} after deadline`,
      `${fmt(s.ordersPerSecond, '/s')}; worst lateness ≤ ${fmt(s.worstLatenessSecondsUpperBound, ' s')}`,
      '≤ 60 s',
    ]);
  const b = results.bills;
  if (b)
    rows.push([
      `bills for ${n(b.orgs ?? 100_000)} orgs (CLI bills issue)`,
      !b.available
        ? 'not available'
        : b.completed
          ? fmt(b.seconds, ' s')
          : `${b.billsIssued} in ${b.seconds} s`,
      !b.available
        ? ''
        : b.completed
          ? fmt(b.billsPerSecond, '/s')
          : `${fmt(b.billsPerSecond, '/s')} → ~${b.projectedSecondsFor100k} s projected`,
      '≤ 60 s',
    ]);
  return rows;
}

/** The table as aligned text (for the terminal) and as Markdown (bench/results.md). */
export function resultsTable(results: RunResults): { text: string; markdown: string } {
  const rows = resultsRows(results);
  const head = ['measure', 'figure', 'against', 'goal'];
  const w = [0, 1, 2, 3].map((i) => Math.max(...[head, ...rows].map((r) => (r[i] ?? '').length), 8));
  const text = [head, ...rows].map((r) => `  ${r.map((c, i) => c.padEnd(w[i] ?? 0)).join('  ')}`).join('\n');
  const markdown = [
    '| measure | figure | against | goal |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.map((c) => c.replaceAll('|', '/')).join(' | ')} |`),
  ].join('\n');
  return { text, markdown: `${markdown}\n` };
}
