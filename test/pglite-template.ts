import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../server/src/db/connect.js';
import { migrateToLatest } from '../server/src/db/migrate.js';

const MIGRATIONS_DIR = new URL('../server/src/db/migrations/', import.meta.url);
let template: Promise<Blob> | undefined;

/**
 * A migrated PGlite database as a tarball, made once and kept in test-output/ under a name that changes with the
 * migrations and PGlite's version: a new in-memory PGlite runs initdb and every migration (seconds each time),
 * restoring this copy takes a fraction of that. Files racing to write it each write a whole copy and rename it.
 */
export function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const hash = createHash('sha256');
    hash.update(readFileSync(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url)));
    for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
      hash.update(name);
      hash.update(readFileSync(new URL(name, MIGRATIONS_DIR)));
    }
    const file = join('test-output', `pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const database = await connect({ dataDir: 'memory://' });
    try {
      await migrateToLatest(database.db);
      const dump = await database.dumpDataDir!();
      mkdirSync('test-output', { recursive: true });
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
      renameSync(tmp, file);
      return dump;
    } finally {
      await database.close();
    }
  })();
  return template;
}

/** vitest globalSetup of the PGlite project: the template is made once, before the test files start. */
export default async function setup(): Promise<void> {
  await pgliteTemplate();
}
