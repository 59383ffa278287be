import { confirmDueBills } from '../billing/bill-lifecycle.js';
import { markBillsOverdue } from '../billing/bills-overdue.js';
import { issueDueBills } from '../billing/issue-bill.js';
import { runAutoRenew } from '../clusters/auto-renew.js';
import { completeProvisioning, processOutbox } from '../clusters/provisioning.js';
import { sweepTermTimeline } from '../clusters/term-sweeper.js';
import type { Deps } from '../deps.js';
import { purgeExpiredKeys } from '../http/idempotency.js';
import { purgeExpiredSignInState } from '../identity/sign-in.repository.js';
import { requestDueInvoices } from '../invoices/auto-invoice.js';
import { countFailingOrgsByJob } from '../isolation/job-failures.repository.js';
import { runNotifications } from '../notifications/notify.js';
import { sweepOrderTimeouts } from '../orders/order-timeouts.js';
import { runWebhooks } from '../webhooks/deliver.js';
import { jobFinished, jobStarted, registerJob } from './job-status.js';

type JobName =
  | 'sweeper'
  | 'outbox'
  | 'provisioning'
  | 'housekeeping'
  | 'bills'
  | 'bills-overdue'
  | 'bills-confirm'
  | 'term'
  | 'auto-renew'
  | 'notifications'
  | 'webhooks'
  | 'auto-invoice';

export interface Job {
  name: JobName;
  intervalMs: number;
  run: (deps: Deps, now: Date) => Promise<unknown>;
}

export function coreJobs(deps: Deps): Job[] {
  return [
    {
      name: 'sweeper',
      intervalMs: deps.config.sweepIntervalMs,
      run: async (d, now) => {
        const r = await sweepOrderTimeouts(d.db, now);
        if (r.timedOut) {
          d.metrics.sweeperTimedOut.inc(r.timedOut);
          d.log.info(
            { job: 'sweeper', timedOut: r.timedOut, worstLatenessMs: Math.round(r.worstLatenessMs) },
            'orders timed out',
          );
        }
        return r;
      },
    },
    // SPEC §8.1: the timeline persisted within 60 s (reads never wait for it).
    {
      name: 'term',
      intervalMs: 15_000,
      run: async (d, now) => {
        const r = await sweepTermTimeline(d.db, now);
        if (r.moved) d.log.info({ job: 'term', ...r }, 'clusters moved along the term timeline');
        return r;
      },
    },
    // SPEC §8.4: each attempt once, at (or within a run of) its instant.
    {
      name: 'auto-renew',
      intervalMs: 30_000,
      run: async (d, now) => {
        const r = await runAutoRenew(d, now);
        if (r.paid + r.failed + r.skipped + r.errors)
          d.log.info({ job: 'auto-renew', ...r }, 'auto-renew attempts');
        return r;
      },
    },
    { name: 'outbox', intervalMs: 500, run: (d, now) => processOutbox(d.db, now, d.config.provisionSeconds) },
    { name: 'provisioning', intervalMs: 1_000, run: (d, now) => completeProvisioning(d.db, now) },
    {
      name: 'housekeeping',
      intervalMs: 3_600_000,
      run: async (d, now) => ({
        idempotencyKeys: await purgeExpiredKeys(d.db, now),
        ...(await purgeExpiredSignInState(d.db, now)),
      }),
    },
    // Monthly bills: every ended month without a bill, per org, issued once (unique (org_id, month)).
    {
      name: 'bills',
      intervalMs: 60_000,
      run: async (d, now) => {
        const r = await issueDueBills(d.db, d.config, now);
        if (r.issued) d.log.info({ job: 'bills', ...r }, 'bills issued');
        return r;
      },
    },
    // SPEC §10.2: pending bills confirmed (and charged) after 3 business days, each once.
    {
      name: 'bills-confirm',
      intervalMs: 60_000,
      run: async (d, now) => {
        const r = await confirmDueBills(d.db, now);
        if (r.confirmed + r.failed) d.log.info({ job: 'bills-confirm', ...r }, 'bills confirmed');
        return r;
      },
    },
    {
      name: 'bills-overdue',
      intervalMs: 60_000,
      run: async (d, now) => {
        const r = await markBillsOverdue(d.db, now);
        if (r.overdue + r.reminded) d.log.info({ job: 'bills-overdue', ...r }, 'bills overdue');
        return r;
      },
    },
    // SPEC §10.4: a 专票 for each bill 3 days after it is fully paid, for orgs that asked, once per bill.
    {
      name: 'auto-invoice',
      intervalMs: 60_000,
      run: async (d, now) => {
        const r = await requestDueInvoices(d, now);
        if (r.requested + r.refused + r.errors)
          d.log.info({ job: 'auto-invoice', ...r }, 'automatic invoice requests');
        return r;
      },
    },
    // SPEC §9: after the jobs above, so that what they changed is told in the same run.
    { name: 'notifications', intervalMs: 2_000, run: (d, now) => runNotifications(d, now) },
    { name: 'webhooks', intervalMs: 2_000, run: (d, now) => runWebhooks(d, now) },
  ];
}

/**
 * Runs each job on its interval, never overlapping itself. Every instance runs every job; the jobs make
 * that safe (row claims with SKIP LOCKED, compare-and-set updates, unique keys).
 */
export class JobRunner {
  private timers: NodeJS.Timeout[] = [];
  private running = new Map<string, Promise<unknown>>();
  private stopped = false;
  private readonly jobs: Job[];

  constructor(
    private readonly deps: Deps,
    private readonly beforeRun: () => Promise<void> = async () => {},
  ) {
    this.jobs = coreJobs(deps);
    for (const job of this.jobs) registerJob(deps, job.name, job.intervalMs);
  }

  private gaugeRefreshedAt = Number.NEGATIVE_INFINITY;
  private failingCounts = new Map<string, number>();

  /**
   * tally_job_failing_orgs{job} from job_failures (shared by all instances): after a run of a job that has (or
   * just reported) failing orgs, else at most every GAUGE_REFRESH_MS, so a healthy frequent job does not add a
   * query to every run.
   */
  private async refreshFailingGauge(job: string, now: Date, result: unknown): Promise<void> {
    const failed =
      typeof result === 'object' && result !== null && 'failed' in result && Number(result.failed) > 0;
    const due = now.getTime() - this.gaugeRefreshedAt >= JobRunner.GAUGE_REFRESH_MS;
    if (!failed && !due && !this.failingCounts.get(job)) return;
    this.gaugeRefreshedAt = now.getTime();
    this.failingCounts = await countFailingOrgsByJob(this.deps.db);
    for (const j of this.jobs)
      this.deps.metrics.jobFailingOrgs.set({ job: j.name }, this.failingCounts.get(j.name) ?? 0);
  }

  static readonly GAUGE_REFRESH_MS = 10_000;

  start(): void {
    for (const job of this.jobs) {
      const t = setInterval(() => {
        if (!this.running.has(job.name)) void this.runJob(job);
      }, job.intervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  /** the jobs a kick has scheduled and that have not started yet */
  private kicked = new Set<string>();

  /**
   * Runs the job soon (after a payment: its provisioning). Kicks within KICK_DELAY_MS make one run, so under
   * load each run takes the events of many payments in one transaction instead of one run per payment.
   */
  kick(name: string): void {
    const job = this.jobs.find((j) => j.name === name);
    if (!job || this.stopped || this.running.has(job.name) || this.kicked.has(job.name)) return;
    this.kicked.add(job.name);
    setTimeout(() => {
      this.kicked.delete(job.name);
      if (!this.stopped && !this.running.has(job.name)) void this.runJob(job);
    }, JobRunner.KICK_DELAY_MS).unref();
  }

  static readonly KICK_DELAY_MS = 10;

  /** Runs the job now; if a run is in flight, waits for it and then runs afresh (never two at once). */
  async runJob(job: Job): Promise<unknown> {
    const inFlight = this.running.get(job.name);
    const p: Promise<unknown> = (async () => {
      if (inFlight) await inFlight;
      try {
        await this.beforeRun();
        const now = this.deps.clock.now();
        jobStarted(this.deps, job.name, now);
        const r = await job.run(this.deps, now);
        this.deps.metrics.jobRuns.inc({ job: job.name, outcome: 'ok' });
        jobFinished(this.deps, job.name, this.deps.clock.now(), { result: r });
        await this.refreshFailingGauge(job.name, now, r);
        return r;
      } catch (err) {
        this.deps.metrics.jobRuns.inc({ job: job.name, outcome: 'error' });
        jobFinished(this.deps, job.name, this.deps.clock.now(), { error: err });
        if (!this.stopped)
          this.deps.log.warn({ job: job.name, err }, 'background job failed; it will run again');
        return undefined;
      }
    })();
    this.running.set(job.name, p);
    void p.finally(() => {
      if (this.running.get(job.name) === p) this.running.delete(job.name);
    });
    return p;
  }

  /** Runs every job once, in order (tests, and the internal jobs endpoint). */
  async runAllOnce(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const job of this.jobs) out[job.name] = await this.runJob(job);
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.running.values());
  }
}
