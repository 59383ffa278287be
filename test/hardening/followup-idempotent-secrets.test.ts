import { beforeAll, describe, expect, it } from 'vitest';
import { api, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * An answer that carries a secret (an API key, an invitation link) is never kept in the idempotency store:
 * the key's row holds only 409 IDEMPOTENT_REPLAY_UNAVAILABLE, which is what a replay answers.
 */
let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const stored = async (key: string) =>
  t.deps.db
    .selectFrom('idempotency_keys')
    .select(['status_code', 'response'])
    .where('key', '=', key)
    .execute();

describe('secrets and Idempotency-Key', () => {
  it('a created API key is answered once; the stored row and the replay carry no secret', async () => {
    const key = `secret-key-${process.pid}`;
    const url = `/v1/orgs/${org.id}/api-keys`;
    const first = await api(t, 'POST', url, {
      auth: org.admin.auth,
      body: { name: 'ci' },
      headers: { 'idempotency-key': key },
    });
    expect(first.status, first.body).toBe(201);
    const secret = first.json.secret ?? first.json.key ?? first.json.apiKey;
    expect(typeof secret).toBe('string');
    const rows = await stored(key);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.response ?? '').not.toContain(secret);
    expect(rows[0]!.status_code).toBe(409);

    const replay = await api(t, 'POST', url, {
      auth: org.admin.auth,
      body: { name: 'ci' },
      headers: { 'idempotency-key': key },
    });
    expect(replay.status).toBe(409);
    expect(replay.json.error.code).toBe('IDEMPOTENT_REPLAY_UNAVAILABLE');
    expect(replay.body).not.toContain(secret);
  });

  it('an added member’s API key and invitation link are not stored', async () => {
    const key = `secret-member-${process.pid}`;
    const url = `/v1/internal/orgs/${org.id}/members`;
    const body = { email: `secret-${process.pid}@example.com`, orgRole: 'org_member' };
    const first = await api(t, 'POST', url, { auth: t.op, body, headers: { 'idempotency-key': key } });
    expect(first.status, first.body).toBe(201);
    const token = String(first.json.invitation.url).split('/invite/')[1]!;
    expect(token.length).toBeGreaterThan(10);
    const rows = await stored(key);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.response ?? '').not.toContain(token);
    if (first.json.apiKey) expect(rows[0]!.response ?? '').not.toContain(String(first.json.apiKey));
    const replay = await api(t, 'POST', url, { auth: t.op, body, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(409);
    expect(replay.json.error.code).toBe('IDEMPOTENT_REPLAY_UNAVAILABLE');
  });
});
