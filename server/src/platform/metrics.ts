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
  };
}
