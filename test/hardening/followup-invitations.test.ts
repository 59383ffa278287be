import { beforeAll, describe, expect, it } from 'vitest';
import { hashingGate } from '../../server/src/identity/sign-in-hashing-gate.js';
import { api, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * Accepting an invitation hashes the password through the same per-process gate as sign-in: when the gate
 * is full the answer is 503 UNAVAILABLE and nothing changes; the link still works afterwards.
 */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

async function invite(address: string) {
  const r = await api(t, 'POST', `/v1/internal/orgs/${org.id}/members`, {
    auth: t.op,
    body: { email: address, orgRole: 'org_member' },
  });
  expect(r.status, r.body).toBe(201);
  return String(r.json.invitation.url).split('/invite/')[1]!;
}

describe('invitation accept and the hashing gate', () => {
  it('is 503 while the gate is full, changes nothing, and works once the gate frees', async () => {
    const address = `gate-${process.pid}@example.com`;
    const token = await invite(address);

    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const fillers: Promise<unknown>[] = [];
    for (let i = 0; i < hashingGate.concurrency + hashingGate.maxQueued; i++) {
      fillers.push(hashingGate.run(() => held));
    }
    try {
      const busy = await api(t, 'POST', `/v1/invitations/${token}/accept`, {
        body: { password: 'correct horse battery' },
      });
      expect(busy.status, busy.body).toBe(503);
      expect(busy.json.error.code).toBe('UNAVAILABLE');
      const user = await t.deps.db
        .selectFrom('users')
        .select('password_hash')
        .where('email', '=', address)
        .executeTakeFirstOrThrow();
      expect(user.password_hash).toBeNull();
    } finally {
      release();
      await Promise.all(fillers);
    }

    const ok = await api(t, 'POST', `/v1/invitations/${token}/accept`, {
      body: { password: 'correct horse battery' },
    });
    expect(ok.status, ok.body).toBe(200);
    const login = await api(t, 'POST', '/v1/auth/login', {
      body: { email: address, password: 'correct horse battery' },
    });
    expect(login.status).toBe(200);
  });
});
