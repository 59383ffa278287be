/**
 * Bills benchmark: usage ingestion through the real endpoint (batches of 1,000 events), reading the open
 * month's bill (computed live), and issuing every org's bills with the monthly job's code.
 *
 *   npx tsx bench/bills.ts [--orgs 2000] [--orders 40000] [--events 20000] [--engines pglite,postgres]
 *
 * PostgreSQL (a fresh schema, dropped afterwards) at DATABASE_URL or BENCH_PG_URL, and/or the embedded
 * PGlite in memory: by default PostgreSQL when a URL is given, else PGlite. Records its numbers in
 * bench/results-bills.json (or BENCH_OUT_DIR) under the engine's name. Sizes default to BENCH_USAGE_ORGS,
 * BENCH_USAGE_ORDERS and BENCH_USAGE_EVENTS when set.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { addMonths, currentMonth, monthPeriod } from '../server/src/billing/bill-period.js';
import { issueDueBills } from '../server/src/billing/issue-bill.js';
import type { CliContext } from '../server/src/cli/context.js';
import { silentProgress } from '../server/src/cli/progress.js';
import { seed } from '../server/src/cli/seed.js';
import { testConfig } from '../server/src/config.js';
import { connect } from '../server/src/db/connect.js';
import { defaultCatalog } from '../server/src/pricing/catalog.js';
import { createTally } from '../server/src/server.js';
import { outPath } from './lib.js';

const { values } = parseArgs({
  options: {
    orgs: { type: 'string', default: process.env.BENCH_USAGE_ORGS ?? '2000' },
    orders: { type: 'string', default: process.env.BENCH_USAGE_ORDERS ?? '40000' },
    events: { type: 'string', default: process.env.BENCH_USAGE_EVENTS ?? '20000' },
    port: { type: 'string', default: String(Number(process.env.BENCH_PORT_BASE ?? '18210') + 1) },
    engines: { type: 'string' },
  },
});
const pgUrl = process.env.DATABASE_URL || process.env.BENCH_PG_URL || undefined;
const engines = (values.engines ?? (pgUrl ? 'postgres' : 'pglite')).split(',');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function runOne(url: string | undefined) {
  const schema = url ? `bench_bills_${randomBytes(4).toString('hex')}` : undefined;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  if (url) await admin(`create schema ${schema}`);
  const database = await connect(url ? { databaseUrl: url, schema, poolSize: 8 } : { dataDir: 'memory://' });
  const config = testConfig({ logLevel: 'silent' });
  const tally = await createTally({ config, database });
  try {
    await tally.app.listen({ port: Number(values.port), host: '127.0.0.1' });
    const base = `http://127.0.0.1:${values.port}`;
    const ctx: CliContext = { config, database, catalog: defaultCatalog, now: () => new Date() };
    const orgs = Number(values.orgs);
    const t0 = performance.now();
    const seeded = await seed(
      ctx,
      { orgs, orders: Number(values.orders), days: 30, cashFen: 10_000_000, chunkOrgs: 500 },
      silentProgress,
    );
    const seedMs = performance.now() - t0;
    const now = new Date();
    const month = currentMonth(now, config.billingTimeZone);
    const start = monthPeriod(month, config.billingTimeZone).start;
    const clusters = await database.db
      .selectFrom('orders')
      .select(['org_id', 'cluster_id'])
      .where('org_id', 'like', `org_S${seeded.run}x%`)
      .where('status', '=', 'paid')
      .limit(Number(values.events))
      .execute();
    const events = clusters.map((c, i) => ({
      id: `bench-${i}`,
      orgId: c.org_id,
      clusterId: c.cluster_id,
      metric: i % 2 ? 'backup' : 'storage',
      quantity: 1000 + (i % 997),
      start: start.toISOString(),
      end: new Date(start.getTime() + 3_600_000).toISOString(),
    }));
    const op = { authorization: `Bearer ${config.operatorToken}`, 'content-type': 'application/json' };
    const t1 = performance.now();
    for (let i = 0; i < events.length; i += 1000) {
      const r = await fetch(`${base}/v1/internal/usage`, {
        method: 'POST',
        headers: op,
        body: JSON.stringify({ events: events.slice(i, i + 1000) }),
      });
      if (r.status !== 200) throw new Error(`usage: ${r.status} ${await r.text()}`);
    }
    const ingestMs = performance.now() - t1;
    const org = seeded.orgs[0]!;
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      const r = await fetch(`${base}/v1/orgs/${org.id}/bills/${month}`, {
        headers: { authorization: `Bearer ${org.apiKey}` },
      });
      await r.arrayBuffer();
      times.push(performance.now() - t);
    }
    // Every org's bills for every ended month, as the job would issue them a minute into next month.
    const issueAt = new Date(
      monthPeriod(addMonths(month, 1), config.billingTimeZone).start.getTime() + 120_000,
    );
    const t2 = performance.now();
    const issued = await issueDueBills(database.db, config, issueAt, { maxBatches: 10_000 });
    const issueMs = performance.now() - t2;
    return {
      at: new Date().toISOString(),
      database: database.engine,
      node: process.version,
      seed: { orgs: seeded.orgs.length, orders: seeded.orders, ms: Math.round(seedMs) },
      usageIngest: {
        events: events.length,
        ms: Math.round(ingestMs),
        eventsPerSecond: Math.round(events.length / (ingestMs / 1000)),
      },
      openBillGet: { medianMs: Math.round(median(times) * 10) / 10, runs: times.length },
      issue: {
        ...issued,
        ms: Math.round(issueMs),
        billsPerSecond: Math.round(issued.issued / (issueMs / 1000)),
      },
    };
  } finally {
    await tally.close();
    await database.close();
    if (url) await admin(`drop schema ${schema} cascade`);
  }
}

async function main() {
  const file = outPath('results-bills.json');
  for (const engine of engines) {
    if (engine === 'postgres' && !pgUrl) throw new Error('postgres: set DATABASE_URL or BENCH_PG_URL');
    const r = await runOne(engine === 'postgres' ? pgUrl : undefined);
    console.log(JSON.stringify(r, null, 2));
    const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    all[r.database] = r;
    writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
