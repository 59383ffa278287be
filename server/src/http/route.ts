import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Queryable, Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { Principal, UserPrincipal } from './principal.js';

/**
 * PUT sets a resource to the body (a setting); DELETE removes one and carries no body. Both run like a POST,
 * in a transaction.
 */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type AuthMode = 'user' | 'operator' | 'none';

/** Finds the caller of a request for a route's auth mode: null for 'none'; throws when it may not call. */
export type Authenticate = (
  deps: Deps,
  req: FastifyRequest,
  mode: AuthMode,
  now: Date,
) => Promise<Principal | null>;

/**
 * What a handler answers: JSON by default, or a stream / buffer with its content type (documents). A POST
 * handler that returns an error status (rather than throwing) commits its writes: an unmatched bank
 * transfer is kept while the caller is told REMITTANCE_CODE_UNKNOWN.
 */
export interface Answer {
  status?: number;
  /** JSON-serializable, or a Buffer / Readable when contentType is set */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Ctx<P, Q, B, A extends AuthMode> {
  deps: Deps;
  req: FastifyRequest;
  reply: FastifyReply;
  principal: A extends 'user'
    ? UserPrincipal
    : A extends 'operator'
      ? Extract<Principal, { kind: 'operator' }>
      : null;
  params: P;
  query: Q;
  body: B;
  now: Date;
}

/**
 * What a POST handler does its database work through: the transaction of the request, or for a
 * one-statement route (RouteSpec.oneStatement) a connection or a transaction, whichever the request got.
 */
export type HandlerDb<O extends boolean> = O extends true ? Queryable : Tx;

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  A extends AuthMode = AuthMode,
  O extends boolean = boolean,
> {
  method: Method;
  /** fastify syntax, e.g. /v1/orgs/:orgId/orders/:orderId */
  url: string;
  summary: string;
  tags: string[];
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The success answer's schema (contract/responses.ts). The composition root (server/src/routes.ts) attaches
   * `responseOf["METHOD url"]` to every JSON route and refuses a route that has none.
   */
  response?: z.ZodType;
  successStatus?: number;
  /** A POST that manages its own database access (runs jobs): no wrapping transaction, no idempotency. */
  noTransaction?: boolean;
  /**
   * The handler changes the database in at most one statement (and reads nothing it must lock first): a
   * statement is atomic by itself, so without an Idempotency-Key the handler runs on `deps.db` and saves the
   * BEGIN and COMMIT round trips. With a key it runs in the key's transaction like any POST. Its handler
   * gets a `Queryable` (HandlerDb), not a `Tx`, so it cannot rely on a transaction it may not have.
   * The statement must be a compare-and-set that, run a second time, finds its own result and says so (the
   * pay statement changes only an unpaid order; again, it answers ORDER_NOT_PAYABLE with status paid): when a
   * failover interrupts it without a key, its outcome is unknown and the request runs it again on the new
   * primary (db/failover.ts), which must not do anything twice.
   */
  oneStatement?: O;
  /**
   * The success answer carries a secret (an API key, an invitation link). It is answered once and never
   * stored: with an Idempotency-Key, the key's row keeps only 409 IDEMPOTENT_REPLAY_UNAVAILABLE, which is
   * what a replay answers (list the resource instead). Error answers are stored and replayed as usual.
   */
  secretAnswer?: boolean;
  /**
   * The media types a document or export route answers with instead of JSON (contract/responses.ts
   * `documentOf`, attached by server/src/routes.ts).
   */
  produces?: readonly string[];
  /**
   * A per-address ceiling on requests to this route in this process (@fastify/rate-limit), checked before
   * the handler: at most `max` requests per `timeWindow` milliseconds. Rules that must hold across instances
   * (sign-in failures) are kept in the database instead.
   */
  rateLimit?: { max: number; timeWindow: number };
  /** A larger body ceiling than the app's 1 MiB, in bytes, for a route that takes a file (an invoice's PDF). */
  bodyLimit?: number;
  /**
   * Checks of a POST that read no database but may wait (a webhook URL's DNS lookup): run after the request is
   * authenticated and parsed and before its transaction opens, so that no connection of the pool is held while
   * they wait. What they throw is answered like a malformed body: before any Idempotency-Key is claimed, and
   * not stored under it. They must authorize before they check anything (another org's route is 404 first).
   */
  precheck?: A extends AuthMode ? (ctx: Ctx<z.infer<P>, z.infer<Q>, z.infer<B>, A>) => Promise<void> : never;
  /**
   * GET handlers read through `deps.db`. POST handlers run inside one transaction together with their
   * Idempotency-Key claim: they get `tx`, and either all of their writes commit or none do. A one-statement
   * route's handler gets the database or the key's transaction instead (HandlerDb).
   */
  handler: A extends AuthMode
    ? (ctx: Ctx<z.infer<P>, z.infer<Q>, z.infer<B>, A>, tx: HandlerDb<O>) => Promise<Answer>
    : never;
}

export function defineRoute<
  P extends z.ZodType = z.ZodObject<Record<string, never>>,
  Q extends z.ZodType = z.ZodObject<Record<string, never>>,
  B extends z.ZodType = z.ZodObject<Record<string, never>>,
  A extends AuthMode = 'user',
  O extends boolean = false,
>(spec: RouteSpec<P, Q, B, A, O>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** Ids in paths: anything else cannot name a resource, so it is simply not found. */
export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid id');

/**
 * Whether a path parameter is an identifier: a malformed one is 404 like an unknown one. Every other path
 * parameter has a format (a bill month, a token) and a value without it is 400 VALIDATION_FAILED.
 */
export function isIdParam(schema: z.ZodType | undefined): boolean {
  return schema === Id;
}
