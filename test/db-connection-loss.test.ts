import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { freshDatabase, onPostgres, PG_URL } from './harness.js';

/**
 * Found by the reliability suite (pg_terminate_backend in the middle of a pay storm): a PostgreSQL connection
 * terminated while a transaction held it, between two statements, emitted an unhandled 'error' and the whole
 * server process crashed. It must only fail that transaction, and the pool must serve the next one.
 */
describe.runIf(onPostgres)('a database connection dropped in the middle of a transaction', () => {
  const admin = new pg.Client({ connectionString: PG_URL });
  afterAll(async () => {
    await admin.end();
  });

  test('fails that transaction only; the process survives and the next query succeeds', async () => {
    await admin.connect();
    const database = await freshDatabase(2);
    try {
      const outcome = await database.db
        .transaction()
        .execute(async (tx) => {
          const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0]!.pid;
          await admin.query('select pg_terminate_backend($1)', [pid]);
          // The termination arrives while this transaction is idle between statements.
          await new Promise((r) => setTimeout(r, 300));
          await sql`select 1`.execute(tx);
          return 'committed';
        })
        .catch(() => 'failed');
      expect(outcome).toBe('failed');
      const again = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      expect(again.rows[0]!.one).toBe(1);
    } finally {
      await database.close();
    }
  });
});
