import type { Deps } from '../deps.js';
import { errorText } from '../isolation/job-failures.repository.js';

/** What this instance last saw of a background job (the failing orgs are in the database, shared by all). */
export interface JobStatus {
  name: string;
  intervalMs: number;
  runs: number;
  errors: number;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  lastOutcome: 'ok' | 'error' | null;
  lastError: string | null;
  lastResult: unknown;
}

/** One board per running app (keyed by its deps), read by GET /v1/internal/jobs. */
const boards = new WeakMap<Deps, Map<string, JobStatus>>();

export function jobBoard(deps: Deps): Map<string, JobStatus> {
  let board = boards.get(deps);
  if (!board) {
    board = new Map();
    boards.set(deps, board);
  }
  return board;
}

export function registerJob(deps: Deps, name: string, intervalMs: number): void {
  const board = jobBoard(deps);
  if (!board.has(name))
    board.set(name, {
      name,
      intervalMs,
      runs: 0,
      errors: 0,
      lastStartedAt: null,
      lastFinishedAt: null,
      lastOutcome: null,
      lastError: null,
      lastResult: null,
    });
}

export function jobStarted(deps: Deps, name: string, at: Date): void {
  const s = jobBoard(deps).get(name);
  if (s) s.lastStartedAt = at;
}

export function jobFinished(
  deps: Deps,
  name: string,
  at: Date,
  outcome: { result: unknown } | { error: unknown },
): void {
  const s = jobBoard(deps).get(name);
  if (!s) return;
  s.runs++;
  s.lastFinishedAt = at;
  if ('error' in outcome) {
    s.errors++;
    s.lastOutcome = 'error';
    s.lastError = errorText(outcome.error);
  } else {
    s.lastOutcome = 'ok';
    s.lastError = null;
    s.lastResult = outcome.result;
  }
}
