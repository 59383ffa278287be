import { beforeAll, describe, expect, it } from 'vitest';
import { api, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: a user without a password gets a one-time invitation link, valid 72 hours, to set one; the link
 * works once, and a used, expired or unknown link is a stable INVITATION_INVALID that changes nothing.
 */
let t: TestTally;
let org: OrgFixture;
let n = 0;
const email = () => `invited-${process.pid}-${++n}@example.com`;
const HOUR = 3_600_000;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

/** The link is absolute, on TALLY_PUBLIC_URL (default http://localhost:<PORT>, 8080 here); the token follows /invite/. */
function tokenOf(url: unknown): string {
  const [base, token] = String(url).split('/invite/');
  expect(base).toBe('http://localhost:8080');
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  return token!;
}

async function invite(address = email()) {
  const r = await api(t, 'POST', `/v1/internal/orgs/${org.id}/members`, {
    auth: t.op,
    body: { email: address, orgRole: 'org_member' },
  });
  expect(r.status, r.body).toBe(201);
  return { email: address, ...r.json, token: tokenOf(r.json.invitation.url) };
}

const accept = (token: string, password: string) =>
  api(t, 'POST', `/v1/invitations/${token}/accept`, { body: { password } });
const signIn = (address: string, password: string) =>
  api(t, 'POST', '/v1/auth/login', { body: { email: address, password } });

describe('invitations', () => {
  it('a new user without a password is invited for 72 h; the link sets the password once', async () => {
    const inv = await invite();
    expect(inv.invitation.expiresAt).toBe(new Date(t.clock.now().getTime() + 72 * HOUR).toISOString());
    expect(inv.user.hasPassword).toBe(false);

    const seen = await api(t, 'GET', `/v1/invitations/${inv.token}`);
    expect(seen.status, seen.body).toBe(200);
    expect(seen.json).toEqual({ email: inv.email, expiresAt: inv.invitation.expiresAt });

    const ok = await accept(inv.token, 'my own password');
    expect(ok.status, ok.body).toBe(200);
    expect((await signIn(inv.email, 'my own password')).status).toBe(200);

    const again = await accept(inv.token, 'someone else’s');
    expect(again.status).toBe(404);
    expect(again.json.error).toMatchObject({ code: 'INVITATION_INVALID', details: { reason: 'used' } });
    expect((await signIn(inv.email, 'someone else’s')).status).toBe(401);
    expect((await signIn(inv.email, 'my own password')).status).toBe(200);
    expect((await api(t, 'GET', `/v1/invitations/${inv.token}`)).json.error.code).toBe('INVITATION_INVALID');
  });

  it('works until 72 h have passed and not after', async () => {
    const late = await invite();
    const onTime = await invite();
    t.clock.advance(72 * HOUR - 1000);
    expect((await accept(onTime.token, 'just in time')).status).toBe(200);
    t.clock.advance(1000);
    const r = await accept(late.token, 'too late now');
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: 'INVITATION_INVALID', details: { reason: 'expired' } });
    expect((await signIn(late.email, 'too late now')).status).toBe(401);
  });

  it('an unknown or malformed token is not found and changes nothing', async () => {
    const unknown = await accept('A'.repeat(43), 'whatever password');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'INVITATION_INVALID', details: { reason: 'unknown' } });
    for (const bad of ['%E0%A4%A', 'x', '..%2F..%2Fetc']) {
      const r = await accept(bad, 'whatever password');
      // Bad percent-encoding is refused by the URL parser (400), a token of the wrong shape names nothing (404).
      expect([400, 404], bad).toContain(r.status);
      expect(r.json.error.code).toMatch(/^[A-Z_]+$/);
    }
  });

  it('refuses a short password with a 400 and keeps the link open', async () => {
    const inv = await invite();
    const r = await accept(inv.token, 'short');
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('VALIDATION_FAILED');
    expect((await accept(inv.token, 'long enough now')).status).toBe(200);
  });

  it('a second invitation of the same user stops working once the first set the password', async () => {
    const address = email();
    const first = await invite(address);
    const other = await createOrg(t);
    const second = await api(t, 'POST', `/v1/internal/orgs/${other.id}/members`, {
      auth: t.op,
      body: { email: address, orgRole: 'org_member' },
    });
    const secondToken = tokenOf(second.json.invitation.url);
    expect((await accept(first.token, 'the first one')).status).toBe(200);
    const r = await accept(secondToken, 'the second one');
    expect(r.json.error).toMatchObject({ code: 'INVITATION_INVALID', details: { reason: 'used' } });
    expect((await signIn(address, 'the first one')).status).toBe(200);
  });

  it('a user given a password when created gets no invitation', async () => {
    const r = await api(t, 'POST', `/v1/internal/orgs/${org.id}/members`, {
      auth: t.op,
      body: { email: email(), password: 'set by the operator', orgRole: 'org_member' },
    });
    expect(r.json.user).toMatchObject({ created: true, hasPassword: true });
    expect(r.json.invitation).toBeUndefined();
  });
});
