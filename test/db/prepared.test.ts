import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database$ } from '../../server/src/db/connect.js';
import { PREPARED, preparedForm } from '../../server/src/db/prepared.js';
import { freshDatabase } from '../harness.js';

describe('a statement marked PREPARED', () => {
  test('is sent as a named statement, named by its text, with its values; any other statement as it is', () => {
    const text = `select $1::int + 1 as n ${PREPARED}`;
    const [a] = preparedForm([text, [1]]) as [{ name: string; text: string; values: unknown[] }];
    const [b] = preparedForm([text, [2]]) as [{ name: string; text: string; values: unknown[] }];
    expect(a).toEqual({ name: expect.stringMatching(/^tally_[0-9a-f]{24}$/), text, values: [1] });
    expect(b.name).toBe(a.name);
    expect(b.values).toEqual([2]);
    const [other] = preparedForm([`select $1::int + 2 as n ${PREPARED}`, [1]]) as [{ name: string }];
    expect(other.name).not.toBe(a.name);
    const plain = ['select 1', []];
    expect(preparedForm(plain)).toBe(plain);
  });
});

describe('on the database', () => {
  let database: Database$;
  beforeAll(async () => {
    // One connection: every statement below runs on it, so its prepared statements are visible.
    database = await freshDatabase(1);
  });
  afterAll(() => database.close());

  const prepared = async () =>
    (
      await sql<{
        statement: string;
      }>`select statement from pg_prepared_statements order by statement`.execute(database.db)
    ).rows.map((r) => r.statement);

  test('is prepared once per connection and answers each execution for its own values', async () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7]) {
      const r = await sql<{ n: number }>`select ${n}::int * 10 as n ${sql.raw(PREPARED)}`.execute(
        database.db,
      );
      expect(r.rows).toEqual([{ n: n * 10 }]);
    }
    await sql`select 42 as unmarked`.execute(database.db);
    const statements = await prepared();
    expect(statements.filter((s) => s.includes('* 10 as n'))).toHaveLength(1);
    expect(statements.some((s) => s.includes('unmarked'))).toBe(false);
  });

  test('runs inside a transaction too, and a failed one leaves the connection usable', async () => {
    await database.db.transaction().execute(async (tx) => {
      const r = await sql<{ n: number }>`select ${5}::int * 10 as n ${sql.raw(PREPARED)}`.execute(tx);
      expect(r.rows).toEqual([{ n: 50 }]);
    });
    await expect(sql`select 1 / ${0}::int as n ${sql.raw(PREPARED)}`.execute(database.db)).rejects.toThrow(
      /division by zero/,
    );
    const r = await sql<{ n: number }>`select 1 / ${1}::int as n ${sql.raw(PREPARED)}`.execute(database.db);
    expect(r.rows).toEqual([{ n: 1 }]);
  });
});
