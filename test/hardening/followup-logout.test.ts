import { beforeAll, describe, expect, it } from 'vitest';
import { createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/** Sign-out with a session cookie that is not valid percent-encoding is a clear answer, never a 500. */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t, { projects: 1 });
});

describe('logout with a malformed cookie', () => {
  it('answers 200 for an API-key caller and clears the cookie', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { ...org.admin.auth, cookie: 'tally_session=%E0%A4%A' },
      payload: {},
    });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toContain('Max-Age=0');
  });

  it('answers 401 without other credentials', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { cookie: 'tally_session=%zz' },
      payload: {},
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });
});
