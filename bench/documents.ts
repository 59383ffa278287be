/**
 * Documents benchmark: PDF generation time and size (an order, a bill) and the time to export 100,000 orders
 * as CSV and as XLSX through the real HTTP endpoint (a listening server, the response consumed as a stream).
 *
 *   npx tsx bench/documents.ts [--orders 100000] [--port 18201] [--engines pglite,postgres]
 *
 * PostgreSQL (a fresh schema, dropped afterwards) at DATABASE_URL or BENCH_PG_URL (npm run bench sets it),
 * and/or the embedded PGlite in memory: by default PostgreSQL when a URL is given, else PGlite.
 * The port defaults to BENCH_PORT_BASE when set.
 * The number of orders defaults to BENCH_DOCUMENTS_ORDERS when set.
 * Prints the numbers and records them in bench/results-documents.json (or BENCH_OUT_DIR) under the engine's name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadDocumentsBench } from './documents-lib.js';
import { outPath } from './lib.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: process.env.BENCH_DOCUMENTS_ORDERS ?? '100000' },
    port: { type: 'string', default: process.env.BENCH_PORT_BASE ?? '18201' },
    engines: { type: 'string' },
  },
});
const pgUrl = process.env.DATABASE_URL || process.env.BENCH_PG_URL || undefined;
const engines = (values.engines ?? (pgUrl ? 'postgres' : 'pglite')).split(',');

async function main() {
  for (const engine of engines) {
    if (engine === 'postgres' && !pgUrl) throw new Error('postgres: set DATABASE_URL or BENCH_PG_URL');
    await runOne(engine === 'postgres' ? pgUrl : undefined);
  }
}

async function runOne(url: string | undefined) {
  let schema: string | undefined;
  if (url) {
    schema = `bench_docs_${randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
  }
  try {
    const r = await loadDocumentsBench({
      databaseUrl: url,
      schema,
      orders: Number(values.orders),
      port: Number(values.port),
    });
    console.log(JSON.stringify(r, null, 2));
    // One entry per database engine, so that runs on PGlite and on PostgreSQL sit side by side.
    const file = outPath('results-documents.json');
    const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    all[r.database] = r;
    writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  } finally {
    if (url && schema) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
