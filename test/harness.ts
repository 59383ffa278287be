import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Config, testConfig } from '../server/src/config.js';
import { connect, type Database$ } from '../server/src/db/connect.js';
import { ManualClock } from '../server/src/platform/clock.js';
import { type Catalog, defaultCatalog } from '../server/src/pricing/catalog.js';
import { createTally, type Tally } from '../server/src/server.js';
import { pgliteTemplate } from './pglite-template.js';

/** Which database this run of the suite uses: the same tests run once on each (see vitest.config.ts). */
export const ENGINE = (process.env.TALLY_TEST_DB ?? 'pglite') as 'pglite' | 'postgres';
export const PG_URL = process.env.TALLY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const onPostgres = ENGINE === 'postgres';

/**
 * Test files run in parallel against one PostgreSQL whose max_connections is 100, so pools are small: 10 by
 * default, 24 per instance in the race tests (see test/api/concurrency.test.ts).
 *
 * A fresh database for one test file: an in-memory PGlite (restored from the migrated template unless
 * `unmigrated`: a test of migrations themselves), or a new, empty schema on the PostgreSQL server (dropped at
 * the end of the file; createTally migrates it). No mocks: the code under test is the production code.
 */
export async function freshDatabase(poolSize = 10, opts: { unmigrated?: boolean } = {}): Promise<Database$> {
  if (ENGINE === 'pglite')
    return opts.unmigrated
      ? connect({ dataDir: 'memory://' })
      : connect({ dataDir: 'memory://', loadDataDir: await pgliteTemplate() });
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const database = await connect({ databaseUrl: PG_URL, schema, poolSize });
  return {
    ...database,
    close: async () => {
      await database.close();
      const a = new pg.Client({ connectionString: PG_URL });
      await a.connect();
      await a.query(`drop schema ${schema} cascade`);
      await a.end();
    },
  };
}

export interface TestTally extends Tally {
  clock: ManualClock;
  config: Config;
  /** The operator token's Authorization header. */
  op: { authorization: string };
}

/**
 * What startTestTally opened for the file running now, closed after it by closeTestTallies (test/after-file.ts, a
 * setup file, registers that for every file). Not an afterAll inside startTestTally: most files call it from a
 * beforeAll, and vitest never runs a hook registered while tests run — each such file kept its pool's connections
 * open and, on PostgreSQL, left its schema behind.
 */
const toClose: (() => Promise<void>)[] = [];

/** Closes what a file opened itself (a database, a Tally) after the file, wherever it was opened from. */
export function closeAfterFile(close: () => Promise<void>): void {
  toClose.push(close);
}

export async function closeTestTallies(): Promise<void> {
  for (const close of toClose.splice(0).reverse()) await close();
}

/** The whole app in-process on a fresh database, with a hand-moved clock; closed after the file. */
export async function startTestTally(
  opts: { config?: Partial<Config>; poolSize?: number; catalog?: Catalog } = {},
): Promise<TestTally> {
  const clock = new ManualClock('2026-11-02T08:00:00Z');
  const config = testConfig({ provisionSeconds: 10, ...opts.config });
  const database = await freshDatabase(opts.poolSize);
  const tally = await createTally({ config, database, clock, catalog: opts.catalog });
  closeAfterFile(async () => {
    try {
      await tally.close();
    } finally {
      await database.close();
    }
  });
  return { ...tally, clock, config, op: { authorization: `Bearer ${config.operatorToken}` } };
}

/**
 * The catalog with fixed pay-as-you-go prices for tests of bill arithmetic: storage 417 millionths of a fen
 * per GB-hour and backup 3,000 per GB-day, the prices those tests state in their comments. The tests check
 * the arithmetic, not the list price, so they pin the prices they were written against.
 */
export const BILLING_TEST_CATALOG: Catalog = {
  ...defaultCatalog,
  regions: defaultCatalog.regions.map((r) => ({
    ...r,
    usagePrices: {
      storage: { ...r.usagePrices.storage, microsPerUnit: 417 },
      backup: { ...r.usagePrices.backup, microsPerUnit: 3000 },
    },
  })),
};
