import { EmptyBody } from '../../../contract/api.js';
import { defineRoute } from '../http/route.js';
import { listJobFailures } from '../isolation/job-failures.repository.js';
import { jobBoard } from './job-status.js';

const MAX_FAILURES_LISTED = 1000;

export const jobRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/internal/jobs',
    summary:
      'Background jobs: each one’s last run on this instance, and the orgs whose work failed (shared by all instances), with their errors and next retry',
    tags: ['internal'],
    auth: 'operator',
    handler: async ({ deps }) => {
      const failures = await listJobFailures(deps.db, MAX_FAILURES_LISTED);
      const failingByJob = new Map<string, number>();
      for (const f of failures) failingByJob.set(f.job, (failingByJob.get(f.job) ?? 0) + 1);
      return {
        body: {
          jobs: [...jobBoard(deps).values()].map((s) => ({
            name: s.name,
            intervalMs: s.intervalMs,
            runs: s.runs,
            errors: s.errors,
            lastStartedAt: s.lastStartedAt,
            lastFinishedAt: s.lastFinishedAt,
            lastOutcome: s.lastOutcome,
            lastError: s.lastError,
            lastResult: s.lastResult ?? null,
            failingOrgs: failingByJob.get(s.name) ?? 0,
          })),
          failingOrgs: failures.map((f) => ({
            job: f.job,
            orgId: f.org_id,
            key: f.key,
            attempts: f.attempts,
            firstFailedAt: f.first_failed_at,
            lastFailedAt: f.last_failed_at,
            nextAttemptAt: f.next_attempt_at,
            lastError: f.last_error,
          })),
        },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/jobs/run',
    summary: 'Run every background job once now (timeouts, provisioning, housekeeping)',
    tags: ['internal'],
    auth: 'operator',
    body: EmptyBody,
    noTransaction: true,
    handler: async ({ deps }) => ({ body: await deps.runJobsOnce() }),
  }),
];
