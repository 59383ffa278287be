import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * Console sessions last 12 hours; housekeeping deletes them once expired, and deletes sign-in throttle rows
 * that no longer hold a failure or a lock.
 */
let t: TestTally;
let org: OrgFixture;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t, { projects: 1 });
});

async function signIn(email: string, password: string, from = '127.0.0.1') {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password },
    remoteAddress: from,
  });
  return { status: res.statusCode, cookie: String(res.headers['set-cookie'] ?? '').split(';')[0]! };
}

const sessionsOf = async (userId: string) =>
  (await t.deps.db.selectFrom('sessions').select('expires_at').where('user_id', '=', userId).execute()).map(
    (r) => r.expires_at.toISOString(),
  );

const throttleRows = async (subjects: string[]) =>
  (
    await t.deps.db
      .selectFrom('sign_in_throttle')
      .select(['scope', 'subject'])
      .where('subject', 'in', subjects)
      .execute()
  ).length;

describe('housekeeping', () => {
  it('deletes console sessions once expired, and only those', async () => {
    const m = await addMember(t, org.id, 'org_member', [], PASSWORD);
    const first = await signIn(m.email, PASSWORD);
    expect(first.status).toBe(200);
    t.clock.advance(6 * 3_600_000);
    const second = await signIn(m.email, PASSWORD);
    expect(second.status).toBe(200);
    expect(await sessionsOf(m.id)).toHaveLength(2);

    t.clock.advance(6 * 3_600_000); // the first session has just expired
    await t.jobs.runAllOnce();
    const left = await sessionsOf(m.id);
    expect(left).toEqual([new Date(t.clock.now().getTime() + 6 * 3_600_000).toISOString()]);
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: second.cookie } })).statusCode,
    ).toBe(200);

    t.clock.advance(6 * 3_600_000);
    await t.jobs.runAllOnce();
    expect(await sessionsOf(m.id)).toEqual([]);
  });

  it('deletes throttle rows once their failures are 15 minutes old, and a locked one 15 minutes after its lock', async () => {
    const from = '10.30.0.1';
    const a = `quiet-${process.pid}@example.com`;
    const b = `locked-${process.pid}@example.com`;
    expect((await signIn(a, 'guess', '10.30.0.2')).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await signIn(b, 'guess', `10.30.1.${i}`)).status).toBe(401);
    expect((await signIn(b, 'guess', from)).status).toBe(429);
    expect(await throttleRows([a, b, '10.30.0.2'])).toBe(3);

    t.clock.advance(15 * 60_000);
    await t.jobs.runAllOnce();
    // a and its address are forgotten; b was locked for a minute and is kept for 15 minutes after that.
    expect(await throttleRows([a, '10.30.0.2'])).toBe(0);
    expect(await throttleRows([b])).toBe(1);

    t.clock.advance(60_000);
    await t.jobs.runAllOnce();
    expect(await throttleRows([b])).toBe(0);
    // Forgotten means a fresh start: 5 failures again before a lock.
    for (let i = 0; i < 5; i++) expect((await signIn(b, 'guess', `10.30.2.${i}`)).status).toBe(401);
    expect((await signIn(b, 'guess', from)).status).toBe(429);
  });
});
