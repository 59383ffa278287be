import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../server/src/config.js';
import { connect, DataDirLockedError } from '../../server/src/db/connect.js';
import { createTally } from '../../server/src/server.js';
import { addMember, api, buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { ENGINE, freshDatabase, onPostgres, startTestTally, type TestTally } from '../harness.js';

let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

describe('lists', () => {
  it('pages with a cursor, newest first, and filters by status, type, project, cluster, time and search', async () => {
    const o = await createOrg(t);
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        (await buyCluster(t, o, o.admin, { name: `pager-${i}`, projectId: o.projects[i % 2]!.id })).order,
      );
      t.clock.advance(60_000);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { json: { items: { id: string }[]; nextCursor: string | null } } = await api(
        t,
        'GET',
        `/v1/orgs/${o.id}/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { auth: o.admin.auth },
      );
      expect(r.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.json.items.map((x) => x.id));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made.map((m) => m.id).reverse());
    const q = async (qs: string) =>
      (await api(t, 'GET', `/v1/orgs/${o.id}/orders?${qs}`, { auth: o.admin.auth })).json.items.map(
        (x: { id: string }) => x.id,
      );
    expect(await q(`projectId=${o.projects[1]!.id}`)).toEqual([made[3]!.id, made[1]!.id]);
    expect(await q(`clusterId=${made[2]!.clusterId}`)).toEqual([made[2]!.id]);
    expect(await q('q=pager-4')).toEqual([made[4]!.id]);
    expect(await q(`q=${made[0]!.id.slice(0, 20)}`)).toContain(made[0]!.id);
    expect(await q('q=%25')).toEqual([]);
    expect(await q(`createdFrom=${made[1]!.createdAt}&createdTo=${made[3]!.createdAt}`)).toEqual([
      made[2]!.id,
      made[1]!.id,
    ]);
    expect(await q('type=upgrade')).toEqual([]);
    expect((await q('status=unpaid,paid')).length).toBe(5);
    expect(await q('status=cancelled')).toEqual([]);
  });
});

describe('GET /v1/me', () => {
  it('shows the caller with their org and project roles', async () => {
    const m = await addMember(t, org.id, 'org_member', [
      { projectId: org.projects[0]!.id, role: 'project_admin' },
    ]);
    const r = await api(t, 'GET', '/v1/me', { auth: m.auth });
    expect(r.json).toMatchObject({
      user: { id: m.id, email: m.email },
      orgs: [
        { id: org.id, orgRole: 'org_member', projects: [{ id: org.projects[0]!.id, role: 'project_admin' }] },
      ],
    });
  });
});

describe('console sessions', () => {
  it('signs in with a password, needs the CSRF token for changes, and signs out', async () => {
    const m = await addMember(t, org.id, 'org_admin', [], 'correct horse battery');
    const bad = await api(t, 'POST', '/v1/auth/login', {
      body: { email: m.email, password: 'wrong password' },
    });
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe('INVALID_CREDENTIALS');
    const login = await api(t, 'POST', '/v1/auth/login', {
      body: { email: m.email.toUpperCase(), password: 'correct horse battery' },
    });
    expect(login.status).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/tally_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    const cookie = setCookie.split(';')[0]!;
    const me = await api(t, 'GET', '/v1/me', { headers: { cookie } });
    expect(me.json).toMatchObject({
      user: { id: m.id },
      authenticatedBy: 'session',
      csrfToken: login.json.csrfToken,
    });
    const { order } = await buyCluster(t, org);
    const noCsrf = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, {
      headers: { cookie },
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json.error.code).toBe('CSRF_TOKEN_INVALID');
    const ok = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, {
      headers: { cookie, 'x-csrf-token': login.json.csrfToken },
    });
    expect(ok.status).toBe(200);
    await api(t, 'POST', '/v1/auth/logout', {
      headers: { cookie, 'x-csrf-token': login.json.csrfToken },
      body: {},
    });
    expect((await api(t, 'GET', '/v1/me', { headers: { cookie } })).status).toBe(401);
  });
});

describe('the test clock', () => {
  it('is not there unless TALLY_TEST_CLOCK=1', async () => {
    expect((await api(t, 'GET', '/v1/internal/clock', { auth: t.op })).status).toBe(404);
    expect(
      (await api(t, 'POST', '/v1/internal/clock', { auth: t.op, body: { advanceSeconds: 10 } })).status,
    ).toBe(404);
  });

  it('moves forward only, and every instance on the database reads the same time', async () => {
    const database = await freshDatabase();
    const config = testConfig({ testClock: true });
    const a = await createTally({ config, database });
    const b = await createTally({ config, database });
    try {
      const op = { authorization: `Bearer ${config.operatorToken}` };
      const now0 = new Date(
        (await a.app.inject({ method: 'GET', url: '/v1/internal/clock', headers: op })).json().now,
      ).getTime();
      const adv = await a.app.inject({
        method: 'POST',
        url: '/v1/internal/clock',
        headers: op,
        payload: { advanceSeconds: 86_400 },
      });
      expect(adv.statusCode).toBe(200);
      const seenByB = new Date(
        (await b.app.inject({ method: 'GET', url: '/v1/internal/clock', headers: op })).json().now,
      ).getTime();
      expect(seenByB - now0).toBeGreaterThanOrEqual(86_400_000);
      expect(seenByB - now0).toBeLessThan(86_400_000 + 60_000);
      const back = await b.app.inject({
        method: 'POST',
        url: '/v1/internal/clock',
        headers: op,
        payload: { now: new Date(now0).toISOString() },
      });
      expect(back.statusCode).toBe(422);
      expect(back.json().error.code).toBe('CLOCK_BACKWARDS');
    } finally {
      await a.close();
      await b.close();
      await database.close();
    }
  });
});

describe('operability', () => {
  it('serves /healthz, Prometheus /metrics and an OpenAPI document generated from the request schemas', async () => {
    expect((await api(t, 'GET', '/healthz')).json).toEqual({
      status: 'ok',
      database: onPostgres
        ? { role: 'primary', address: expect.stringMatching(/:\d+$/) }
        : { role: 'embedded' },
    });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.op });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('tally_http_requests_total');
    expect(metrics.body).toMatch(/tally_orders\{status="unpaid"\} \d+/);
    expect(metrics.body).toContain('tally_sweeper_lag_seconds');
    const doc = (await api(t, 'GET', '/v1/openapi.json')).json;
    expect(doc.openapi).toBe('3.1.0');
    const create = doc.paths['/v1/orgs/{orgId}/clusters'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['projectId', 'name', 'region', 'cuType', 'cuSize', 'replicas', 'term']),
    );
    expect(doc.paths['/v1/orgs/{orgId}/orders'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'orgId',
        'status',
        'type',
        'projectId',
        'clusterId',
        'createdFrom',
        'createdTo',
        'q',
        'limit',
        'cursor',
      ]),
    );
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain(
      'INSUFFICIENT_BALANCE',
    );
  });
});

describe.runIf(ENGINE === 'pglite')('the embedded database directory', () => {
  it('refuses a second process on the same data directory with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-lock-'));
    const first = await connect({ dataDir: dir });
    try {
      // A live process holds the lock (this one): a second open is refused.
      const fake = join(dir, 'tally.lock');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(fake, String(process.ppid));
      await expect(connect({ dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(connect({ dataDir: dir })).rejects.toThrow(/in use by another Tally process/);
      writeFileSync(fake, String(process.pid));
    } finally {
      await first.close();
    }
    // A lock left by a dead process is taken over.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'tally.lock'), '999999');
    const again = await connect({ dataDir: dir });
    await again.close();
  });
});
