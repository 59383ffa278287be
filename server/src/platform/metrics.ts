import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  ordersByStatus: Gauge<'status'>;
  sweeperLagSeconds: Gauge;
  termLagSeconds: Gauge;
  webhookDeliveries: Gauge<'status'>;
  mailQueue: Gauge<'status'>;
  notificationsLagSeconds: Gauge;
  sweeperTimedOut: Counter;
  jobRuns: Counter<'job' | 'outcome'>;
  jobFailingOrgs: Gauge<'job'>;
  orderTransitions: Counter<'to'>;
  dbFailovers: Counter;
  dbPoolsDropped: Counter;
  dbFailoverRetries: Counter<'kind'>;
}

/**
 * What this process saw of PostgreSQL failovers, counted where it happens (server/src/db/failover.ts, the
 * command retry in http/errors.ts) and published by every registry of the process at scrape time.
 */
export const databaseEvents = {
  /** a new primary found on another node than the lost one */
  failovers: 0,
  /** the pool dropped because its node went away or turned read-only */
  poolsDropped: 0,
  /** commands run again as a whole after a failover interrupted them */
  commandRetries: 0,
  /** reads outside a transaction repeated on the new primary */
  readRetries: 0,
};

/** A counter whose value is read from databaseEvents when scraped. */
function eventCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  read: (set: (value: number, labels?: Record<L, string>) => void) => void,
  labelNames: L[] = [],
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      read((value, labels) => {
        if (labels) this.inc(labels as never, value);
        else (this as Counter).inc(value);
      });
    },
  });
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    httpRequests: new Counter({
      name: 'tally_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'tally_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    ordersByStatus: new Gauge({
      name: 'tally_orders',
      help: 'Orders by effective status (read at scrape time)',
      labelNames: ['status'],
      registers: [registry],
    }),
    sweeperLagSeconds: new Gauge({
      name: 'tally_sweeper_lag_seconds',
      help: 'How long the oldest overdue unpaid order has waited past its deadline to be persisted as timed_out',
      registers: [registry],
    }),
    termLagSeconds: new Gauge({
      name: 'tally_term_lag_seconds',
      help: 'Seconds since the earliest term-timeline instant (expiring, expired, recycled, deleted) not yet persisted; reads are exact regardless',
      registers: [registry],
    }),
    webhookDeliveries: new Gauge({
      name: 'tally_webhook_deliveries',
      help: 'Webhook deliveries waiting to be sent or retried (pending) and given up after 3 days (failed)',
      labelNames: ['status'],
      registers: [registry],
    }),
    mailQueue: new Gauge({
      name: 'tally_mail_queue',
      help: 'Mails waiting to be sent or retried (pending) and given up after their attempts (failed)',
      labelNames: ['status'],
      registers: [registry],
    }),
    notificationsLagSeconds: new Gauge({
      name: 'tally_notifications_lag_seconds',
      help: 'Age of the oldest outbox event not yet turned into notifications',
      registers: [registry],
    }),
    sweeperTimedOut: new Counter({
      name: 'tally_sweeper_timed_out_total',
      help: 'Orders persisted as timed_out by this instance',
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: 'tally_job_runs_total',
      help: 'Background job runs',
      labelNames: ['job', 'outcome'],
      registers: [registry],
    }),
    jobFailingOrgs: new Gauge({
      name: 'tally_job_failing_orgs',
      help: 'Orgs whose work failed in a background job and waits for a retry (job_failures)',
      labelNames: ['job'],
      registers: [registry],
    }),
    orderTransitions: new Counter({
      name: 'tally_order_transitions_total',
      help: 'Order transitions made by this instance',
      labelNames: ['to'],
      registers: [registry],
    }),
    dbFailovers: eventCounter(
      registry,
      'tally_db_failovers_total',
      'PostgreSQL failovers followed by this process (the writable node moved to another host)',
      (set) => set(databaseEvents.failovers),
    ),
    dbPoolsDropped: eventCounter(
      registry,
      'tally_db_pool_resets_total',
      'Times this process dropped its database pool because the node went away or turned read-only',
      (set) => set(databaseEvents.poolsDropped),
    ),
    dbFailoverRetries: eventCounter(
      registry,
      'tally_db_failover_retries_total',
      'Work run again on the new primary after a failover interrupted it: whole commands, and reads',
      (set) => {
        set(databaseEvents.commandRetries, { kind: 'command' });
        set(databaseEvents.readRetries, { kind: 'read' });
      },
      ['kind'],
    ),
  };
}
