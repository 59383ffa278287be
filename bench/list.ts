// The orders list: 1,000,000 orders across 10,000 orgs from the CLI's seeder (one org holds a tenth plus 90,
// the others ~90 each; 60 % paid, 10 % cancelled, 10 % timed out, 20 % unpaid, over 60 days); N sequential
// requests each (after 20 warm-up) for the first page, a filtered page, a cursor page 90 % deep, a search and a
// small org's first page; p50/p99 of the HTTP round trip. The server starts after the seed and is stopped
// within a minute, before its monthly-bills job would first run.
import {
  type BenchContext,
  dropDb,
  freshDb,
  type LatencyResult,
  latencies,
  pgUrl,
  query,
  request,
  size,
  startServer,
} from './lib.js';
import { withSeed } from './seed.js';

export const LIST_DB = 'tally_bench_list';

export interface ListResult {
  database: string;
  dataSet: { n: number; orgs: number };
  bigOrgOrders: number;
  firstPage: LatencyResult;
  filteredPage: LatencyResult;
  deepCursorPage: LatencyResult;
  searchPage: LatencyResult;
  typicalOrgFirstPage: LatencyResult;
  p99MaxMs: number;
}

/** Runs the list bench; with `keep`, leaves its database for the bills bench (which drops it). */
export async function listBench(ctx: BenchContext, { keep = false } = {}): Promise<ListResult> {
  const total = size('BENCH_LIST_ORDERS', 1_000_000);
  const orgCount = size('BENCH_LIST_ORGS', 10_000);
  const N = size('BENCH_LIST_REQUESTS', 400);
  const bigCount = Math.round(total / 10) + 90;
  if (orgCount < 2 || total <= bigCount)
    throw new Error('BENCH_LIST_ORGS must be >= 2 and BENCH_LIST_ORDERS > 100');
  ctx.header(
    `orders list: ${total.toLocaleString('en')} orders across ${orgCount.toLocaleString('en')} orgs`,
  );
  const DB = LIST_DB;
  await freshDb(DB);
  const { dataSet, big, typical, deep } = await withSeed(
    { DATABASE_URL: pgUrl(DB) },
    [
      { label: 'big org', options: { orgs: 1, orders: bigCount, days: 60, chunkOrgs: 1 } },
      { label: 'other orgs', options: { orgs: orgCount - 1, orders: total - bigCount, days: 60 } },
    ],
    async (db, [b, others]) => {
      await query(db, 'analyze');
      const [counts] = await query<{ n: number; orgs: number }>(
        db,
        'select count(*)::int as n, count(distinct org_id)::int as orgs from orders',
      );
      const big = b!.orgs[0]!;
      const [row] = await query<{ created_at: Date; id: string }>(
        db,
        'select created_at, id from orders where org_id = $1 order by created_at desc, id desc offset $2 limit 1',
        [big.id, Math.floor(bigCount * 0.9)],
      );
      const deep = Buffer.from(JSON.stringify([row!.created_at.toISOString(), row!.id])).toString(
        'base64url',
      );
      return { dataSet: counts!, big, typical: others!.orgs[0]!, deep };
    },
  );
  console.log(`  ${dataSet.n} orders across ${dataSet.orgs} orgs`);
  const server = await startServer({
    name: 'list',
    port: ctx.portBase + 2,
    env: { DATABASE_URL: pgUrl(DB) },
  });
  try {
    const get = (org: { id: string; apiKey: string }, qs: string) => () =>
      request(server.port, 'GET', `/v1/orgs/${org.id}/orders${qs}`, { auth: org.apiKey });
    const firstPage = await latencies(`first page (org with ${bigCount} orders)`, N, get(big, ''));
    const filteredPage = await latencies(
      'filtered page (status=cancelled&type=new_purchase)',
      N,
      get(big, '?status=cancelled&type=new_purchase'),
    );
    const deepCursorPage = await latencies(
      `deep cursor page (after ${Math.floor(bigCount * 0.9)} orders)`,
      N,
      get(big, `?cursor=${deep}`),
    );
    const searchPage = await latencies('search page (q=seed-0-42)', N, get(big, '?q=seed-0-42'));
    const typicalOrgFirstPage = await latencies(
      `first page (org with ~${Math.round((total - bigCount) / (orgCount - 1))} orders)`,
      N,
      get(typical, ''),
    );
    return {
      database: 'PostgreSQL',
      dataSet,
      bigOrgOrders: bigCount,
      firstPage,
      filteredPage,
      deepCursorPage,
      searchPage,
      typicalOrgFirstPage,
      p99MaxMs: Math.max(firstPage.p99Ms, filteredPage.p99Ms, deepCursorPage.p99Ms),
    };
  } finally {
    await server.stop();
    if (!keep) await dropDb(DB);
  }
}
