import type { ErrorCode } from '../../../contract/errors.js';

/** An expected business outcome with a stable code; the HTTP layer maps it to a status. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
