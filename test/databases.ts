import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** One statement on the server `adminUrl` names, on a connection of its own. */
async function onServer(adminUrl: string, text: string, values: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(text, values);
  } finally {
    await c.end();
  }
}

/**
 * A new, empty database of its own (`${prefix}_<random>`) on the PostgreSQL server `adminUrl` names, for a test's
 * server processes (the reliability suite, the browser tests): its name, its URL, and how to drop it (ending the
 * sessions still on it).
 */
export async function createDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await onServer(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      await onServer(
        adminUrl,
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      await onServer(adminUrl, `drop database if exists ${name}`);
    },
  };
}
