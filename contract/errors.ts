/**
 * The one map from a stable error code to its HTTP status, shared by the API and the console.
 * Domain code throws `AppError(code)`; only the HTTP error mapper reads this table.
 */
export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  METHOD_NOT_ALLOWED: 405,
  INSUFFICIENT_BALANCE: 402,
  ORDER_NOT_PAYABLE: 409,
  ORDER_NOT_CANCELLABLE: 409,
  COUPON_NOT_APPLICABLE: 422,
  /** details: {item: {kind, id}, reason} (contract/invoices.ts INVOICE_ITEM_REASONS) */
  INVOICE_ITEM_NOT_ELIGIBLE: 422,
  /** an invoice issued or failed already: issue and fail only from requested; details: {status} */
  INVOICE_NOT_OPEN: 409,
  UPGRADE_ALREADY_PENDING: 409,
  INVALID_UPGRADE: 422,
  CLUSTER_NOT_READY: 409,
  CLUSTER_ORDER_PENDING: 409,
  CLUSTER_NOT_RENEWABLE: 409,
  ORG_NOT_CERTIFIED: 403,
  /** SPEC §10.3: an overdue bill freezes purchases, upgrades and renewals; details: {bills: [{month, outstandingAmount}], amountDue} */
  ORG_FROZEN: 403,
  /** SPEC §10.2: only a pending_confirmation bill can be disputed; details: {status} */
  BILL_NOT_DISPUTABLE: 409,
  /** SPEC §10.2: confirm needs a pending_confirmation bill, resolve a disputed one; details: {status} */
  BILL_NOT_CONFIRMABLE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  REMITTANCE_CODE_UNKNOWN: 422,
  CURRENCY_MISMATCH: 422,
  BANK_REFERENCE_CONFLICT: 409,
  BALANCE_LIMIT_EXCEEDED: 422,
  AMOUNT_LIMIT_EXCEEDED: 422,
  IDEMPOTENT_REPLAY_UNAVAILABLE: 409,
  ALREADY_MEMBER: 409,
  EMAIL_TAKEN: 409,
  INVALID_CREDENTIALS: 401,
  CSRF_TOKEN_INVALID: 403,
  INVITATION_INVALID: 404,
  API_KEY_LIMIT_REACHED: 409,
  BILL_DATA_INVALID: 409,
  CLOCK_BACKWARDS: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  /** the database stayed away longer than the failover wait (a Retry-After header says when to try again) */
  DATABASE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}
