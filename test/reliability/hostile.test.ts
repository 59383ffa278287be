import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  type Answer,
  buy,
  call,
  checkInvariants,
  createDatabase,
  makeOrg,
  newPgPool,
  OP,
  type Org,
  ok,
  rawRequest,
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
let routes: { method: 'GET' | 'POST' | 'PUT'; path: string }[];

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
      .map((m) => ({ method: m.toUpperCase() as 'GET' | 'POST' | 'PUT', path })),
  );
}, 120_000);

afterAll(async () => {
  recordFigures('hostile', { ...figures, perRoute: PER_ROUTE });
  await db?.end();
  await server?.stop();
  await database?.drop();
});

/**
 * Business state (not logs, sessions, sign-in throttle counters, idempotency records, outbox or unmatched
 * transfers, which may change).
 */
async function fingerprint(): Promise<string> {
  const tables = (
    await db.query(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'
       and table_name not in ('idempotency_keys', 'sessions', 'sign_in_throttle', 'outbox_events', 'bank_transfers', 'kysely_migration', 'kysely_migration_lock', 'test_clock',
         'notifications', 'notification_alerts', 'mails', 'webhook_deliveries', 'webhook_attempts', 'balance_low_episodes')
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
  '/v1/orgs/{orgId}/clusters/{clusterId}/renew': { term: { unit: 'month', count: 1 } },
  '/v1/orgs/{orgId}/settings/auto-renew': { enabled: true },
  '/v1/orgs/{orgId}/quotes': {
    type: 'new_purchase',
    region: 'aliyun-cn-hangzhou',
    cuType: 'performance',
    cuSize: 1,
    replicas: 1,
    term: { unit: 'month', count: 1 },
  },
  '/v1/orgs/{orgId}/orders/{orderId}/pay': { couponId: 'c' },
  '/v1/orgs/{orgId}/orders/pay': { orderIds: ['ord_x'] },
  '/v1/orgs/{orgId}/bills/{month}/dispute': { reason: 'the usage looks wrong' },
  '/v1/internal/orgs/{orgId}/bills/{month}/resolve': { adjustment: 0 },
  '/v1/orgs/{orgId}/webhooks': { url: 'https://example.com/hook', events: ['order.paid'] },
  '/v1/orgs/{orgId}/invoices': {
    items: [{ kind: 'order', id: 'ord_x' }],
    type: 'normal',
    emails: ['finance@example.com'],
  },
  '/v1/auth/login': { email: 'x@example.com', password: 'password' },
  '/v1/orgs/{orgId}/api-keys': { name: 'k' },
  '/v1/invitations/{token}/accept': { password: 'a long enough password' },
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

/** An answer of the error format of SPEC §7.1: `{"error": {"code": "UPPER_SNAKE", "message": "..."}}`. */
function expectErrorFormat(what: string, r: Answer, statuses: number[]) {
  expect(statuses, `${what}: ${r.status} ${r.text.slice(0, 300)}`).toContain(r.status);
  expect(String(r.json?.error?.code), `${what}: not the error format: ${r.text.slice(0, 300)}`).toMatch(
    /^[A-Z_]+$/,
  );
  expect(typeof r.json?.error?.message, `${what}: no message`).toBe('string');
}

const FOUR_XX = Array.from({ length: 100 }, (_, i) => 400 + i);

test('malformed cookies (broken percent-encoding, huge, many, bad characters): 401 in the error format, never a 5xx', async () => {
  const before = await fingerprint();
  const target = `/v1/orgs/${a.id}/balance`;
  const cookies = [
    'tally_session=%E0%A4%A',
    'tally_session=%',
    'tally_session=%ZZ%00%ff',
    `tally_session=${'A'.repeat(8000)}`,
    `tally_session=${'%'.repeat(4000)}`,
    Array.from({ length: 400 }, (_, i) => `c${i}=v${i}`).join('; '),
    `${Array.from({ length: 400 }, (_, i) => `c${i}=v${i}`).join('; ')}; tally_session=x`,
    Array.from({ length: 200 }, () => 'tally_session=abc').join('; '),
    'tally_session="quoted"',
    'tally_session=<script>alert(1)</script>',
    'tally_session=a b c',
    'tally_session==;=;;=',
    '=tally_session',
    'tally_session',
    ';;;;',
    'tally_session=\\u0000',
    'tally_session=\xe9\xff',
    'tally_session=\u00e0\u00a4',
    'tally_session=__proto__; __proto__=x; constructor=y',
  ];
  for (const cookie of cookies) {
    for (const [method, path] of [
      ['GET', target],
      ['GET', '/v1/me'],
      ['POST', `/v1/orgs/${a.id}/orders/${ids.orderId}/cancel`],
    ] as const) {
      const r = await rawRequest(
        server.url,
        method,
        path,
        [`Cookie: ${cookie}`, ...(method === 'POST' ? ['Content-Type: application/json'] : [])],
        method === 'POST' ? '{}' : undefined,
      );
      figures.authCases++;
      await expectNoServerError(`${method} ${path} with Cookie ${cookie.slice(0, 40)}`, r);
      expectErrorFormat(`${method} ${path} with Cookie ${cookie.slice(0, 40)}`, r, [401]);
      expect(r.text).not.toContain(a.remittanceCode);
    }
    // Beside a valid key the broken cookie changes nothing for the key's holder.
    const withKey = await rawRequest(server.url, 'GET', target, [
      `Cookie: ${cookie}`,
      `Authorization: ${a.admin.auth.authorization}`,
    ]);
    await expectNoServerError(`GET with a key and Cookie ${cookie.slice(0, 40)}`, withKey);
  }
  // Bytes the HTTP parser itself refuses (a control character, a header over the size limit): a 4xx, never a
  // 5xx or a dead server.
  for (const cookie of ['tally_session=\u0001\u007f', `tally_session=${'B'.repeat(70_000)}`]) {
    const r = await rawRequest(server.url, 'GET', target, [`Cookie: ${cookie}`]);
    figures.authCases++;
    expect(FOUR_XX, `Cookie ${cookie.slice(0, 30)}: ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
  }
  expect(await fingerprint()).toBe(before);
}, 300_000);

test('malformed URL encoding in path and query: a 4xx in the error format, never a 5xx', async () => {
  const before = await fingerprint();
  const O = `/v1/orgs/${a.id}`;
  const auth = [`Authorization: ${a.admin.auth.authorization}`];
  const broken = ['%E0%A4%A', '%', '%zz', '%ED%A0%80', '%C0%AF', '%00', '%E0%A4', '%FF%FE'];
  const targets: [string, string][] = [];
  for (const b of broken) {
    targets.push(
      ['GET', `/v1/orgs/${b}/balance`],
      ['GET', `${O}/orders/${b}`],
      ['GET', `${O}/orders/${b}/document`],
      ['GET', `${O}/clusters/${b}`],
      ['GET', `${O}/bills/${b}`],
      ['GET', `${O}/orders?q=${b}`],
      ['GET', `${O}/orders?status=${b}`],
      ['GET', `${O}/orders?${b}=1`],
      ['GET', `${O}/orders?cursor=${b}&limit=${b}`],
      ['GET', `${O}/ledger?cursor=${b}`],
      ['POST', `${O}/orders/${b}/pay`],
      ['POST', `${O}/orders/${b}/cancel`],
      ['POST', `${O}/clusters/${b}/upgrade`],
      ['GET', `/v1/${b}`],
    );
  }
  for (const [method, target] of targets) {
    const r = await rawRequest(
      server.url,
      method,
      target,
      [...auth, ...(method === 'POST' ? ['Content-Type: application/json'] : [])],
      method === 'POST' ? '{}' : undefined,
    );
    figures.inputsTried++;
    await expectNoServerError(`${method} ${target}`, r);
    expectErrorFormat(`${method} ${target}`, r, FOUR_XX);
  }
  expect(await fingerprint()).toBe(before);
}, 300_000);

test('malformed path values: a bill month such as 2026-13 is 400 VALIDATION_FAILED with the format; an unknown id is 404', async () => {
  const before = await fingerprint();
  const O = `/v1/orgs/${a.id}`;
  // A malformed value of a known route's path: 400 VALIDATION_FAILED naming the expected format.
  for (const month of ['2026-13', '2026-00', '2026-1', '26-01', '2026-011', 'abcd-ef', '2026-13-01']) {
    for (const suffix of ['', '/document', '/export?format=csv']) {
      const r = await call(server.url, 'GET', `${O}/bills/${month}${suffix}`, { auth: a.admin.auth });
      figures.inputsTried++;
      expectErrorFormat(`GET bills/${month}${suffix}`, r, [400]);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
      expect(r.text).toMatch(/YYYY-MM/);
    }
  }
  // An unknown id of the right shape: 404.
  for (const path of [
    `${O}/orders/ord_00000000000000000000000000`,
    `${O}/clusters/cls_00000000000000000000000000`,
    '/v1/orgs/org_00000000000000000000000000/balance',
  ]) {
    const r = await call(server.url, 'GET', path, { auth: a.admin.auth });
    expectErrorFormat(`GET ${path}`, r, [404]);
    expect(r.json.error.code).toBe('NOT_FOUND');
  }
  expect(await fingerprint()).toBe(before);
}, 300_000);

/** The org of the money-overflow cases, whose balance they fill to 2^53 - 1 fen. */
let full: Org;
const MAX = Number.MAX_SAFE_INTEGER;
/** The largest amount one transfer may carry (contract/api.ts). */
const PER_TRANSFER = 100_000_000_000_000;

function money(c: Org) {
  const balance = async () =>
    (await ok(call(server.url, 'GET', `/v1/orgs/${c.id}/balance`, { auth: c.admin.auth }), 200, 'balance'))
      .cash;
  const transfer = (amount: unknown, bankReference = unique('BIG')) =>
    call(server.url, 'POST', '/v1/internal/bank-transfers', {
      auth: OP,
      body: { remittanceCode: c.remittanceCode, amount, currency: 'CNY', bankReference },
    });
  const listed = async () =>
    (
      await ok(
        call(server.url, 'GET', '/v1/internal/bank-transfers/unmatched?limit=100', { auth: OP }),
        200,
        'unmatched',
      )
    ).items as { bankReference: string; amount: number; reason: string }[];
  const stored = async (ref: string) =>
    (
      await db.query(
        'select status, amount::text as amount, org_id from bank_transfers where bank_reference = $1',
        [ref],
      )
    ).rows as { status: string; amount: string; org_id: string | null }[];
  /** Refused with a clear code (not a validation error: the amount is fine), held and listed, once. */
  const expectHeld = async (amount: number) => {
    const ref = unique('OVER');
    const r = await transfer(amount, ref);
    figures.inputsTried++;
    await expectNoServerError(`transfer of ${amount} past the limit`, r);
    expectErrorFormat(`transfer of ${amount} past the limit`, r, FOUR_XX);
    expect(r.json.error.code, `transfer of ${amount} past the limit`).not.toBe('VALIDATION_FAILED');
    const again = await transfer(amount, ref);
    expect(again.status, 'a repeated report is answered the same').toBe(r.status);
    const rows = await stored(ref);
    expect(rows, `transfer ${ref} of ${amount} is kept, once`).toHaveLength(1);
    expect(rows[0]!.status, `transfer ${ref} is held, not credited`).toBe('unmatched');
    expect(rows[0]!.amount).toBe(String(amount));
    // The operator's list (oldest first, at most 100) shows it unless older ones fill it.
    const list = await listed();
    if (list.length < 100) expect(list.map((t) => t.bankReference)).toContain(ref);
    expect(await balance()).toBe(MAX);
  };
  return { balance, transfer, expectHeld };
}

test('money overflow: a transfer that would take a balance past 2^53 fen is refused with a clear 4xx and held for the operator, never a 5xx, never lost', async () => {
  full = await makeOrg(server.url);
  const { balance, transfer, expectHeld } = money(full);
  // Fill the balance to exactly 2^53 - 1 fen: every credit up to there is taken.
  const n = Math.floor(MAX / PER_TRANSFER);
  for (let i = 0; i < n; i++) await ok(transfer(PER_TRANSFER), 201, `transfer ${i}`);
  await ok(transfer(MAX - n * PER_TRANSFER), 201, 'the last fen that fits');
  expect(await balance()).toBe(MAX);
  // One more fen, and a full transfer: refused, each held and listed, once.
  await expectHeld(1);
  await expectHeld(PER_TRANSFER);
}, 300_000);

test('money overflow: a huge exact amount (10^15 fen, 2^53 - 1 fen) past the limit is held for the operator too, not refused as invalid', async () => {
  const { expectHeld } = money(full);
  await expectHeld(1_000_000_000_000_000);
  await expectHeld(MAX);
}, 300_000);

test('money overflow: amounts no exact integer of fen can carry are a clear 400; a full balance still pays, reads and bills; the invariants hold', async () => {
  const c = full;
  const { balance } = money(c);
  // Amounts that no exact integer of fen can carry: a clear 400, nothing credited.
  for (const raw of ['9007199254740993', '1e20', '1e308', '1e400', '-1', '0.5', '"1"']) {
    const r = await call(server.url, 'POST', '/v1/internal/bank-transfers', {
      auth: OP,
      raw: `{"remittanceCode":"${c.remittanceCode}","amount":${raw},"currency":"CNY","bankReference":"${unique('HUGE')}"}`,
    });
    figures.inputsTried++;
    await expectNoServerError(`transfer of ${raw}`, r);
    expectErrorFormat(`transfer of ${raw}`, r, [400]);
    expect(await balance()).toBe(MAX);
  }
  // The full balance still reads, pays and bills without an error.
  const { orderId } = await buy(server.url, c);
  const paid = await call(server.url, 'POST', `/v1/orgs/${c.id}/orders/${orderId}/pay`, {
    auth: c.admin.auth,
  });
  await expectNoServerError('pay from a full balance', paid);
  expect(paid.status, paid.text).toBe(200);
  for (const path of ['ledger', 'topups', 'bills']) {
    const r = await call(server.url, 'GET', `/v1/orgs/${c.id}/${path}`, { auth: c.admin.auth });
    await expectNoServerError(`GET ${path} of a full balance`, r);
    expect(r.status).toBe(200);
  }
  expect(await checkInvariants(db)).toEqual([]);
}, 300_000);

test('usage bounds: an event ending in year 9999, spanning over 31 days, ending over 1 h ahead or of a huge quantity is refused and not kept', async () => {
  const now = new Date(
    (await ok(call(server.url, 'GET', '/v1/internal/clock', { auth: OP }), 200, 'clock')).now,
  ).getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const H = 3_600_000;
  const D = 24 * H;
  const event = (over: Record<string, unknown>) => ({
    id: unique('usage'),
    orgId: a.id,
    clusterId: ids.clusterId,
    metric: 'storage',
    quantity: 10,
    start: iso(now - 2 * H),
    end: iso(now - H),
    ...over,
  });
  const send = (e: Record<string, unknown>) =>
    call(server.url, 'POST', '/v1/internal/usage', { auth: OP, body: { events: [e] } });
  const kept = async (id: unknown) =>
    Number((await db.query('select count(*) as n from usage_events where id = $1', [id])).rows[0].n);
  const refusedCases: [string, Record<string, unknown>][] = [
    ['ending 9999-12-31', { start: '9999-12-30T00:00:00Z', end: '9999-12-31T00:00:00Z' }],
    ['from now to 9999-12-31', { start: iso(now - H), end: '9999-12-31T23:59:59Z' }],
    ['spanning 31 days and 1 hour', { start: iso(now - 31 * D - 2 * H), end: iso(now - H) }],
    ['spanning 400 days', { start: iso(now - 400 * D), end: iso(now - H) }],
    ['spanning from year 1', { start: '0001-01-01T00:00:00Z', end: iso(now - H) }],
    ['ending 61 minutes ahead', { start: iso(now), end: iso(now + H + 60_000) }],
    ['ending a day ahead', { start: iso(now + 23 * H), end: iso(now + D) }],
    ['of 10^12 GB', { quantity: 1e12 }],
    ['of 2^53 GB', { quantity: 2 ** 53 }],
    ['of 1e308 GB', { quantity: 1e308 }],
    ['of a negative quantity', { quantity: -1 }],
    ['ending before it starts', { start: iso(now - H), end: iso(now - 2 * H) }],
  ];
  for (const [what, over] of refusedCases) {
    const e = event(over);
    const r = await send(e);
    figures.inputsTried++;
    await expectNoServerError(`usage ${what}`, r);
    expectErrorFormat(`usage ${what}`, r, FOUR_XX);
    expect(await kept(e.id), `usage ${what} was kept`).toBe(0);
    // Among valid events in one batch: still never a 5xx, and the bad one is never kept.
    const bad = event(over);
    const batch = await call(server.url, 'POST', '/v1/internal/usage', {
      auth: OP,
      body: { events: [event({}), bad] },
    });
    await expectNoServerError(`usage batch with one ${what}`, batch);
    expect(await kept(bad.id), `usage ${what} in a batch was kept`).toBe(0);
  }
  // Inside the bounds: exactly 31 days, ending within the hour ahead: accepted.
  for (const [what, over] of [
    ['spanning exactly 31 days', { start: iso(now - 31 * D - H), end: iso(now - H) }],
    ['ending 59 minutes ahead', { start: iso(now), end: iso(now + 59 * 60_000) }],
  ] as const) {
    const e = event(over);
    const r = await send(e);
    expect(r.status, `usage ${what}: ${r.text.slice(0, 300)}`).toBeLessThan(300);
    expect(await kept(e.id)).toBe(1);
  }
  // The bills that sum them still answer.
  const bills = await call(server.url, 'GET', `/v1/orgs/${a.id}/bills`, { auth: a.admin.auth });
  await expectNoServerError('bills after usage', bills);
  expect(await checkInvariants(db)).toEqual([]);
}, 300_000);

test('member flows: adding an existing user to a second org with a password never lets that password read the first org; the key returned for the second org is 404 on the first', async () => {
  const email = `${unique('shared')}@example.com`;
  const first = 'first org password 1';
  const second = 'second org password 2';
  const inA = await ok(
    call(server.url, 'POST', `/v1/internal/orgs/${a.id}/members`, {
      auth: OP,
      body: { email, password: first, orgRole: 'org_admin' },
    }),
    201,
    'member of A',
  );
  const addToB = await call(server.url, 'POST', `/v1/internal/orgs/${b.id}/members`, {
    auth: OP,
    body: { email, password: second, orgRole: 'org_admin' },
  });
  await expectNoServerError('adding an existing user to B', addToB);
  const login = async (password: string) => {
    const res = await fetch(`${server.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    await res.text();
    return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! };
  };
  const readA = (headers: Record<string, string>) =>
    call(server.url, 'GET', `/v1/orgs/${a.id}/balance`, { headers });
  // The second org's password never reads the first org.
  const withSecond = await login(second);
  await expectNoServerError('login with the second password', { status: withSecond.status, text: '' });
  if (withSecond.status === 200) {
    const r = await readA({ cookie: withSecond.cookie });
    expect([401, 404], `A read with the second password's session: ${r.status}`).toContain(r.status);
    expect(r.text).not.toContain(a.remittanceCode);
  }
  // The user's own password still works where it did.
  const withFirst = await login(first);
  expect(withFirst.status).toBe(200);
  expect((await readA({ cookie: withFirst.cookie })).status).toBe(200);
  // The key returned for org B (SPEC §7.3: `{user, apiKey}`) acts in B only: org A is 404, as for a stranger.
  expect(addToB.status, addToB.text.slice(0, 300)).toBeLessThan(300);
  const keyB = addToB.json?.apiKey as string;
  expect(typeof keyB).toBe('string');
  const auth = { authorization: `Bearer ${keyB}` };
  const r = await call(server.url, 'GET', `/v1/orgs/${a.id}/balance`, { auth });
  expect(r.status, r.text.slice(0, 200)).toBe(404);
  expect(r.text).not.toContain(a.remittanceCode);
  for (const path of ['orders', 'ledger', 'topups', 'bills', 'clusters']) {
    const other = await call(server.url, 'GET', `/v1/orgs/${a.id}/${path}`, { auth });
    expect(other.status, `GET A/${path} with B's key`).toBe(404);
  }
  expect((await call(server.url, 'GET', `/v1/orgs/${b.id}/balance`, { auth })).status).toBe(200);
  const me = await call(server.url, 'GET', '/v1/me', { auth });
  expect(me.status).toBe(200);
  expect(me.text).not.toContain(a.id);
  // And A's key stays out of B.
  const keyA = { authorization: `Bearer ${inA.apiKey}` };
  expect((await call(server.url, 'GET', `/v1/orgs/${a.id}/balance`, { auth: keyA })).status).toBe(200);
  expect((await call(server.url, 'GET', `/v1/orgs/${b.id}/balance`, { auth: keyA })).status).toBe(404);
}, 300_000);

test('a NUL character in any text field of a body, query or cursor: refused or ignored, never a 5xx', async () => {
  const NUL = 'a\u0000b';
  const failures: string[] = [];
  const check = (what: string, r: Answer) => {
    figures.inputsTried++;
    if (r.status >= 500 || r.status === 0) {
      figures.serverErrors++;
      failures.push(`${what} → ${r.status} ${r.text.slice(0, 120)}`);
    }
  };
  for (const route of routes) {
    const auth = authFor(route.path);
    const path = fill(route.path, {});
    if (route.method === 'POST') {
      const t = templates[route.path];
      if (!t) continue;
      for (const [key, value] of Object.entries(t)) {
        if (typeof value !== 'string') continue;
        const r = await call(server.url, 'POST', path, { auth, body: { ...t, [key]: NUL } });
        check(`POST ${route.path} with a NUL in ${key}`, r);
      }
    } else {
      for (const q of [
        'q=a%00b',
        'cursor=a%00b',
        `cursor=${cursor(['2026-01-01T00:00:00.000Z', NUL])}`,
        `cursor=${cursor([NUL, NUL])}`,
        'status=paid%00',
        'createdFrom=2026-01-01T00:00:00Z%00',
        'format=csv%00',
        'projectId=a%00b',
      ]) {
        const r = await call(server.url, 'GET', `${path}?${q}`, { auth });
        check(`GET ${route.path}?${q}`, r);
      }
    }
  }
  // Sign-in with a NUL in the email or password: refused, never a 5xx.
  for (const body of [
    { email: NUL, password: 'password' },
    { email: 'x@example.com', password: NUL },
  ]) {
    const r = await call(server.url, 'POST', '/v1/auth/login', { body });
    check(`login with ${JSON.stringify(body)}`, r);
  }
  expect(failures).toEqual([]);
}, 300_000);
