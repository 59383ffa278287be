import { type Config, loadConfig } from '../config.js';
import { connect, type Database$, DataDirLockedError } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { systemClock } from '../platform/clock.js';
import { type Catalog, defaultCatalog } from '../pricing/catalog.js';

export interface CliContext {
  config: Config;
  /** the database and how to close it (the CLI listens on no channel) */
  database: Pick<Database$, 'db' | 'engine' | 'close'>;
  catalog: Catalog;
  now: () => Date;
}

export class CliError extends Error {}

/**
 * The CLI works on the same database as the server, through the same code: DATABASE_URL (PostgreSQL) or
 * the embedded PGlite under TALLY_DATA_DIR. Migrations run first, as on server start.
 */
export async function openContext(env: NodeJS.ProcessEnv = process.env): Promise<CliContext> {
  const config = loadConfig(env, () => 'cli-has-no-operator-token');
  let database: Database$;
  try {
    database = await connect({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: 4,
      failoverWaitMs: config.dbFailoverWaitMs,
    });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      throw new CliError(
        `${err.message}\nThe embedded database allows one process at a time: stop the server (npm start) while ` +
          'the CLI runs, or run both against PostgreSQL with DATABASE_URL.',
      );
    }
    throw err;
  }
  await migrateToLatest(database.db);
  return { config, database, catalog: defaultCatalog, now: () => systemClock.now() };
}
