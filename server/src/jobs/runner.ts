import { purgeExpiredSignInState } from '../access/sign-in.repository.js';
import { markOverdue } from '../billing/billing.repository.js';
import { issueDueBills } from '../billing/issue-bill.js';
import type { Deps } from '../deps.js';
import { purgeExpiredKeys } from '../platform/idempotency.js';
import { sweepOrderTimeouts } from './order-timeouts.js';
import { completeProvisioning, processOutbox } from './provisioning.js';

type JobName = 'sweeper' | 'outbox' | 'provisioning' | 'housekeeping' | 'bills' | 'bills-overdue';

export interface Job {
  name: JobName;
  intervalMs: number;
  run: (deps: Deps, now: Date) => Promise<unknown>;
}

/** Other features add their periodic work here (monthly bills). */
export const extraJobs: Job[] = [];

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
    {
      name: 'bills-overdue',
      intervalMs: 60_000,
      run: async (d, now) => {
        const n = await markOverdue(d.db, now);
        if (n) d.log.info({ job: 'bills-overdue', overdue: n }, 'bills overdue');
        return n;
      },
    },
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
    this.jobs = [...coreJobs(deps), ...extraJobs];
  }

  start(): void {
    for (const job of this.jobs) {
      const t = setInterval(() => {
        if (!this.running.has(job.name)) void this.runJob(job);
      }, job.intervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  kick(name: string): void {
    const job = this.jobs.find((j) => j.name === name);
    if (job && !this.stopped && !this.running.has(job.name)) setImmediate(() => void this.runJob(job));
  }

  /** Runs the job now; if a run is in flight, waits for it and then runs afresh (never two at once). */
  async runJob(job: Job): Promise<unknown> {
    const inFlight = this.running.get(job.name);
    const p: Promise<unknown> = (async () => {
      if (inFlight) await inFlight;
      try {
        await this.beforeRun();
        const r = await job.run(this.deps, this.deps.clock.now());
        this.deps.metrics.jobRuns.inc({ job: job.name, outcome: 'ok' });
        return r;
      } catch (err) {
        this.deps.metrics.jobRuns.inc({ job: job.name, outcome: 'error' });
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
