import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { termLagSeconds } from './clusters/term-sweeper.js';
import type { Config } from './config.js';
import { connect, type Database$ } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import type { Deps } from './deps.js';
import { buildApp, buildMetricsApp } from './http/app.js';
import { authenticate } from './identity/authenticate.js';
import { listenForPrincipalChanges } from './identity/principal-cache.js';
import { JobRunner } from './jobs/runner.js';
import { untoldLagSeconds } from './notifications/deliver-events.js';
import { mailQueueCounts } from './notifications/send-mail.js';
import { orderGauges } from './orders/orders.repository.js';
import { type Clock, OffsetClock } from './platform/clock.js';
import { createMetrics } from './platform/metrics.js';
import { type Catalog, defaultCatalog } from './pricing/catalog.js';
import { routes } from './routes.js';
import { deliveryGauges } from './webhooks/webhooks.repository.js';

export interface Tally {
  app: FastifyInstance;
  /** /metrics on its own listener, when TALLY_METRICS_PORT is set (the caller listens on it). */
  metricsApp?: FastifyInstance;
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

/** Gauges are at most this old when scraped: a scrape does not scan the orders on every call. */
export const GAUGE_MAX_AGE_MS = 15_000;

/**
 * The orders-by-status and sweeper-lag gauges, recomputed at most once per GAUGE_MAX_AGE_MS of the clock
 * however many scrapers ask, and by one query at a time (concurrent scrapes share it). A failing refresh
 * keeps the last values: the scrape still answers the counters.
 */
function cachedOrderGauges(deps: Deps): () => Promise<void> {
  let refreshedAt = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  const refresh = async () => {
    const now = deps.clock.now();
    try {
      const g = await orderGauges(deps.db, now);
      deps.metrics.ordersByStatus.reset();
      for (const [status, n] of Object.entries(g.byStatus)) deps.metrics.ordersByStatus.set({ status }, n);
      deps.metrics.sweeperLagSeconds.set(g.sweeperLagSeconds);
      deps.metrics.termLagSeconds.set(await termLagSeconds(deps.db, now));
      const deliveries = await deliveryGauges(deps.db);
      for (const [status, n] of Object.entries(deliveries)) deps.metrics.webhookDeliveries.set({ status }, n);
      const mail = await mailQueueCounts(deps);
      for (const [status, n] of Object.entries(mail)) deps.metrics.mailQueue.set({ status }, n);
      deps.metrics.notificationsLagSeconds.set(await untoldLagSeconds(deps.db, now));
      refreshedAt = now.getTime();
    } catch (err) {
      deps.log.warn({ err }, 'metrics: the order gauges could not be refreshed; serving the last values');
    } finally {
      running = undefined;
    }
  };
  return async () => {
    const age = deps.clock.now().getTime() - refreshedAt;
    if (age >= 0 && age < GAUGE_MAX_AGE_MS) return;
    running ??= refresh();
    await running;
  };
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
      failoverWaitMs: config.dbFailoverWaitMs,
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
  // The principals behind API keys are kept while the database's announcements of their changes are heard.
  // At start, before anything else uses the connection (on PGlite the LISTEN runs on the one connection).
  const principalChanges = listenForPrincipalChanges(deps, database.listen);
  await principalChanges.started;
  jobs = new JobRunner(deps, refreshClock);
  const refreshGauges = cachedOrderGauges(deps);
  const app = await buildApp(deps, {
    routes,
    authenticate,
    beforeRequest: testClock ? refreshClock : undefined,
    extend: opts.extend,
    refreshGauges,
    serveMetrics: config.metricsPort === undefined,
  });
  const metricsApp =
    config.metricsPort === undefined ? undefined : await buildMetricsApp(deps, { refreshGauges });
  await refreshClock();
  if (opts.backgroundJobs) jobs.start();
  return {
    app,
    metricsApp,
    deps,
    jobs,
    database,
    close: async () => {
      await jobs.stop();
      await app.close();
      await principalChanges.close();
      await metricsApp?.close();
      if (!opts.database) await database.close();
    },
  };
}
