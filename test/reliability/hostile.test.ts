import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  buy,
  call,
  createDatabase,
  makeOrg,
  newPgPool,
  OP,
  type Org,
  ok,
  recordFigures,
  SCALE,
  type ServerProcess,
  startServer,
  topUp,
  unique,
} from './support.js';

/**
 * Hostile input against every endpoint of the OpenAPI document: generated malformed bodies, query strings and
 * path ids (wrong types, huge, negative and float numbers for money, unicode, control characters, SQL and HTML
 * metacharacters, 1 MB bodies, missing and duplicated fields, broken JSON). Never a 5xx; a refused request
 * changes nothing. Then every endpoint with missing, forged, expired, misplaced and foreign credentials:
 * 401/403/404, and never another org's data.
 */
const PER_ROUTE = SCALE.bounded ? 12 : 120;
const figures = {
  routes: 0,
  inputsTried: 0,
  refused: 0,
  accepted: 0,
  authCases: 0,
  serverErrors: 0,
  overLimitResets: 0,
};
/** The server's body limit (server/src/http/app.ts). */
const BODY_LIMIT = 1024 * 1024;

let server: ServerProcess;
let database: { url: string; drop(): Promise<void> };
let db: pg.Pool;
let a: Org;
let b: Org;
let ids: Record<string, string>;
let routes: { method: 'GET' | 'POST'; path: string }[];

beforeAll(async () => {
  database = await createDatabase('hostile');
  server = await startServer('hostile', database.url, { TALLY_PROVISION_SECONDS: '0' });
  db = newPgPool(database.url);
  a = await makeOrg(server.url);
  b = await makeOrg(server.url);
  await topUp(server.url, a, 1_000_000);
  const paid = await buy(server.url, a);
  await ok(
    call(server.url, 'POST', `/v1/orgs/${a.id}/orders/${paid.orderId}/pay`, { auth: a.admin.auth, body: {} }),
    200,
    'pay',
  );
  const unpaid = await buy(server.url, a);
  const unmatched = unique('UNMATCHED');
  await call(server.url, 'POST', '/v1/internal/bank-transfers', {
    auth: OP,
    body: { remittanceCode: '012345678', amount: 100, currency: 'CNY', bankReference: unmatched },
  });
  await ok(call(server.url, 'POST', '/v1/internal/jobs/run', { auth: OP, body: {} }), 200, 'jobs');
  ids = {
    orgId: a.id,
    orderId: unpaid.orderId,
    clusterId: paid.clusterId,
    projectId: a.projectId,
    month: new Date().toISOString().slice(0, 7),
    bankReference: unmatched,
  };
  const spec = await ok(call(server.url, 'GET', '/v1/openapi.json'), 200, 'openapi');
  routes = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => m === 'get' || m === 'post')
      .map((m) => ({ method: m.toUpperCase() as 'GET' | 'POST', path })),
  );
}, 120_000);

afterAll(async () => {
  recordFigures('hostile', { ...figures, perRoute: PER_ROUTE });
  await db?.end();
  await server?.stop();
  await database?.drop();
});

/** Business state (not logs, sessions, idempotency records, outbox or unmatched transfers, which may change). */
async function fingerprint(): Promise<string> {
  const tables = (
    await db.query(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'
       and table_name not in ('idempotency_keys', 'sessions', 'outbox_events', 'bank_transfers', 'kysely_migration', 'kysely_migration_lock', 'test_clock')
       order by 1`,
    )
  ).rows.map((r: { table_name: string }) => r.table_name);
  const counts =
    await db.query(`select ${tables.map((t) => `(select count(*) from "${t}") as "${t}"`).join(', ')},
    (select coalesce(sum(cash), 0) from balances) as cash,
    (select md5(coalesce(string_agg(id || status, ',' order by id), '')) from orders) as statuses,
    (select md5(coalesce(string_agg(id || cu_size || '/' || replicas, ',' order by id), '')) from clusters) as sizes`);
  return JSON.stringify(counts.rows[0]);
}

const wellFormed = (v: string) =>
  v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
/** Percent-encodes, except `RAW:` values, which go into the URL as they are (invalid UTF-8, stray %). */
const enc = (v: string) => (v.startsWith('RAW:') ? v.slice(4) : encodeURIComponent(wellFormed(v)));
const fill = (path: string, values: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, k: string) => enc(values[k] ?? ids[k] ?? 'x'));

const nasty = [
  '',
  ' ',
  'a'.repeat(5000),
  '\u0000',
  '\u0007\u001b[31m\r\n',
  "' OR '1'='1",
  "'; drop table orders; --",
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '../../etc/passwd',
  '%00%ff',
  '🙂'.repeat(50),
  '\uD800',
  '\u202eevil',
  'NaN',
  'null',
  '-1',
  '1e309',
  '0x10',
  '١٢٣',
  '１２３',
  'ord_../../x',
  '__proto__',
];
const numbers = [0, -0, -1, 1.5, 0.1, 1e21, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 1e-7, 90000.000001];
const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(...nasty),
  fc.constantFrom<unknown>(...numbers),
  fc.constantFrom<unknown>(null, true, false, [], {}, [1, 2], { $gt: '' }, { __proto__: { admin: true } }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Valid bodies to start mutating from, by route; others start from a random JSON value. */
const templates: Record<string, Record<string, unknown>> = {
  '/v1/internal/orgs': { name: 'x', certified: true },
  '/v1/internal/orgs/{orgId}/projects': { name: 'p' },
  '/v1/internal/orgs/{orgId}/members': { email: 'm@example.com', orgRole: 'org_member' },
  '/v1/internal/orgs/{orgId}/certification': { certified: true },
  '/v1/internal/bank-transfers': {
    remittanceCode: '123456789',
    amount: 100,
    currency: 'CNY',
    bankReference: 'R',
  },
  '/v1/internal/bank-transfers/{bankReference}/assign': { orgId: 'x' },
  '/v1/internal/orgs/{orgId}/coupons': { amount: 100, expiresAt: '2099-01-01T00:00:00Z' },
  '/v1/internal/usage': { events: [] },
  '/v1/orgs/{orgId}/clusters': {
    projectId: 'x',
    name: 'n',
    region: 'aliyun-cn-hangzhou',
    cuType: 'performance',
    cuSize: 1,
    replicas: 1,
    term: { unit: 'month', count: 1 },
  },
  '/v1/orgs/{orgId}/clusters/{clusterId}/upgrade': { cuSize: 2 },
  '/v1/orgs/{orgId}/quotes': {
    type: 'new_purchase',
    region: 'aliyun-cn-hangzhou',
    cuType: 'performance',
    cuSize: 1,
    replicas: 1,
    term: { unit: 'month', count: 1 },
  },
  '/v1/orgs/{orgId}/orders/{orderId}/pay': { couponId: 'c' },
  '/v1/auth/login': { email: 'x@example.com', password: 'password' },
};

/** A request that should be refused: a template with fields broken, removed, added or duplicated, or raw junk. */
function bodyArb(path: string): fc.Arbitrary<{ raw: string; contentType?: string }> {
  const t = templates[path] ?? { x: 1 };
  const keys = Object.keys(t);
  const mutated = fc
    .record({
      key: fc.constantFrom(...keys),
      value: hostileValue,
      how: fc.constantFrom('set', 'set', 'set', 'delete', 'extra', 'duplicate', 'nest'),
    })
    .map(({ key, value, how }) => {
      const body: Record<string, unknown> = { ...t };
      if (how === 'set') body[key] = value;
      if (how === 'delete') delete body[key];
      if (how === 'extra') body[`x${key}`] = value;
      if (how === 'nest') body[key] = { [key]: value };
      let raw = JSON.stringify(body) ?? '{}';
      if (how === 'duplicate')
        raw = raw.replace(/^\{/, `{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'},`);
      return { raw };
    });
  const junk = fc.constantFrom(
    { raw: '{' },
    { raw: '{"a":' },
    { raw: 'null' },
    { raw: '[]' },
    { raw: '""' },
    { raw: '1e400' },
    { raw: '{"amount": 1e400}' },
    { raw: '{"amount": 90000.5}' },
    { raw: '{"amount": -90000}' },
    { raw: '{"amount": 9007199254740993}' },
    { raw: `{"name":"${'x'.repeat(1_100_000)}"}` },
    { raw: `{"name":"${'x'.repeat(900_000)}"}` },
    { raw: JSON.stringify(t), contentType: 'text/plain' },
    { raw: JSON.stringify(t), contentType: 'application/json; charset=utf-7' },
    { raw: '', contentType: 'application/json' },
    { raw: '\u0000\u0001\u0002', contentType: 'application/octet-stream' },
  );
  const random = fc.jsonValue({ maxDepth: 4 }).map((v) => ({ raw: JSON.stringify(v) ?? 'null' }));
  return fc.oneof(
    { weight: 5, arbitrary: mutated },
    { weight: 2, arbitrary: junk },
    { weight: 1, arbitrary: random },
  );
}

const cursor = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const queryArb = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'limit',
        'cursor',
        'status',
        'type',
        'projectId',
        'clusterId',
        'createdFrom',
        'createdTo',
        'q',
        'format',
        'state',
        '__proto__',
        'limit[]',
        'month',
      ),
      fc.oneof(
        fc.constantFrom(...nasty),
        fc.constantFrom(
          '-1',
          '0',
          '1.5',
          '101',
          '1e9',
          '99999999999999999999',
          'paid,foo',
          'paid,,unpaid',
          'csv',
          'xlsx',
          'pdf',
        ),
        fc.constantFrom(
          cursor(['-271821-04-20T00:00:00.000Z', 'x']),
          cursor(['+275760-09-13T00:00:00.000Z', 'x']),
          cursor(['0000-01-01T00:00:00Z', "'; drop"]),
          cursor([1e308, null]),
          cursor(['2026-01-01T00:00:00Z']),
          cursor({ a: 1 }),
          'not-base64!',
        ),
        fc.constantFrom(
          '2026-13-45T00:00:00Z',
          '99999-01-01T00:00:00Z',
          '-000001-01-01T00:00:00Z',
          '2026-01-01T00:00:00+25:00',
        ),
        fc.string({ maxLength: 30 }),
      ),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'));

const pathIdArb = fc.oneof(
  fc.constantFrom(...nasty),
  fc.constantFrom(
    'org_00000000000000000000000000',
    'ord_00000000000000000000000000',
    '2026-00',
    '9999-99',
    '0000-01',
  ),
  fc.constantFrom(
    'RAW:%ED%A0%80',
    'RAW:%',
    'RAW:%zz',
    'RAW:..',
    'RAW:%2e%2e%2f%2e%2e',
    'RAW:a%00b',
    'RAW:%C0%AF',
  ),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
);

function authFor(path: string): { authorization: string } {
  return path.startsWith('/v1/internal/') ? OP : a.admin.auth;
}

async function expectNoServerError(what: string, r: { status: number; text: string }) {
  if (r.status >= 500 || r.status === 0) {
    figures.serverErrors++;
    throw new Error(`${what} → ${r.status} ${r.text.slice(0, 300)}`);
  }
}

test('generated malformed bodies, query strings and path ids on every endpoint: never a 5xx, refused means unchanged', async () => {
  expect(routes.length).toBeGreaterThan(20);
  for (const route of routes) {
    figures.routes++;
    const auth = authFor(route.path);
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    // Bodies (POST) and query strings (GET), each checked against the state before it.
    const inputArb =
      route.method === 'POST'
        ? bodyArb(route.path).map((b) => ({ kind: 'body' as const, ...b }))
        : queryArb.map((q) => ({ kind: 'query' as const, q }));
    const withIds = params.length
      ? fc.oneof(
          { weight: 3, arbitrary: inputArb.map((i) => ({ ...i, path: fill(route.path, {}) })) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(inputArb, fc.constantFrom(...params), pathIdArb)
              .map(([i, p, v]) => ({ ...i, path: fill(route.path, { [p]: v }) })),
          },
        )
      : inputArb.map((i) => ({ ...i, path: fill(route.path, {}) }));
    await fc.assert(
      fc.asyncProperty(withIds, async (input) => {
        const before = await fingerprint();
        const r =
          input.kind === 'body'
            ? await call(server.url, 'POST', input.path, {
                auth,
                raw: input.raw,
                headers: { 'content-type': input.contentType ?? 'application/json' },
              })
            : await call(server.url, 'GET', `${input.path}?${input.q}`, { auth });
        figures.inputsTried++;
        if (r.status === 0 && input.kind === 'body' && Buffer.byteLength(input.raw) > BODY_LIMIT) {
          // A body over the limit is refused (413) from its Content-Length, without being read; the
          // connection may close while the client is still sending it, and the client then sees a reset
          // instead of the 413. A refusal all the same: the server must still serve, and nothing changed.
          expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
          expect(await fingerprint()).toBe(before);
          figures.overLimitResets++;
          figures.refused++;
          return;
        }
        await expectNoServerError(`${route.method} ${input.path}`, r);
        const code = r.json?.error?.code;
        if (r.status >= 400 && code !== 'REMITTANCE_CODE_UNKNOWN' && code !== 'CURRENCY_MISMATCH') {
          figures.refused++;
          const after = await fingerprint();
          if (after !== before)
            throw new Error(`refused ${r.status} ${code} but the state changed: ${before} → ${after}`);
        } else figures.accepted++;
      }),
      { numRuns: PER_ROUTE, ...(SCALE.seed !== undefined ? { seed: SCALE.seed } : {}) },
    );
  }
}, 900_000);

test('missing, forged, misplaced, expired and foreign credentials: 401/403/404 and never another org’s data', async () => {
  const aSecrets = [a.id, ids.orderId!, ids.clusterId!, a.remittanceCode];
  const forged = { authorization: `Bearer tly_${randomBytes(32).toString('base64url')}` };
  const garbage = [
    'Bearer',
    'Basic dXNlcjpwYXNz',
    `Bearer ${'x'.repeat(600)}`,
    'Bearer tly_é',
    'bearer  two words',
  ];
  for (const route of routes) {
    const internal = route.path.startsWith('/v1/internal/');
    const orgScoped = route.path.startsWith('/v1/orgs/') || route.path === '/v1/me';
    if (!internal && !orgScoped) continue;
    const path = fill(route.path, {});
    const body = route.method === 'POST' ? (templates[route.path] ?? {}) : undefined;
    const send = (auth?: { authorization: string }) =>
      call(server.url, route.method, path, { ...(auth ? { auth } : {}), ...(body ? { body } : {}) });
    const before = await fingerprint();
    const cases: [string, { authorization: string } | undefined, number[]][] = [
      ['no credentials', undefined, [401]],
      ['a forged key', forged, internal ? [401, 403] : [401]],
      ...garbage.map((g): [string, { authorization: string }, number[]] => [
        `Authorization: ${g.slice(0, 20)}`,
        { authorization: g },
        internal ? [401, 403] : [401],
      ]),
      internal
        ? ['an org admin key on the internal API', a.admin.auth, [403]]
        : ['the operator token on the public API', OP, [403]],
    ];
    for (const [what, auth, allowed] of cases) {
      const r = await send(auth);
      figures.authCases++;
      expect(
        allowed,
        `${route.method} ${route.path} with ${what}: ${r.status} ${r.text.slice(0, 200)}`,
      ).toContain(r.status);
    }
    if (route.path.startsWith('/v1/orgs/{orgId}')) {
      // Org B's admin on org A's resources: not found, and nothing of A's in the answer.
      const r = await send(b.admin.auth);
      figures.authCases++;
      expect(r.status, `${route.method} ${route.path} as another org: ${r.text.slice(0, 200)}`).toBe(404);
      for (const s of aSecrets) expect(r.text).not.toContain(s);
    }
    expect(await fingerprint(), `${route.method} ${route.path}: refused requests changed the state`).toBe(
      before,
    );
  }
  // An expired console session: valid for 12 hours, refused after.
  const email = `${unique('session')}@example.com`;
  await ok(
    call(server.url, 'POST', `/v1/internal/orgs/${a.id}/members`, {
      auth: OP,
      body: { email, password: 'correct horse battery', orgRole: 'org_admin' },
    }),
    201,
    'member with password',
  );
  const login = await fetch(`${server.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery' }),
  });
  expect(login.status).toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const me = () => call(server.url, 'GET', `/v1/orgs/${a.id}/balance`, { headers: { cookie } });
  expect((await me()).status).toBe(200);
  await ok(
    call(server.url, 'POST', '/v1/internal/clock', { auth: OP, body: { advanceSeconds: 13 * 3600 } }),
    200,
    'clock',
  );
  const expired = await me();
  figures.authCases += 2;
  expect(expired.status, expired.text).toBe(401);
  expect(expired.text).not.toContain(a.remittanceCode);
}, 600_000);
