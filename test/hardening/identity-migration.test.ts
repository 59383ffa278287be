import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database$ } from '../../server/src/db/connect.js';
import * as m0001 from '../../server/src/db/migrations/0001_core.js';
import * as m0002 from '../../server/src/db/migrations/0002_billing.js';
import * as m0003 from '../../server/src/db/migrations/0003_job_isolation.js';
import * as m0004 from '../../server/src/db/migrations/0004_identity.js';
import { freshDatabase } from '../harness.js';

/**
 * Migration 0004 gives every API key issued before it the org it was issued for: the org whose membership was
 * created at, or most recently before, the key (the member-adding transaction created both at one instant),
 * else the user's earliest later membership. A key of a user with no membership granted nothing and goes.
 */
let database: Database$;

beforeAll(async () => {
  database = await freshDatabase(2, { unmigrated: true });
  const db = database.db as never;
  await m0001.up(db);
  await m0002.up(db);
  await m0003.up(db);
  await sql
    .raw(`
insert into orgs (id, name, currency, time_zone, certified, remittance_code, created_at) values
  ('org_A', 'A', 'CNY', 'UTC', true, '100000001', '2026-01-01T00:00:00Z'),
  ('org_B', 'B', 'CNY', 'UTC', true, '100000002', '2026-01-01T00:00:00Z');
insert into users (id, email, password_hash, created_at) values
  ('usr_1', 'one@example.com', null, '2026-01-01T00:00:00Z'),
  ('usr_2', 'two@example.com', null, '2026-01-01T00:00:00Z'),
  ('usr_3', 'three@example.com', null, '2026-01-01T00:00:00Z');
insert into memberships (org_id, user_id, org_role, created_at) values
  ('org_A', 'usr_1', 'org_admin', '2026-01-02T00:00:00Z'),
  ('org_B', 'usr_1', 'org_member', '2026-01-03T00:00:00Z'),
  ('org_A', 'usr_2', 'org_member', '2026-01-05T00:00:00Z');
insert into api_keys (key_hash, user_id, prefix, created_at) values
  ('aaaa0001', 'usr_1', 'tly_a', '2026-01-02T00:00:00Z'),
  ('aaaa0002', 'usr_1', 'tly_b', '2026-01-03T00:00:00Z'),
  ('aaaa0003', 'usr_1', 'tly_c', '2026-01-04T00:00:00Z'),
  ('aaaa0004', 'usr_2', 'tly_d', '2026-01-04T00:00:00Z'),
  ('aaaa0005', 'usr_3', 'tly_e', '2026-01-04T00:00:00Z');
`)
    .execute(database.db);
  await m0004.up(db);
});

afterAll(async () => {
  await database?.close();
});

describe('migration 0004: keys of one org', () => {
  it('gives each existing key the org it was issued with', async () => {
    const rows = await database.db
      .selectFrom('api_keys')
      .select(['key_hash', 'org_id', 'id', 'name', 'revoked_at', 'last_used_at'])
      .orderBy('key_hash')
      .execute();
    expect(rows.map((r) => [r.key_hash, r.org_id])).toEqual([
      ['aaaa0001', 'org_A'], // issued with the membership of A
      ['aaaa0002', 'org_B'], // issued with the membership of B
      ['aaaa0003', 'org_B'], // the latest membership before it
      ['aaaa0004', 'org_A'], // before any membership: the earliest after it
    ]);
    for (const r of rows) {
      expect(r.id).toMatch(/^key_[0-9A-Z]+$/);
      expect(r).toMatchObject({ name: 'default', revoked_at: null, last_used_at: null });
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it('a key can only name an org its user belongs to', async () => {
    const insert = sql`insert into api_keys (key_hash, id, org_id, user_id, name, prefix, created_at)
      values ('bbbb0001', 'key_X', 'org_B', 'usr_2', 'x', 'tly_x', now())`.execute(database.db);
    await expect(insert).rejects.toThrow(/foreign key/);
  });
});
