import { randomBytes, scryptSync } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import { beforeAll, describe, expect, it } from 'vitest';
import { needsRehash, passwordHashing } from '../../server/src/identity/secrets.js';
import { addMember, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: passwords are hashed with a memory-hard function at current OWASP parameters (argon2id,
 * m=19456 KiB, t=2, p=1) and rehashed on sign-in when the parameters rise; hashes written before (scrypt)
 * still sign in and are rehashed then. An unknown email costs the same hash as a real account.
 */
let t: TestTally;
let org: OrgFixture;
const PASSWORD = 'correct horse battery';
const CURRENT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t, { projects: 1 });
});

async function signIn(email: string, password: string) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  return { status: res.statusCode, json: res.json() };
}

async function storedHash(userId: string): Promise<string | null> {
  const row = await t.deps.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.password_hash;
}

async function setStoredHash(userId: string, hash: string): Promise<void> {
  await t.deps.db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
}

/** The form the previous release wrote: scrypt N=2^14, r=8, p=1. */
function legacyScrypt(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt$16384$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

describe('password hashing', () => {
  it('stores new passwords as argon2id at OWASP parameters', async () => {
    const m = await addMember(t, org.id, 'org_member', [], PASSWORD);
    expect(await storedHash(m.id)).toMatch(CURRENT);
    expect((await signIn(m.email, PASSWORD)).status).toBe(200);
    expect((await signIn(m.email, 'not it')).status).toBe(401);
  });

  it('a scrypt hash of the previous release signs in and is replaced by argon2id; a wrong password changes nothing', async () => {
    const m = await addMember(t, org.id, 'org_member', [], PASSWORD);
    const legacy = legacyScrypt(PASSWORD);
    await setStoredHash(m.id, legacy);
    expect((await signIn(m.email, 'not it')).status).toBe(401);
    expect(await storedHash(m.id)).toBe(legacy);
    expect((await signIn(m.email, PASSWORD)).status).toBe(200);
    const rehashed = await storedHash(m.id);
    expect(rehashed).toMatch(CURRENT);
    // Signs in with the new hash, which is current and so kept as it is.
    expect((await signIn(m.email, PASSWORD)).status).toBe(200);
    expect(await storedHash(m.id)).toBe(rehashed);
  });

  it('an argon2id hash below the current parameters is rehashed at sign-in', async () => {
    const m = await addMember(t, org.id, 'org_member', [], PASSWORD);
    const weak = await argon2Hash(PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1, algorithm: 2 });
    expect(needsRehash(weak)).toBe(true);
    await setStoredHash(m.id, weak);
    expect((await signIn(m.email, PASSWORD)).status).toBe(200);
    const now = await storedHash(m.id);
    expect(now).toMatch(CURRENT);
    expect(needsRehash(now!)).toBe(false);
  });

  it('an unknown email and a user without a password cost one hash each, as a wrong password does', async () => {
    const m = await addMember(t, org.id, 'org_member', [], PASSWORD);
    const noPassword = await addMember(t, org.id, 'org_member');
    for (const email of [m.email, `nobody-${process.pid}@example.com`, noPassword.email]) {
      const before = passwordHashing.computed;
      const r = await signIn(email, 'a guess');
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('INVALID_CREDENTIALS');
      expect(passwordHashing.computed).toBe(before + 1);
    }
  });
});
