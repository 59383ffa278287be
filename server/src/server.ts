import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Config } from './config.js';
import { connect, type Database$ } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import type { Deps } from './deps.js';
import { buildApp } from './http/app.js';
import { JobRunner } from './jobs/runner.js';
import { type Clock, OffsetClock } from './platform/clock.js';
import { createMetrics } from './platform/metrics.js';
import { type Catalog, defaultCatalog } from './pricing/catalog.js';
import { routes } from './routes.js';

export interface Tally {
  app: FastifyInstance;
  deps: Deps;
  jobs: JobRunner;
  database: Database$;
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  /** An already-open database (tests reuse one); otherwise opened from the config. */
  database?: Database$;
  clock?: Clock;
  catalog?: Catalog;
  log?: FastifyBaseLogger;
  /** Start the periodic background jobs (servers do; in-process tests drive them by hand). */
  backgroundJobs?: boolean;
  extend?: (app: FastifyInstance) => Promise<void> | void;
}

/** The composition root: database, migrations, clock, app, background jobs. */
export async function createTally(opts: StartOptions): Promise<Tally> {
  const { config } = opts;
  const database =
    opts.database ??
    (await connect({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.dbPoolSize,
    }));
  await migrateToLatest(database.db);
  const testClock = config.testClock && !opts.clock ? new OffsetClock() : undefined;
  const clock = opts.clock ?? testClock ?? { now: () => new Date() };
  const refreshClock = testClock
    ? async () => {
        const row = await database.db
          .selectFrom('test_clock')
          .select('offset_ms')
          .where('id', '=', 1)
          .executeTakeFirst();
        testClock.setOffset(row?.offset_ms ?? 0);
      }
    : async () => {};
  const log =
    opts.log ??
    (pino({
      level: config.logLevel,
      base: undefined,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'apiKey', 'password'],
    }) as unknown as FastifyBaseLogger);
  let jobs: JobRunner | undefined;
  const deps: Deps = {
    config,
    db: database.db,
    engine: database.engine,
    clock,
    catalog: opts.catalog ?? defaultCatalog,
    metrics: createMetrics(),
    log,
    kick: (job) => jobs?.kick(job),
    runJobsOnce: () => jobs!.runAllOnce(),
  };
  jobs = new JobRunner(deps, refreshClock);
  const app = await buildApp(deps, {
    routes,
    beforeRequest: testClock ? refreshClock : undefined,
    extend: opts.extend,
  });
  await refreshClock();
  if (opts.backgroundJobs) jobs.start();
  return {
    app,
    deps,
    jobs,
    database,
    close: async () => {
      await jobs.stop();
      await app.close();
      if (!opts.database) await database.close();
    },
  };
}
