import type { CliContext } from '../server/src/cli/context.js';
import { silentProgress } from '../server/src/cli/progress.js';
import { seed } from '../server/src/cli/seed.js';
import { testConfig } from '../server/src/config.js';
import { connect } from '../server/src/db/connect.js';
import { defaultCatalog } from '../server/src/pricing/catalog.js';
import { createTally } from '../server/src/server.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

export async function loadDocumentsBench(opts: {
  databaseUrl?: string | undefined;
  schema?: string | undefined;
  orders: number;
  port: number;
}) {
  const database = await connect(
    opts.databaseUrl
      ? { databaseUrl: opts.databaseUrl, schema: opts.schema, poolSize: 4 }
      : { dataDir: 'memory://' },
  );
  const config = testConfig({ logLevel: 'silent' });
  const tally = await createTally({ config, database });
  try {
    await tally.app.listen({ port: opts.port, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${opts.port}`;
    const ctx: CliContext = { config, database, catalog: defaultCatalog, now: () => new Date() };
    const [seeded, seedMs] = await timed(() =>
      seed(
        ctx,
        { orgs: 1, orders: opts.orders, days: 30, cashFen: 100_000_000, chunkOrgs: 1 },
        silentProgress,
      ),
    );
    const org = seeded.orgs[0]!;
    const headers = { authorization: `Bearer ${org.apiKey}` };
    const first = await fetch(`${base}/v1/orgs/${org.id}/orders?status=paid&limit=1`, { headers });
    const order = ((await first.json()) as { items: { id: string; billMonth: string }[] }).items[0]!;

    const pdf = async (path: string, runs = 20, h: Record<string, string> = headers) => {
      const times: number[] = [];
      let size = 0;
      // The first call converts the font (once per process): reported apart.
      const [, coldMs] = await timed(async () =>
        (await fetch(`${base}${path}`, { headers: h })).arrayBuffer(),
      );
      for (let i = 0; i < runs; i++) {
        const [buf, ms] = await timed(async () => {
          const res = await fetch(`${base}${path}`, { headers: h });
          if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
          return res.arrayBuffer();
        });
        size = buf.byteLength;
        times.push(ms);
      }
      return {
        firstMs: Math.round(coldMs),
        medianMs: Math.round(median(times) * 10) / 10,
        bytes: size,
        runs,
      };
    };
    const orderPdf = await pdf(`/v1/orgs/${org.id}/orders/${order.id}/document`);
    // A typical bill: an org with a few dozen orders and storage and backup usage on its clusters.
    const small = await seed(
      ctx,
      { orgs: 1, orders: 40, days: 30, cashFen: 0, chunkOrgs: 1 },
      silentProgress,
    );
    const sOrg = small.orgs[0]!;
    const sHeaders = { authorization: `Bearer ${sOrg.apiKey}` };
    const month = order.billMonth;
    const clusters = await database.db
      .selectFrom('orders')
      .select('cluster_id')
      .where('org_id', '=', sOrg.id)
      .where('status', '=', 'paid')
      .where('bill_month', '=', month)
      .execute();
    const start = new Date(`${month}-01T00:00:00Z`);
    const events = clusters.flatMap((c, i) =>
      (['storage', 'backup'] as const).map((metric) => ({
        id: `bench-${i}-${metric}`,
        orgId: sOrg.id,
        clusterId: c.cluster_id,
        metric,
        quantity: 1234.5 + i,
        start: start.toISOString(),
        end: new Date(start.getTime() + 86_400_000).toISOString(),
      })),
    );
    if (events.length) {
      const u = await fetch(`${base}/v1/internal/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      if (u.status !== 200) throw new Error(`usage: ${u.status} ${await u.text()}`);
    }
    const billPath = `/v1/orgs/${sOrg.id}/bills/${month}`;
    const billPdf = await pdf(`${billPath}/document`, 10, sHeaders);
    const billLines = (
      (await (await fetch(`${base}${billPath}`, { headers: sHeaders })).json()) as { lines: unknown[] }
    ).lines.length;

    const exportRun = async (format: 'csv' | 'xlsx') => {
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const [bytes, ms] = await timed(async () => {
        const res = await fetch(`${base}/v1/orgs/${org.id}/orders/export?format=${format}`, { headers });
        if (res.status !== 200 || !res.body) throw new Error(`export ${format}: ${res.status}`);
        const reader = res.body.getReader();
        let n = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return n;
          n += value.byteLength;
        }
      });
      clearInterval(timer);
      return {
        ms: Math.round(ms),
        bytes,
        rows: seeded.orders,
        peakRssGrowthMb: Math.round((peak - rss0) / 1e6),
      };
    };
    const csv = await exportRun('csv');
    const xlsx = await exportRun('xlsx');
    return {
      at: new Date().toISOString(),
      database: database.engine,
      node: process.version,
      seed: { orders: seeded.orders, ms: seedMs },
      orderPdf,
      billPdf: { ...billPdf, lines: billLines },
      export: { csv, xlsx },
    };
  } finally {
    await tally.close();
    await database.close();
  }
}
