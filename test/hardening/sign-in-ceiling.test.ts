import { beforeAll, describe, expect, it } from 'vitest';
import { passwordHashing } from '../../server/src/identity/secrets.js';
import { addMember, createOrg } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * A per-address ceiling on the routes that check a password, before any database work: 30 requests a minute
 * from one address per process (@fastify/rate-limit), then 429 RATE_LIMITED with Retry-After. Successful
 * sign-ins, which the failure counts let through, are capped by it too.
 */
let t: TestTally;
let email: string;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  t = await startTestTally();
  const org = await createOrg(t, { projects: 1 });
  email = (await addMember(t, org.id, 'org_member', [], PASSWORD)).email;
});

const post = (url: string, payload: object, from: string) =>
  t.app.inject({ method: 'POST', url, payload, remoteAddress: from });

describe('request ceiling per address', () => {
  it('the 31st sign-in within a minute from one address is 429 with Retry-After, and costs no hash', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await post('/v1/auth/login', { email, password: PASSWORD }, '10.40.0.1')).statusCode).toBe(200);
    }
    const before = passwordHashing.computed;
    const r = await post('/v1/auth/login', { email, password: PASSWORD }, '10.40.0.1');
    expect(r.statusCode).toBe(429);
    expect(r.json().error.code).toBe('RATE_LIMITED');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(r.json().error.details.retryAfterSeconds).toBe(Number(r.headers['retry-after']));
    expect(passwordHashing.computed).toBe(before);
    // Another address is not affected.
    expect((await post('/v1/auth/login', { email, password: PASSWORD }, '10.40.0.2')).statusCode).toBe(200);
  });

  it('applies to accepting an invitation too', async () => {
    const token = 'A'.repeat(43);
    for (let i = 0; i < 30; i++) {
      const r = await post(
        `/v1/invitations/${token}/accept`,
        { password: 'a long enough password' },
        '10.40.1.1',
      );
      expect(r.statusCode).not.toBe(429);
    }
    const r = await post(
      `/v1/invitations/${token}/accept`,
      { password: 'a long enough password' },
      '10.40.1.1',
    );
    expect(r.statusCode).toBe(429);
    expect(r.json().error.code).toBe('RATE_LIMITED');
  });

  it('does not limit loopback (a local proxy, a check on the machine itself)', async () => {
    for (let i = 0; i < 32; i++) {
      const r = await post('/v1/auth/login', { email: `x-${i}@example.com`, password: 'guess' }, '127.0.0.1');
      expect(r.statusCode).toBe(401);
    }
  });
});
