import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { z } from 'zod';
import { databaseRole } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError } from '../platform/errors.js';
import { errorBody, isTransientDbError, pathError, toHttpError, validationError } from './errors.js';
import { claimKey, requestHash, storeAnswer, storeErrorAnswer } from './idempotency.js';
import { buildOpenApi } from './openapi.js';
import { type Answer, type Authenticate, isIdParam, type RouteSpec } from './route.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface AppOptions {
  routes: RouteSpec[];
  /**
   * Finds the caller of each request (API key, session cookie or operator token); the composition root hands
   * it in (identity/authenticate.ts), so that http/ knows no feature.
   */
  authenticate: Authenticate;
  /** Called before each request when the test clock is on (reads the shared offset). */
  beforeRequest?: () => Promise<void>;
  /** Extra plugins, e.g. the console's static files. */
  extend?: (app: FastifyInstance) => Promise<void> | void;
  /**
   * Brings the gauges (orders by status, sweeper lag) up to date before a scrape; the composition root
   * decides how and how often, so that http/ knows no feature.
   */
  refreshGauges?: () => Promise<void>;
  /** false when /metrics has its own listener (TALLY_METRICS_PORT): then this app does not serve it. */
  serveMetrics?: boolean;
}

/**
 * Headers on every answer (SPEC §11). The console is a built bundle of module scripts: no inline script,
 * so script-src is 'self' only; antd's CSS-in-JS writes <style> elements, hence style-src 'unsafe-inline'.
 * HSTS only when the server is behind HTTPS (the same switch that marks the session cookie Secure).
 */
async function securityHeaders(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: deps.config.cookieSecure
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    crossOriginEmbedderPolicy: false,
  });
}

/** The headers an answer made before routing (a malformed URL) still carries. */
const EDGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/** Marks a query string that is not valid percent-encoding (the router cannot throw; the route does). */
const MALFORMED_QUERY = Symbol('malformed query');

/**
 * The query string as the default parser reads it (`a=1&a=2` gives an array; `+` is a space), except that a
 * broken percent-encoding (or an encoded NUL) is refused instead of passed on.
 */
function parseQuery(qs: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  if (!qs) return out;
  try {
    for (const pair of qs.split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const key = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
      const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replaceAll('+', ' '));
      // NUL is no character of any value here, and PostgreSQL text cannot hold it.
      if (key.includes('\0') || value.includes('\0')) throw new Error('NUL in the query string');
      const prev = out[key];
      out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
  } catch {
    (out as Record<symbol, boolean>)[MALFORMED_QUERY] = true;
  }
  return out;
}

/**
 * Per-address request ceilings for the routes that declare one (`RouteSpec.rateLimit`), counted in this
 * process by @fastify/rate-limit: a cheap first line before any database work. A loopback peer (a local
 * proxy, a check on the machine) is not a client and is not limited. Refusals are 429 RATE_LIMITED in the
 * error format, with Retry-After.
 */
async function requestCeilings(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    allowList: (req) => /^(127\.|::1$|::ffff:127\.)/.test(req.ip),
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (_req, ctx) =>
      new AppError('RATE_LIMITED', `too many requests; retry in ${ctx.after}`, {
        retryAfterSeconds: Math.max(1, Math.ceil(ctx.ttl / 1000)),
      }),
  });
}

export async function buildApp(deps: Deps, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 1000, querystringParser: parseQuery },
    // A URL that is not valid percent-encoding never reaches a route: answer it in the error format.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } =
        err.code === 'FST_ERR_BAD_URL'
          ? {
              status: 400,
              body: errorBody('VALIDATION_FAILED', 'the URL is not valid percent-encoding', { in: 'path' }),
            }
          : toHttpError(err);
      void (reply as FastifyReply).headers(EDGE_HEADERS).status(status).send(body);
    },
  });
  await securityHeaders(app, deps);

  // JSON only: a text body is refused with 415 rather than parsed into a string.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (req, reply) => {
    (req as { startNs?: bigint }).startNs = process.hrtime.bigint();
    if (opts.beforeRequest) await opts.beforeRequest();
    // The server's clock (the test clock's too), so that the console counts down on it, not on the browser's.
    void reply.header('x-server-time', deps.clock.now().toISOString());
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = Number(process.hrtime.bigint() - ((req as { startNs?: bigint }).startNs ?? 0n)) / 1e9;
    deps.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: req.method, route }, seconds);
    const ctx = (req as { logCtx?: Record<string, unknown> }).logCtx ?? {};
    req.log.info(
      { method: req.method, route, status: reply.statusCode, ms: Math.round(seconds * 1e4) / 10, ...ctx },
      'request',
    );
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body, unexpected, headers } = toHttpError(err);
    if (headers) void reply.headers(headers);
    if (unexpected) req.log.error({ reqId: req.id, err }, 'unexpected error');
    else
      (req as { logCtx?: Record<string, unknown> }).logCtx = {
        ...(req as { logCtx?: object }).logCtx,
        outcome: body.error.code,
      };
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  await requestCeilings(app);
  for (const spec of opts.routes) {
    app.route({
      method: spec.method,
      url: spec.url,
      ...(spec.rateLimit ? { config: { rateLimit: spec.rateLimit } } : {}),
      ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
      handler: (req, reply) => run(deps, opts.authenticate, spec, req, reply),
    });
  }
  const openapi = buildOpenApi(opts.routes);
  app.get('/v1/openapi.json', async () => openapi);
  app.get('/healthz', async () => ({ status: 'ok', database: databaseRole(deps.db) }));
  if (opts.serveMetrics !== false) {
    // For the operator only (SPEC §11): the token, checked like the internal API's.
    app.get('/metrics', async (req, reply) => {
      await opts.authenticate(deps, req, 'operator', deps.clock.now());
      return scrape(deps, opts.refreshGauges, reply);
    });
  } else {
    // Not here at all: answered before the console's catch-all could serve its page at this path.
    app.get('/metrics', async (req, reply) =>
      reply.status(404).send(errorBody('NOT_FOUND', `no route ${req.method} /metrics`)),
    );
  }
  if (opts.extend) await opts.extend(app);
  return app;
}

async function scrape(
  deps: Deps,
  refreshGauges: (() => Promise<void>) | undefined,
  reply: FastifyReply,
): Promise<string> {
  if (refreshGauges) await refreshGauges();
  void reply.header('content-type', deps.metrics.registry.contentType);
  return deps.metrics.registry.metrics();
}

/**
 * /metrics alone, without authentication, for a listener that only the monitoring network reaches
 * (TALLY_METRICS_PORT). Everything else on it is 404.
 */
export async function buildMetricsApp(
  deps: Deps,
  opts: { refreshGauges?: () => Promise<void> },
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler((err, req, reply) => {
    const { status, body, unexpected } = toHttpError(err);
    if (unexpected) req.log.error({ reqId: req.id, err }, 'unexpected error on the metrics listener');
    void reply.headers(EDGE_HEADERS).status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .headers(EDGE_HEADERS)
      .status(404)
      .send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
  app.get('/metrics', async (_req, reply) => scrape(deps, opts.refreshGauges, reply));
  return app;
}

function parse<T extends z.ZodType>(
  schema: T | undefined,
  value: unknown,
  where: 'params' | 'query' | 'body',
): z.infer<T> {
  if (!schema) return (value ?? {}) as z.infer<T>;
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  if (where === 'params') {
    // A path segment that cannot be an id names nothing (404, as an unknown id); a value with a format
    // (a bill month) that does not have it is the caller's mistake, told with the format expected.
    const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
    const malformed = r.error.issues.filter((i) => !isIdParam(shape[String(i.path[0])]));
    if (malformed.length === 0) throw new AppError('NOT_FOUND', 'not found');
    throw pathError(malformed);
  }
  throw validationError(where, r.error);
}

function jsonAnswer(status: number, json: string): Answer {
  return { status, body: json, contentType: 'application/json; charset=utf-8' };
}

function send(reply: FastifyReply, answer: Answer, fallbackStatus: number): FastifyReply {
  void reply.status(answer.status ?? fallbackStatus);
  if (answer.headers) for (const [k, v] of Object.entries(answer.headers)) void reply.header(k, v);
  if (answer.contentType) void reply.header('content-type', answer.contentType);
  return reply.send(answer.body);
}

async function run(
  deps: Deps,
  authenticate: Authenticate,
  spec: RouteSpec,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const now = deps.clock.now();
  if ((req.query as Record<symbol, unknown> | undefined)?.[MALFORMED_QUERY]) {
    throw new AppError('VALIDATION_FAILED', 'the query string is not valid percent-encoding of text', {
      in: 'query',
    });
  }
  const principal = await authenticate(deps, req, spec.auth, now);
  const params = parse(spec.params, req.params, 'params');
  const query = parse(spec.query, req.query, 'query');
  const body =
    spec.method === 'POST' || spec.method === 'PUT' ? parse(spec.body, req.body, 'body') : undefined;
  const logCtx: Record<string, unknown> = { principal: principal?.id };
  const p = params as Record<string, unknown>;
  if (p.orgId) logCtx.org = p.orgId;
  if (p.orderId) logCtx.order = p.orderId;
  (req as { logCtx?: Record<string, unknown> }).logCtx = logCtx;
  const ctx = { deps, req, reply, principal, params, query, body, now } as never;
  const okStatus = spec.successStatus ?? 200;

  if (spec.method === 'GET' || spec.noTransaction) {
    const answer = await spec.handler(ctx, undefined as never);
    logCtx.outcome = 'ok';
    return send(reply, answer, okStatus);
  }

  await spec.precheck?.(ctx);
  const keyHeader = req.headers['idempotency-key'];
  let key: string | undefined;
  if (keyHeader !== undefined) {
    if (typeof keyHeader !== 'string' || !IDEMPOTENCY_KEY.test(keyHeader)) {
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1-255 printable ASCII characters', {
        in: 'header',
        issues: [{ field: 'Idempotency-Key', message: 'invalid' }],
      });
    }
    key = principal ? keyHeader : undefined;
  }
  const scope = principal?.id ?? '';
  const hash = key ? requestHash(spec.method, req.url.split('?')[0] ?? '', body) : '';

  for (let attempt = 1; ; attempt++) {
    try {
      if (spec.oneStatement && !key) {
        // One statement needs no BEGIN/COMMIT around it (see RouteSpec.oneStatement): its handler takes a
        // Queryable (HandlerDb), here the database itself.
        const answer = await spec.handler(ctx, deps.db);
        logCtx.outcome = (answer.status ?? okStatus) < 400 ? 'ok' : `status ${answer.status}`;
        return send(reply, answer, okStatus);
      }
      const result = await deps.db.transaction().execute(async (tx) => {
        if (key) {
          const stored = await claimKey(tx, scope, key, hash, now);
          if (stored) return { replayed: true as const, answer: jsonAnswer(stored.statusCode, stored.json) };
        }
        const answer = await spec.handler(ctx, tx);
        if (!key) return { replayed: false as const, answer };
        const status = answer.status ?? okStatus;
        if (spec.secretAnswer && status < 400) {
          // A secret is answered this once and never kept: a replay is told so (RouteSpec.secretAnswer).
          const unavailable = errorBody(
            'IDEMPOTENT_REPLAY_UNAVAILABLE',
            'the first answer carried a secret and is not kept; list the resource instead',
            { firstStatus: status },
          );
          await storeAnswer(tx, scope, key, { statusCode: 409, json: JSON.stringify(unavailable) });
          return { replayed: false as const, answer };
        }
        // The stored text is what every replay sends, so the first caller gets exactly that text too.
        const json = JSON.stringify(answer.body);
        await storeAnswer(tx, scope, key, { statusCode: answer.status ?? okStatus, json });
        return {
          replayed: false as const,
          answer: { ...answer, ...jsonAnswer(answer.status ?? okStatus, json) },
        };
      });
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      const status = result.answer.status ?? okStatus;
      logCtx.outcome = status < 400 ? (result.replayed ? 'replayed' : 'ok') : `status ${status}`;
      return send(reply, result.answer, okStatus);
    } catch (err) {
      if (isTransientDbError(err) && attempt < 3) continue;
      if (err instanceof AppError && key && err.code !== 'IDEMPOTENCY_KEY_REUSED') {
        const { status, body: eb } = toHttpError(err);
        const stored = await storeErrorAnswer(deps.db, scope, key, hash, now, {
          statusCode: status,
          json: JSON.stringify(eb),
        });
        logCtx.outcome = err.code;
        return send(reply, jsonAnswer(stored.statusCode, stored.json), stored.statusCode);
      }
      throw err;
    }
  }
}
