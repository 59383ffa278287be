import { beforeAll, describe, expect, it } from 'vitest';
import { passwordHashing } from '../../server/src/identity/secrets.js';
import { createTally } from '../../server/src/server.js';
import { addMember, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: sign-in is throttled per account and per address. After 5 failures within 15 minutes the
 * answer is 429 RATE_LIMITED with Retry-After (and details.retryAfterSeconds), the lock growing with
 * further failures up to 15 minutes; a throttled attempt costs no password hash; a success clears the
 * account's count. The state is in the database, so every instance sees it.
 */
let t: TestTally;
let org: OrgFixture;
const PASSWORD = 'correct horse battery';
let n = 0;
/** A fresh client address, so that each test's address count is its own. */
const address = () => `10.20.${Math.floor(++n / 250)}.${n % 250}`;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t, { projects: 1 });
});

async function signIn(email: string, password: string, from: string, app = t.app) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password },
    remoteAddress: from,
  });
  return { status: res.statusCode, json: res.json(), retryAfter: res.headers['retry-after'] };
}

const member = () => addMember(t, org.id, 'org_member', [], PASSWORD);

describe('per account', () => {
  it('the 6th failure within 15 minutes is 429 with Retry-After, even with the right password, and costs no hash', async () => {
    const m = await member();
    for (let i = 0; i < 5; i++) {
      const before = passwordHashing.computed;
      const r = await signIn(m.email, 'wrong password', address());
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('INVALID_CREDENTIALS');
      expect(passwordHashing.computed).toBe(before + 1);
      if (i < 4) t.clock.advance(3 * 60_000); // 5 failures spread over 12 minutes
    }
    t.clock.advance(10_000);
    const before = passwordHashing.computed;
    const locked = await signIn(m.email.toUpperCase(), PASSWORD, address());
    expect(locked.status).toBe(429);
    expect(locked.json.error.code).toBe('RATE_LIMITED');
    expect(locked.retryAfter).toBe('50');
    expect(locked.json.error.details).toEqual({ retryAfterSeconds: 50 });
    expect(passwordHashing.computed).toBe(before);
  });

  it('parallel guesses get 5 password checks, not one per request', async () => {
    const m = await member();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => signIn(m.email, 'wrong password', address())),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('the lock grows 1, 2, 4, 8, 15 minutes with each further failure, ends with the clock, and resets after 15 quiet minutes', async () => {
    const m = await member();
    for (let i = 0; i < 5; i++) expect((await signIn(m.email, 'wrong', address())).status).toBe(401);
    for (const seconds of [60, 120, 240, 480, 900, 900]) {
      const locked = await signIn(m.email, PASSWORD, address());
      expect(locked.status).toBe(429);
      expect(locked.json.error.details.retryAfterSeconds).toBe(seconds);
      expect(locked.retryAfter).toBe(String(seconds));
      t.clock.advance((seconds - 1) * 1000);
      expect((await signIn(m.email, PASSWORD, address())).retryAfter).toBe('1');
      t.clock.advance(1000);
      // The lock has ended: one more guess is checked, and fails, which locks the account again, for longer.
      expect((await signIn(m.email, 'wrong', address())).status).toBe(401);
    }
    // Quiet for the last lock (15 minutes) and 15 minutes more: the count starts afresh at 5 failures.
    t.clock.advance(30 * 60_000);
    for (let i = 0; i < 5; i++) expect((await signIn(m.email, 'wrong', address())).status).toBe(401);
    const again = await signIn(m.email, PASSWORD, address());
    expect(again.status).toBe(429);
    expect(again.json.error.details.retryAfterSeconds).toBe(60);
  });

  it('a success clears the account: the next failures count from zero', async () => {
    const m = await member();
    for (let i = 0; i < 5; i++) expect((await signIn(m.email, 'wrong', address())).status).toBe(401);
    expect((await signIn(m.email, PASSWORD, address())).status).toBe(429);
    t.clock.advance(60_000);
    expect((await signIn(m.email, PASSWORD, address())).status).toBe(200);
    // Without the reset the account, locked once already, would lock again at the first failure.
    for (let i = 0; i < 5; i++) expect((await signIn(m.email, 'wrong', address())).status).toBe(401);
    expect((await signIn(m.email, PASSWORD, address())).status).toBe(429);
  });

  it('holds across instances on one database', async () => {
    const other = await createTally({ config: t.config, database: t.database, clock: t.clock });
    try {
      const m = await member();
      for (let i = 0; i < 5; i++) {
        const app = i % 2 ? other.app : t.app;
        expect((await signIn(m.email, 'wrong', address(), app)).status).toBe(401);
      }
      expect((await signIn(m.email, PASSWORD, address(), other.app)).status).toBe(429);
      expect((await signIn(m.email, PASSWORD, address(), t.app)).status).toBe(429);
    } finally {
      await other.close();
    }
  });
});

describe('bad input', () => {
  it('an email with a control character (a NUL) is 400 VALIDATION_FAILED, counted against nothing', async () => {
    const from = address();
    for (let i = 0; i < 6; i++) {
      const r = await signIn(`a\u0000b-${i}@example.com`, 'p\u0000', from);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
    }
    const m = await member();
    expect((await signIn(m.email, PASSWORD, from)).status).toBe(200);
  });
});

describe('per address', () => {
  it('5 failures from one address on different accounts lock the address, not the accounts', async () => {
    const from = address();
    for (let i = 0; i < 5; i++) {
      const r = await signIn(`nobody-${process.pid}-${n}-${i}@example.com`, 'guess', from);
      expect(r.status).toBe(401);
    }
    const m = await member();
    const before = passwordHashing.computed;
    const locked = await signIn(m.email, PASSWORD, from);
    expect(locked.status).toBe(429);
    expect(locked.json.error.details.retryAfterSeconds).toBe(60);
    expect(passwordHashing.computed).toBe(before);
    // The same account from another address signs in.
    expect((await signIn(m.email, PASSWORD, address())).status).toBe(200);
    t.clock.advance(60_000);
    expect((await signIn(m.email, PASSWORD, from)).status).toBe(200);
  });

  it('an IPv4-mapped IPv6 address is the same address', async () => {
    const from = address();
    for (let i = 0; i < 5; i++) {
      const r = await signIn(
        `mapped-${process.pid}-${n}-${i}@example.com`,
        'guess',
        i % 2 ? `::ffff:${from}` : from,
      );
      expect(r.status).toBe(401);
    }
    expect((await signIn(`mapped-${process.pid}-${n}-x@example.com`, 'guess', `::ffff:${from}`)).status).toBe(
      429,
    );
  });

  it('loopback (a local proxy, a check on the machine itself) is throttled per account only', async () => {
    for (let i = 0; i < 7; i++) {
      const r = await signIn(
        `loopback-${process.pid}-${i}@example.com`,
        'guess',
        i % 2 ? '::1' : '127.0.0.1',
      );
      expect(r.status).toBe(401);
    }
    const m = await member();
    expect((await signIn(m.email, PASSWORD, '127.0.0.1')).status).toBe(200);
  });

  it('successful sign-ins from one address (an office behind one NAT) do not lock it', async () => {
    const from = address();
    for (let i = 0; i < 8; i++) {
      const m = await member();
      expect((await signIn(m.email, PASSWORD, from)).status).toBe(200);
    }
  });
});
