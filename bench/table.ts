// The results table: printed at the end of a run and written as Markdown to bench/results.md, the one place
// the figures are shown (bench/README.md and the project README point to it). Every goal of this machine with
// its figure, the ratio it is judged on and whether it is met, and for a goal missed where the time goes; then
// what a payment costs (WAL, CPU) in each pay run beside pgbench's TPC-B transaction.
import type { BillsResult } from './bills-issue.js';
import type { EmbeddedResult } from './embedded.js';
import type { PerUnit } from './lib.js';
import type { ListResult } from './list.js';
import type { HttpPayRun, PayResult, PayRun } from './pay.js';
import type { PgbenchResult } from './pgbench.js';
import type { SweepResult } from './sweep.js';

export interface RunResults {
  pay?: PayResult;
  embedded?: EmbeddedResult;
  list?: ListResult;
  sweep?: SweepResult;
  bills?: BillsResult;
  /** the previous full run's list and bills figures (bench/results.json before this run): "no slower" */
  baseline?: { generatedAt?: string; list?: ListResult; bills?: BillsResult } | null;
}

/** The run's header: when, the machine, its load. */
export interface RunInfo {
  generatedAt?: string;
  command?: string;
  machine?: {
    cpu: string;
    cores: number;
    postgres: string;
    node: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  totalSeconds?: number;
}

const fmt = (x: number | null | undefined, unit = '') =>
  x === null || x === undefined || Number.isNaN(x) ? 'n/a' : `${x}${unit}`;
const n = (x: number) => x.toLocaleString('en');
const r2 = (x: number) => Math.round(x * 100) / 100;

type Verdict = 'met' | 'NOT MET' | 'n/a';
const atLeast = (x: number | null | undefined, goal: number): Verdict =>
  x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x >= goal ? 'met' : 'NOT MET';
const atMost = (x: number | null | undefined, goal: number): Verdict =>
  x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x <= goal ? 'met' : 'NOT MET';

/** One goal: what is measured, the figure, the ratio or bound it is judged on, the goal, met, where time goes. */
export type GoalRow = [
  measure: string,
  figure: string,
  against: string,
  goal: string,
  met: Verdict,
  why: string,
];

function waits(by: Record<string, number> | undefined): string {
  if (!by) return '';
  const top = Object.entries(by).slice(0, 3);
  return top.length ? `; backends: ${top.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
}

function cost(p: PerUnit | undefined, what = 'pay'): string {
  if (!p) return '';
  const server = p.serverCpuMs === null ? '' : `server ${p.serverCpuMs} ms + `;
  return `CPU per ${what}: ${server}PostgreSQL backends ${p.postgresBackendCpuMs} ms (+ ${p.postgresAuxCpuMs} ms WAL writer etc.); WAL ${n(p.walBytes)} B, ${p.walRecords} records, ${p.walFpi} FPI`;
}

/** Where an HTTP pay run's time goes, beside TPC-B's transaction on the same machine. */
function httpWhy(run: HttpPayRun, r: PayRun): string {
  const tpcb = r.pgbench?.perTransaction;
  return [
    cost(run.perPayment),
    tpcb ? `TPC-B per transaction: backends ${tpcb.postgresBackendCpuMs} ms, WAL ${n(tpcb.walBytes)} B` : '',
    `machine ${fmt(run.machineCpuBusyPercent, '%')} busy, load ${run.loadAverage?.join('→') ?? 'n/a'}${waits(run.postgresBackendsBy)}`,
  ]
    .filter(Boolean)
    .join('; ');
}

/** One payment by the statement alone (EXPLAIN ANALYZE, rolled back): planning and execution. */
function explained(p: PayResult | undefined): string {
  const x = p?.statementExplain;
  return x
    ? `; the statement alone (EXPLAIN ANALYZE, median of ${x.payments}): planning ${x.planningMsMedian} ms, execution ${x.executionMsMedian} ms (prepared, as the server runs it)`
    : '';
}

export function goalRows(results: RunResults): GoalRow[] {
  const rows: GoalRow[] = [];
  const p = results.pay;
  for (const r of p?.runs ?? []) {
    const goal = r.clients >= 32 ? 1.0 : 0.6;
    const met = atLeast(r.ratioToPgbench, goal);
    rows.push([
      `pay over HTTP, PostgreSQL, ${r.clients} clients, ${n(p?.orgs ?? 0)} orgs`,
      fmt(r.spread.perSecond, '/s'),
      `pgbench TPC-B ${fmt(r.pgbenchTps)} TPS → ${fmt(r.ratioToPgbench, '×')}`,
      `≥ ${goal.toFixed(1)}× TPC-B`,
      met,
      met === 'NOT MET' ? `${httpWhy(r.spread, r)}${explained(p)}` : '',
    ]);
  }
  const r8 = p?.runs.find((r) => r.clients === 8);
  if (r8) {
    const met = atMost(r8.spread.p99Ms, 50);
    rows.push([
      'pay over HTTP, p99 at 8 clients',
      `p99 ${fmt(r8.spread.p99Ms, ' ms')}`,
      `p50 ${fmt(r8.spread.p50Ms, ' ms')}; TPC-B p99 ${fmt(r8.pgbench?.p99Ms, ' ms')}`,
      '≤ 50 ms',
      met,
      met === 'NOT MET' ? httpWhy(r8.spread, r8) : '',
    ]);
  }
  for (const r of p?.runs ?? []) {
    const met = atLeast(r.hotToSpread, 0.5);
    rows.push([
      `pay hot org (one org's orders), ${r.clients} clients`,
      fmt(r.hot.perSecond, '/s'),
      `${fmt(r.hotToSpread, '×')} of spread; p99 ${fmt(r.hot.p99Ms, ' ms')}`,
      '≥ 0.5× spread',
      met,
      met === 'NOT MET'
        ? `every payment of the org updates its one balance row (row lock held until commit); ${httpWhy(r.hot, r)}`
        : '',
    ]);
  }
  for (const r of p?.runs ?? []) {
    const s = r.statement?.spread;
    if (!s) continue;
    const met = atLeast(r.statementToPgbench, 0.5);
    const tpcb = r.pgbench?.perTransaction;
    rows.push([
      `Tally's pay statement under pgbench, ${r.clients} clients`,
      `${fmt(s.paymentsPerSecond, '/s')} (p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms)`,
      `TPC-B ${fmt(r.pgbenchTps)} TPS → ${fmt(r.statementToPgbench, '×')}`,
      '≥ 0.5× TPC-B',
      met,
      met === 'NOT MET'
        ? `${cost(s.perTransaction, 'payment')}${tpcb ? `; TPC-B: backends ${tpcb.postgresBackendCpuMs} ms, WAL ${n(tpcb.walBytes)} B, ${tpcb.walRecords} records` : ''}; machine ${fmt(s.use?.machineCpuBusyPercent, '%')} busy${explained(p)}`
        : '',
    ]);
    const h = r.statement?.hot;
    if (h)
      rows.push([
        `Tally's pay statement under pgbench, hot org, ${r.clients} clients`,
        `${fmt(h.paymentsPerSecond, '/s')} (p50 ${h.p50Ms} ms, p99 ${h.p99Ms} ms)`,
        `${fmt(r2(h.paymentsPerSecond / Math.max(s.paymentsPerSecond, 1e-9)), '×')} of the statement spread`,
        '',
        'n/a',
        '',
      ]);
  }
  const e = results.embedded;
  if (e?.run) {
    const met = atLeast(e.run.perSecond, 1000);
    rows.push([
      'pay over HTTP, PGlite (embedded), 8 clients',
      fmt(e.run.perSecond, '/s'),
      `p99 ${e.run.p99Ms} ms`,
      '≥ 1,000/s',
      met,
      met === 'NOT MET'
        ? `server CPU ${fmt(e.run.serverCpuMsPerPay, ' ms')} per pay (PGlite runs in the server's process): ${fmt(e.run.serverCpuMsPerPay ? r2(1000 / e.run.serverCpuMsPerPay) : null, '/s')} on one core at most`
        : '',
    ]);
  }
  const s = results.sweep;
  if (s?.counts) {
    const full = s.orders >= 1_000_000;
    const met = full ? atMost(s.persistSecondsAfterLastDeadline, 60) : 'n/a';
    rows.push([
      `timeout sweep, ${n(s.orders)} orders`,
      `${fmt(s.persistSecondsAfterLastDeadline, ' s')} after the last deadline`,
      `${fmt(s.ordersPerSecond, '/s')}; worst lateness ≤ ${fmt(s.worstLatenessSecondsUpperBound, ' s')}`,
      full ? '≤ 60 s' : '≤ 60 s for 1,000,000 (not this size)',
      met,
      met === 'NOT MET'
        ? `${fmt(s.sweepWorkSeconds, ' s')} of sweeping at ${fmt(s.ordersPerSecond, '/s')} (every 5 s, batches of ${n(s.batch)})`
        : '',
    ]);
  }
  rows.push(...listRows(results), ...billsRows(results));
  return rows;
}

/** Lists: p99 ≤ 20 ms at 1,000,000 orders, and no slower than the previous run on the same data set (10 % for noise). */
function listRows(results: RunResults): GoalRow[] {
  const l = results.list;
  if (!l?.firstPage) return [];
  const base = results.baseline?.list;
  const same = base?.dataSet?.n === l.dataSet.n && base?.dataSet?.orgs === l.dataSet.orgs;
  // The bound is the goal at 1,000,000 orders; a smaller data set is shown, not judged.
  const full = l.dataSet.n >= 1_000_000;
  const pages: [string, keyof ListResult][] = [
    [
      `first page (${n(l.dataSet.n)} orders, ${n(l.dataSet.orgs)} orgs; org of ${n(l.bigOrgOrders)})`,
      'firstPage',
    ],
    ['filtered page', 'filteredPage'],
    [`deep cursor page (${n(Math.floor(l.bigOrgOrders * 0.9))} in)`, 'deepCursorPage'],
    ['search', 'searchPage'],
    ["a small org's first page", 'typicalOrgFirstPage'],
  ];
  const rows: GoalRow[] = [];
  for (const [label, key] of pages) {
    const now = l[key] as ListResult['firstPage'] | undefined;
    if (!now) continue;
    const was = same ? (base?.[key] as ListResult['firstPage'] | undefined) : undefined;
    const ratio = was?.p99Ms ? r2(now.p99Ms / was.p99Ms) : null;
    const bound = full ? atMost(now.p99Ms, 20) : 'n/a';
    const noSlower = ratio === null ? 'n/a' : atMost(ratio, 1.1);
    const met: Verdict =
      bound === 'NOT MET' || noSlower === 'NOT MET'
        ? 'NOT MET'
        : bound === 'met' || noSlower === 'met'
          ? 'met'
          : 'n/a';
    rows.push([
      `orders list, ${label}`,
      `p50 ${now.p50Ms} ms, p99 ${now.p99Ms} ms`,
      was ? `last run p99 ${was.p99Ms} ms → ${ratio}×` : 'no earlier run of this size',
      full ? 'p99 ≤ 20 ms, ≤ 1.1× last run' : 'p99 ≤ 20 ms at 1,000,000 (not this size)',
      met,
      met === 'NOT MET' ? `max ${now.maxMs} ms over ${now.requests} sequential requests` : '',
    ]);
  }
  return rows;
}

/** Bills for 100,000 orgs ≤ 60 s, and no slower than the previous full run (10 % for noise). */
function billsRows(results: RunResults): GoalRow[] {
  const b = results.bills;
  if (!b) return [];
  if (!b.available) return [[`bills (CLI bills issue)`, 'not available', b.note ?? '', '≤ 60 s', 'n/a', '']];
  const base = results.baseline?.bills;
  const was = base?.available && base.orgs === b.orgs ? base.billsPerSecond : undefined;
  const ratio = was && b.billsPerSecond ? r2(b.billsPerSecond / was) : null;
  const full = (b.orgs ?? 0) >= 100_000;
  const seconds = b.completed ? b.seconds : b.projectedSecondsFor100k;
  const bound = full ? atMost(seconds, 60) : 'n/a';
  const noSlower = ratio === null ? 'n/a' : atLeast(ratio, 1 / 1.1);
  const met: Verdict = bound === 'NOT MET' || noSlower === 'NOT MET' ? 'NOT MET' : full ? bound : noSlower;
  return [
    [
      `bills for ${n(b.orgs ?? 100_000)} orgs (CLI bills issue)`,
      b.completed
        ? fmt(b.seconds, ' s')
        : `${b.billsIssued} in ${b.seconds} s (~${b.projectedSecondsFor100k} s projected)`,
      `${fmt(b.billsPerSecond, '/s')}${was ? `; last run ${was}/s → ${ratio}×` : ''}`,
      full ? '≤ 60 s, ≥ 0.9× last run' : '≤ 60 s for 100,000 (not this size)',
      met,
      met === 'NOT MET'
        ? `CLI CPU ${fmt(b.cliCpuMsPerBill, ' ms')} per bill; machine ${fmt(b.machineCpuBusyPercent, '%')} busy${waits(b.postgresBackendsBy)}`
        : '',
    ],
  ];
}

/** What each pay run cost: rate, latency, WAL and CPU per payment (per transaction for TPC-B). */
export function costRows(results: RunResults): string[][] {
  const rows: string[][] = [];
  const line = (
    what: string,
    rate: string,
    p50: number | undefined,
    p99: number | undefined,
    c: PerUnit | undefined,
    busy: number | undefined,
    load: [number, number] | number[] | undefined,
    otherWal: number | undefined,
  ) =>
    rows.push([
      what,
      rate,
      `${fmt(p50)} / ${fmt(p99)}`,
      c ? `${c.walRecords} / ${c.walFpi} / ${n(c.walBytes)}` : 'n/a',
      c ? `${c.postgresBackendCpuMs} + ${c.postgresAuxCpuMs}` : 'n/a',
      fmt(c?.serverCpuMs),
      `${fmt(busy, '%')}, ${load?.join('→') ?? 'n/a'}; others' WAL ${otherWal === undefined ? 'n/a' : n(Math.round(otherWal / 1024))} kB/s`,
    ]);
  const pg = (what: string, r: PgbenchResult | null | undefined, rate: string) => {
    if (r)
      line(
        what,
        rate,
        r.p50Ms,
        r.p99Ms,
        r.perTransaction,
        r.use?.machineCpuBusyPercent,
        r.use?.loadAverage,
        r.use?.walBeforeBytesPerSecond,
      );
  };
  for (const r of results.pay?.runs ?? []) {
    pg(`pgbench TPC-B, ${r.clients} clients (per transaction)`, r.pgbench, `${fmt(r.pgbench?.tps)} TPS`);
    const st = r.statement;
    if (st) {
      pg(`pay statement under pgbench, ${r.clients} clients`, st.spread, `${st.spread.paymentsPerSecond}/s`);
      pg(
        `pay statement under pgbench, hot org, ${r.clients} clients`,
        st.hot,
        `${st.hot.paymentsPerSecond}/s`,
      );
    }
    for (const [what, run] of [
      ['pay over HTTP', r.spread],
      ['pay over HTTP, hot org', r.hot],
    ] as const)
      line(
        `${what}, ${r.clients} clients`,
        `${run.perSecond}/s`,
        run.p50Ms,
        run.p99Ms,
        run.perPayment,
        run.machineCpuBusyPercent,
        run.loadAverage,
        run.walBeforeBytesPerSecond,
      );
  }
  return rows;
}

const COST_HEAD = [
  'run',
  'rate',
  'p50 / p99 ms',
  'WAL per payment: records / FPI / bytes',
  'PostgreSQL CPU ms per payment: backends + WAL writer etc.',
  'server CPU ms per payment',
  'machine busy, load; WAL of others before the run',
];

function markdownTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => c.replaceAll('|', '/')).join(' | ')} |`),
  ].join('\n');
}

function textTable(head: string[], rows: string[][]): string {
  const w = head.map((_, i) => Math.min(60, Math.max(...[head, ...rows].map((r) => (r[i] ?? '').length), 4)));
  return [head, ...rows].map((r) => `  ${r.map((c, i) => c.padEnd(w[i] ?? 0)).join('  ')}`).join('\n');
}

/** The table as aligned text (for the terminal) and as Markdown (bench/results.md). */
export function resultsTable(results: RunResults & RunInfo): { text: string; markdown: string } {
  const goals = goalRows(results);
  const costs = costRows(results);
  const head = ['measure', 'figure', 'against', 'goal', 'met', 'where the time goes (goals missed)'];
  const m = results.machine;
  const missed = goals.filter((g) => g[4] === 'NOT MET').length;
  const judged = goals.filter((g) => g[4] !== 'n/a').length;
  const intro = m
    ? `Run ${results.generatedAt ?? ''}: \`${results.command ?? 'npm run bench'}\` in ${fmt(results.totalSeconds, ' s')} on ${m.cpu} (${m.cores} cores), PostgreSQL ${m.postgres}, Node ${m.node}; load average ${m.loadAverageAtStart.join(' / ')} at the start, ${m.loadAverageAtEnd.join(' / ')} at the end. ${judged - missed} of ${judged} goals met.`
    : '';
  const costNote =
    "WAL is pg_stat_wal over the whole server during the run (other databases' writes count too: the last column shows what they wrote in the idle second before it); CPU is /proc/<pid>/stat of the run's database backends, of the WAL writer, checkpointer and background writer, and of the Tally server; rate and latency of pgbench runs from its per-transaction log; the pay statement's rate counts the payments it made (ledger transactions), not its transactions.";
  const markdown = [
    '# Benchmark results',
    '',
    intro,
    '',
    '## Goals',
    '',
    markdownTable(head, goals),
    '',
    ...(costs.length
      ? ['## What a payment costs', '', markdownTable(COST_HEAD, costs), '', costNote, '']
      : []),
  ].join('\n');
  const text = [
    textTable(
      head.slice(0, 5),
      goals.map((g) => g.slice(0, 5)),
    ),
    ...goals.filter((g) => g[5]).map((g) => `  ${g[0]}: ${g[5]}`),
    '',
    textTable(COST_HEAD, costs),
  ].join('\n');
  return { text, markdown: `${markdown}\n` };
}

// `npx tsx bench/table.ts [results.json] [results.md]`: the table again from a run's results (default bench/).
if (process.argv[1]?.endsWith('table.ts')) {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const from = process.argv[2] ?? 'bench/results.json';
  const to = process.argv[3] ?? from.replace(/\.json$/, '.md');
  const { text, markdown } = resultsTable(JSON.parse(readFileSync(from, 'utf8')));
  console.log(text);
  writeFileSync(to, markdown);
  console.log(`\nwrote ${to}`);
}
