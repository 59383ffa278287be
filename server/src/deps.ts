import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import type { Clock } from './platform/clock.js';
import type { Metrics } from './platform/metrics.js';
import type { Catalog } from './pricing/catalog.js';

/** Everything a use case may need, built once in the composition root (main.ts / tests). */
export interface Deps {
  config: Config;
  db: Db;
  engine: 'postgres' | 'pglite';
  clock: Clock;
  catalog: Catalog;
  metrics: Metrics;
  log: FastifyBaseLogger;
  /** Wakes the background workers (after a payment, so provisioning starts at once). */
  kick: (job: 'outbox' | 'provisioning' | 'sweeper' | 'webhooks' | 'notifications') => void;
  /** Runs every background job once, now, and answers what each did. */
  runJobsOnce: () => Promise<Record<string, unknown>>;
}
