import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../../../contract/errors.js';
import type { RouteSpec } from './route.js';

/**
 * The domain errors a route answers beside the ones every route of its kind may (validation, authentication,
 * authorization, not found, idempotency), by "METHOD url". test/contract/openapi.test.ts checks that each
 * key names a route.
 */
export const DOMAIN_ERRORS: Record<string, readonly ErrorCode[]> = {
  'POST /v1/auth/login': ['INVALID_CREDENTIALS'],
  'POST /v1/orgs/:orgId/api-keys': ['API_KEY_LIMIT_REACHED'],
  'GET /v1/invitations/:token': ['INVITATION_INVALID'],
  'POST /v1/invitations/:token/accept': ['INVITATION_INVALID'],
  'POST /v1/orgs/:orgId/quotes': ['INVALID_UPGRADE', 'CLUSTER_NOT_READY', 'CLUSTER_NOT_RENEWABLE'],
  'POST /v1/orgs/:orgId/clusters': ['ORG_NOT_CERTIFIED'],
  'POST /v1/orgs/:orgId/clusters/:clusterId/upgrade': [
    'INVALID_UPGRADE',
    'CLUSTER_NOT_READY',
    'UPGRADE_ALREADY_PENDING',
    'CLUSTER_ORDER_PENDING',
    'ORG_NOT_CERTIFIED',
  ],
  'POST /v1/orgs/:orgId/clusters/:clusterId/renew': [
    'CLUSTER_NOT_RENEWABLE',
    'CLUSTER_ORDER_PENDING',
    'ORG_NOT_CERTIFIED',
  ],
  'POST /v1/orgs/:orgId/orders/:orderId/pay': [
    'INSUFFICIENT_BALANCE',
    'ORDER_NOT_PAYABLE',
    'COUPON_NOT_APPLICABLE',
  ],
  'POST /v1/orgs/:orgId/orders/pay': ['INSUFFICIENT_BALANCE', 'ORDER_NOT_PAYABLE'],
  'POST /v1/orgs/:orgId/orders/:orderId/cancel': ['ORDER_NOT_CANCELLABLE'],
  'POST /v1/internal/orgs/:orgId/members': ['ALREADY_MEMBER'],
  'POST /v1/internal/bank-transfers': [
    'REMITTANCE_CODE_UNKNOWN',
    'CURRENCY_MISMATCH',
    'BALANCE_LIMIT_EXCEEDED',
    'AMOUNT_LIMIT_EXCEEDED',
    'BANK_REFERENCE_CONFLICT',
  ],
  'POST /v1/internal/bank-transfers/:bankReference/assign': [
    'BANK_REFERENCE_CONFLICT',
    'CURRENCY_MISMATCH',
    'BALANCE_LIMIT_EXCEEDED',
  ],
  'POST /v1/internal/clock': ['CLOCK_BACKWARDS'],
  'GET /v1/orgs/:orgId/bills': ['BILL_DATA_INVALID'],
  'GET /v1/orgs/:orgId/bills/:month': ['BILL_DATA_INVALID'],
  'GET /v1/orgs/:orgId/bills/:month/document': ['BILL_DATA_INVALID'],
  'GET /v1/orgs/:orgId/bills/:month/export': ['BILL_DATA_INVALID'],
};

/** The error codes a route may answer: those of its kind, then its domain errors. */
export function errorCodesOf(r: RouteSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>();
  if (r.params || r.query || r.body) codes.add('VALIDATION_FAILED');
  if (r.auth !== 'none') codes.add('UNAUTHENTICATED');
  if (r.params) codes.add('NOT_FOUND');
  if (r.params && r.auth === 'user') codes.add('FORBIDDEN');
  if (r.method !== 'GET') {
    for (const c of ['MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const) codes.add(c);
    if (r.auth === 'user') codes.add('CSRF_TOKEN_INVALID');
    if (!r.noTransaction) codes.add('IDEMPOTENCY_KEY_REUSED');
    if (r.secretAnswer) codes.add('IDEMPOTENT_REPLAY_UNAVAILABLE');
  }
  if (r.rateLimit) codes.add('RATE_LIMITED');
  for (const c of DOMAIN_ERRORS[`${r.method} ${r.url}`] ?? []) codes.add(c);
  return [...codes];
}

/** One response per HTTP status the route's error codes map to, each naming its codes. */
function errorResponses(r: RouteSpec): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(r)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, codes]) => [
        String(status),
        {
          description: codes.join(', '),
          content: {
            'application/json': {
              schema: {
                allOf: [
                  { $ref: '#/components/schemas/Error' },
                  { properties: { error: { properties: { code: { enum: codes } } } } },
                ],
              },
            },
          },
        },
      ]),
  );
}

/** The success answer: the route's media types (documents), else its JSON schema from the contract. */
function successContent(r: RouteSpec): Record<string, unknown> {
  if (r.produces)
    return Object.fromEntries(
      r.produces.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
    );
  if (!r.response) throw new Error(`${r.method} ${r.url} declares no response schema`);
  return { 'application/json': { schema: schemaOf(r.response, 'output') } };
}

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    return rest;
  } catch {
    return {};
  }
}

function parametersOf(s: z.ZodType | undefined, where: 'path' | 'query') {
  if (!s) return [];
  const json = schemaOf(s, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema,
  }));
}

/** OpenAPI 3.1, generated from the very zod schemas that validate requests. */
export function buildOpenApi(routes: RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: r.tags,
      security: r.auth === 'none' ? [] : [{ [r.auth === 'operator' ? 'operatorToken' : 'apiKey']: [] }],
      parameters: [
        ...parametersOf(r.params, 'path'),
        ...parametersOf(r.query, 'query'),
        ...(r.method !== 'GET'
          ? [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                schema: { type: 'string', maxLength: 255 },
              },
            ]
          : []),
      ],
      responses: {
        [String(r.successStatus ?? 200)]: {
          description: 'success',
          content: successContent(r),
        },
        ...errorResponses(r),
        default: {
          description: 'any other error (INTERNAL, UNAVAILABLE…)',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    if (r.body)
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(r.body, 'input') } },
      };
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tally API',
      version: '1',
      description:
        'The billing center (费用中心): orders, clusters, balance, top-ups, bills. Money is integer minor units.',
    },
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'an org member API key' },
        operatorToken: { type: 'http', scheme: 'bearer', description: 'the operator token (internal API)' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
                message: { type: 'string' },
                details: { type: 'object' },
              },
            },
          },
        },
      },
    },
  };
}
