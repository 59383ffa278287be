import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, api, buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: an API key acts for one user in one org; adding an existing user to another org hands over
 * nothing of their first org; keys can be listed, created and revoked by their owner, and say when they were
 * last used; a malformed session cookie is a 401 in the error format, never a 500.
 */
let t: TestTally;
let a: OrgFixture;
let b: OrgFixture;
let n = 0;
const email = () => `identity-${process.pid}-${++n}@example.com`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  t = await startTestTally();
  a = await createOrg(t);
  b = await createOrg(t);
  await buyCluster(t, a);
});

const addByEmail = (orgId: string, body: Record<string, unknown>) =>
  api(t, 'POST', `/v1/internal/orgs/${orgId}/members`, { auth: t.op, body });

const signIn = (address: string, password: string) =>
  api(t, 'POST', '/v1/auth/login', { body: { email: address, password } });

describe('one key, one org', () => {
  it('the key issued when a user joins org B reads org B only: org A is 404, /me lists B alone', async () => {
    const who = email();
    const inA = await addByEmail(a.id, { email: who, password: 'first password', orgRole: 'org_admin' });
    expect(inA.status, inA.body).toBe(201);
    const inB = await addByEmail(b.id, { email: who, orgRole: 'org_admin' });
    expect(inB.status, inB.body).toBe(201);
    const keyB = bearer(inB.json.apiKey);

    for (const path of ['orders', 'balance', 'clusters', 'ledger', 'projects', 'api-keys']) {
      const r = await api(t, 'GET', `/v1/orgs/${a.id}/${path}`, { auth: keyB });
      expect(r.status, `${path}: ${r.body}`).toBe(404);
      expect(r.json.error.code).toBe('NOT_FOUND');
    }
    expect((await api(t, 'GET', `/v1/orgs/${b.id}/balance`, { auth: keyB })).status).toBe(200);
    const me = await api(t, 'GET', '/v1/me', { auth: keyB });
    expect(me.json.orgs.map((o: { id: string }) => o.id)).toEqual([b.id]);
    expect(me.body).not.toContain(a.id);

    // And the first key still reads A, not B.
    const keyA = bearer(inA.json.apiKey);
    expect((await api(t, 'GET', `/v1/orgs/${a.id}/balance`, { auth: keyA })).status).toBe(200);
    expect((await api(t, 'GET', `/v1/orgs/${b.id}/balance`, { auth: keyA })).status).toBe(404);
  });

  it('a key cannot act in another org of its user: a POST there is 404 and changes nothing', async () => {
    const who = email();
    await addByEmail(a.id, { email: who, orgRole: 'org_admin' });
    const inB = await addByEmail(b.id, { email: who, orgRole: 'org_admin' });
    const r = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys`, {
      auth: bearer(inB.json.apiKey),
      body: { name: 'sneaky' },
    });
    expect(r.status, r.body).toBe(404);
  });

  it('a console session still sees every org of the person signed in', async () => {
    const who = email();
    await addByEmail(a.id, { email: who, password: 'session password', orgRole: 'org_member' });
    await addByEmail(b.id, { email: who, orgRole: 'org_member' });
    const login = await signIn(who, 'session password');
    expect(login.status, login.body).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const me = await api(t, 'GET', '/v1/me', { headers: { cookie } });
    expect(me.json.authenticatedBy).toBe('session');
    expect(me.json.orgs.map((o: { id: string }) => o.id).sort()).toEqual([a.id, b.id].sort());
  });
});

describe('adding an existing user to another org', () => {
  it('never sets a password on a user who has none: the password given does not sign in to anything', async () => {
    const who = email();
    expect((await addByEmail(a.id, { email: who, orgRole: 'org_admin' })).status).toBe(201);
    const inB = await addByEmail(b.id, { email: who, password: 'chosen by org B', orgRole: 'org_member' });
    expect(inB.status, inB.body).toBe(201);
    // The defect: that password signed in, and the session then read org A.
    const login = await signIn(who, 'chosen by org B');
    expect(login.status, login.body).toBe(401);
    expect(login.json.error.code).toBe('INVALID_CREDENTIALS');
    expect(inB.json.user).toMatchObject({ created: false, hasPassword: false });
    // They are invited to set their own password instead.
    expect(inB.json.invitation.url).toMatch(/^http:\/\/localhost:\d+\/invite\/[A-Za-z0-9_-]{43}$/);
  });

  it('never changes an existing password: the old one still signs in, the new one does not', async () => {
    const who = email();
    await addByEmail(a.id, { email: who, password: 'the old password', orgRole: 'org_admin' });
    const inB = await addByEmail(b.id, { email: who, password: 'a new password', orgRole: 'org_admin' });
    expect(inB.status, inB.body).toBe(201);
    expect((await signIn(who, 'a new password')).status).toBe(401);
    expect((await signIn(who, 'the old password')).status).toBe(200);
    expect(inB.json.user).toMatchObject({ created: false, hasPassword: true });
    expect(inB.json.invitation).toBeUndefined();
  });
});

describe('key management', () => {
  it('creates a key (secret shown once), lists own keys without secrets, revokes: 401 at once', async () => {
    const owner = await addMember(t, a.id, 'org_member');
    const created = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys`, {
      auth: owner.auth,
      body: { name: 'ci deploys' },
    });
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({ name: 'ci deploys', revokedAt: null, lastUsedAt: null });
    expect(created.json.secret).toMatch(/^tly_/);
    expect(created.json.prefix).toBe(created.json.secret.slice(0, 8));
    const key = bearer(created.json.secret);
    expect((await api(t, 'GET', '/v1/me', { auth: key })).status).toBe(200);

    const list = await api(t, 'GET', `/v1/orgs/${a.id}/api-keys`, { auth: owner.auth });
    expect(list.status).toBe(200);
    expect(list.json.items.map((k: { name: string }) => k.name).sort()).toEqual(['ci deploys', 'default']);
    expect(list.body).not.toContain(created.json.secret);
    expect(list.body).not.toContain(owner.apiKey);

    // Someone else's key is not found, and stays alive.
    const other = await addMember(t, a.id, 'org_admin');
    const foreign = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys/${created.json.id}/revoke`, {
      auth: other.auth,
      body: {},
    });
    expect(foreign.status).toBe(404);
    expect((await api(t, 'GET', '/v1/me', { auth: key })).status).toBe(200);
    // Nor does an org admin see a member's keys.
    const adminList = await api(t, 'GET', `/v1/orgs/${a.id}/api-keys`, { auth: other.auth });
    expect(adminList.body).not.toContain(created.json.id);

    const revoked = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys/${created.json.id}/revoke`, {
      auth: owner.auth,
      body: {},
    });
    expect(revoked.status, revoked.body).toBe(200);
    expect(revoked.json.revokedAt).toBe(t.clock.now().toISOString());
    const refused = await api(t, 'GET', '/v1/me', { auth: key });
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('UNAUTHENTICATED');
    expect((await api(t, 'GET', `/v1/orgs/${a.id}/balance`, { auth: key })).status).toBe(401);
    // Revoking again answers the same key; the owner's other key still works.
    const again = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys/${created.json.id}/revoke`, {
      auth: owner.auth,
      body: {},
    });
    expect(again.json.revokedAt).toBe(revoked.json.revokedAt);
    expect((await api(t, 'GET', '/v1/me', { auth: owner.auth })).status).toBe(200);
  });

  it('a revoked key cannot revive itself or make another', async () => {
    const owner = await addMember(t, a.id, 'org_member');
    const list = await api(t, 'GET', `/v1/orgs/${a.id}/api-keys`, { auth: owner.auth });
    const id = list.json.items[0].id;
    const self = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys/${id}/revoke`, {
      auth: owner.auth,
      body: {},
    });
    expect(self.status).toBe(200);
    const make = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys`, { auth: owner.auth, body: { name: 'x' } });
    expect(make.status).toBe(401);
  });

  it('refuses a bad name with a 400 and creates nothing', async () => {
    const owner = await addMember(t, a.id, 'org_member');
    for (const body of [{ name: '' }, { name: 'x'.repeat(65) }, {}, { name: 'ok', extra: 1 }]) {
      const r = await api(t, 'POST', `/v1/orgs/${a.id}/api-keys`, { auth: owner.auth, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
    }
    const list = await api(t, 'GET', `/v1/orgs/${a.id}/api-keys`, { auth: owner.auth });
    expect(list.json.items).toHaveLength(1);
  });

  it('records the last use at most once a minute', async () => {
    const owner = await addMember(t, a.id, 'org_member');
    const lastUsed = async () =>
      (await api(t, 'GET', `/v1/orgs/${a.id}/api-keys`, { auth: owner.auth })).json.items[0].lastUsedAt;
    const first = t.clock.now().toISOString();
    expect(await lastUsed()).toBe(first);
    t.clock.advance(59_000);
    expect(await lastUsed()).toBe(first);
    t.clock.advance(1_000);
    expect(await lastUsed()).toBe(t.clock.now().toISOString());
  });
});

describe('malformed session cookie', () => {
  it.each(['%E0%A4%A', '%', '%zz', 'a%ff'])(
    'tally_session=%s is 401 UNAUTHENTICATED in the error format',
    async (v) => {
      const r = await api(t, 'GET', '/v1/me', { headers: { cookie: `tally_session=${v}` } });
      expect(r.status, r.body).toBe(401);
      expect(r.json.error.code).toBe('UNAUTHENTICATED');
      expect(r.json.error.message).toEqual(expect.any(String));
      expect(r.body).not.toContain('URIError');
    },
  );
});
