import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { connect } from '../../server/src/db/connect.js';
import { migrateToLatest } from '../../server/src/db/migrate.js';
import { freshDatabase, onPostgres, PG_URL } from '../harness.js';

/**
 * Migrations read only the current schema (server/src/db/dialect.ts): other sessions creating and dropping
 * schemas on the same server while a database migrates — what the test files running side by side do — never
 * make the migration fail.
 */
describe('the migrator’s introspection', () => {
  test('sees the tables of the current schema only', async () => {
    const database = await freshDatabase();
    try {
      await migrateToLatest(database.db);
      const tables = await database.db.introspection.getTables();
      const names = tables.map((t) => t.name);
      expect(names).toContain('orders');
      expect(names).toContain('kysely_migration');
      const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(database.db);
      expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([rows[0]!.s]));
      expect(await database.db.introspection.getSchemas()).toEqual([{ name: rows[0]!.s }]);
    } finally {
      await database.close();
    }
  });

  test.runIf(onPostgres)('a migration while other schemas are dropped beside it succeeds', async () => {
    const admin = new pg.Pool({ connectionString: PG_URL, max: 4 });
    const others = Array.from({ length: 24 }, () => `t_${randomBytes(6).toString('hex')}_other`);
    const mine = `t_${randomBytes(6).toString('hex')}`;
    try {
      for (const s of others) {
        await admin.query(`create schema ${s}`);
        for (let i = 0; i < 20; i++)
          await admin.query(`create table ${s}.t${i} (id serial primary key, v text)`);
      }
      await admin.query(`create schema ${mine}`);
      const database = await connect({ databaseUrl: PG_URL, schema: mine, poolSize: 2 });
      try {
        // The drops run while the migration reads the catalog.
        const drops = Promise.all(others.map((s) => admin.query(`drop schema ${s} cascade`)));
        await expect(migrateToLatest(database.db)).resolves.toBeUndefined();
        await drops;
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(
          database.db,
        );
        expect(rows[0]!.n).toBeGreaterThanOrEqual(13);
      } finally {
        await database.close();
      }
    } finally {
      for (const s of [...others, mine]) await admin.query(`drop schema if exists ${s} cascade`);
      await admin.end();
    }
  });
});
