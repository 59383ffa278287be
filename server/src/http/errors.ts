import type { FastifyError } from 'fastify';
import type { ZodError } from 'zod';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../../../contract/errors.js';
import { DatabaseUnavailableError, isFailoverError, retryableAfterFailover } from '../db/failover.js';
import { AppError } from '../platform/errors.js';
import { databaseEvents } from '../platform/metrics.js';

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return details ? { error: { code, message, details } } : { error: { code, message } };
}

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** A validation failure that names each offending field. */
export function validationError(where: 'body' | 'query', err: ZodError): AppError {
  const issues = err.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : where,
    message: i.message,
    code: i.code,
  }));
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : `invalid ${where}`;
  return new AppError('VALIDATION_FAILED', message, { in: where, issues });
}

/** A path value of a known route that lacks its format (e.g. a bill month `2026-13`): 400, naming the format. */
export function pathError(issues: { path: PropertyKey[]; message: string }[]): AppError {
  const list = issues.map((i) => ({ field: i.path.map(String).join('.') || 'path', message: i.message }));
  const first = list[0];
  const message = first ? `${first.field}: ${first.message}` : 'invalid path';
  return new AppError('VALIDATION_FAILED', message, { in: 'path', issues: list });
}

const PG_TRANSIENT = new Set(['40001', '40P01']);
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '53300']);

/**
 * Whether a command that failed with this error is run again as a whole (http/app.ts): a serialization
 * failure or deadlock, or a failover that interrupted work which cannot have committed, or whose repetition
 * cannot do it twice (db/failover.ts retryableAfterFailover: the Idempotency-Key claim replays the first
 * answer; a one-statement compare-and-set finds its own result). The next attempt waits for the new primary.
 */
export function isTransientDbError(err: unknown): boolean {
  if (PG_TRANSIENT.has((err as { code?: string })?.code ?? '')) return true;
  if (!retryableAfterFailover(err)) return false;
  databaseEvents.commandRetries++;
  return true;
}

/**
 * The one place where an error becomes an HTTP answer. Domain errors carry their code; framework errors
 * (bad JSON, a body too large) get theirs here; anything else is a 500 whose details stay in the log.
 */
export function toHttpError(err: unknown): {
  status: number;
  body: ErrorBody;
  unexpected: boolean;
  /** headers the answer carries (Retry-After of DATABASE_UNAVAILABLE) */
  headers?: Record<string, string>;
} {
  if (err instanceof DatabaseUnavailableError) {
    return {
      status: statusOf('DATABASE_UNAVAILABLE'),
      body: errorBody('DATABASE_UNAVAILABLE', err.message, { retryAfterSeconds: err.retryAfterSeconds }),
      unexpected: false,
      headers: { 'retry-after': String(err.retryAfterSeconds) },
    };
  }
  if (err instanceof AppError) {
    return {
      status: statusOf(err.code),
      body: errorBody(err.code, err.message, err.details),
      unexpected: false,
    };
  }
  const fe = err as FastifyError & { code?: string };
  const pgCode = typeof fe?.code === 'string' && /^[0-9A-Z]{5}$/.test(fe.code) ? fe.code : undefined;
  if (pgCode && PG_UNAVAILABLE.has(pgCode)) {
    return {
      status: 503,
      body: errorBody('UNAVAILABLE', 'the database is unavailable; retry'),
      unexpected: true,
    };
  }
  // 22021: a NUL or invalid byte in text a client sent (a value no check above caught): their input, not a fault.
  if (
    pgCode === '22P02' ||
    pgCode === '22003' ||
    pgCode === '22007' ||
    pgCode === '22008' ||
    pgCode === '22021'
  ) {
    return {
      status: 400,
      body: errorBody('VALIDATION_FAILED', 'a value is out of range'),
      unexpected: false,
    };
  }
  const msg = String((err as Error)?.message ?? '');
  // A connection lost or a node turned read-only (a failover) that could not be run again safely.
  if (
    isFailoverError(err) ||
    /Connection terminated|ECONNRESET|ECONNREFUSED|terminating connection|Client has encountered a connection error/i.test(
      msg,
    )
  ) {
    return {
      status: 503,
      body: errorBody('UNAVAILABLE', 'the database is unavailable; retry'),
      unexpected: true,
    };
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: errorBody('PAYLOAD_TOO_LARGE', 'the request body is too large'),
        unexpected: false,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: errorBody('UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json'),
        unexpected: false,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {
        status: 400,
        body: errorBody('MALFORMED_JSON', 'the body is not valid JSON'),
        unexpected: false,
      };
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode =
      fe.statusCode === 404 ? 'NOT_FOUND' : fe.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED';
    return {
      status: fe.statusCode === 404 || fe.statusCode === 413 ? fe.statusCode : 400,
      body: errorBody(code, fe.message),
      unexpected: false,
    };
  }
  return { status: 500, body: errorBody('INTERNAL', 'an unexpected error occurred'), unexpected: true };
}
