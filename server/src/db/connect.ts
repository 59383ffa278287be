import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely } from 'kysely';
import pg from 'pg';
import { parseInt8 } from '../platform/money.js';
import { TallyPostgresDialect } from './dialect.js';
import {
  addressOf,
  type ChannelListener,
  FailoverPool,
  parseDatabaseUrl,
  type Subscription,
} from './failover.js';
import { preparedForm } from './prepared.js';
import type { Database, Db } from './schema.js';

/** int8 (OID 20) to a checked safe integer; everything else as pg parses it. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return parseInt8;
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads do not narrow on format
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

export interface Database$ {
  db: Db;
  engine: 'postgres' | 'pglite';
  close(): Promise<void>;
  /** Listens on a channel for NOTIFY (PostgreSQL: over a connection of its own to the primary). */
  listen(channel: string, listener: ChannelListener): Subscription;
  /** PGlite only: the data directory as a tarball, which `loadDataDir` restores (tests' migrated template). */
  dumpDataDir?: () => Promise<Blob>;
}

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  /** PGlite data directory; 'memory://' for an in-memory database. */
  dataDir?: string;
  poolSize?: number;
  /** PostgreSQL only: a schema to use instead of public (tests isolate each file in its own schema). */
  schema?: string;
  /** Restore a PGlite database from a dump (tests reuse one migrated template). */
  loadDataDir?: Blob | File;
  /**
   * PostgreSQL only: how long a statement waits for a writable node while the primary is away (a restart, a
   * failover) before DATABASE_UNAVAILABLE. Default 20 s.
   */
  failoverWaitMs?: number;
}

/** The database a Db is connected to, as /healthz reports it. */
export type DatabaseRole =
  | { role: 'embedded' }
  | { role: 'primary'; address: string }
  /** the primary was lost and the new one is not found yet */
  | { role: 'searching' };

const failoverPools = new WeakMap<Db, FailoverPool>();

/** Which node the database handle is on now: the primary's host:port, 'embedded' (PGlite), or searching. */
export function databaseRole(db: Db): DatabaseRole {
  const pool = failoverPools.get(db);
  if (!pool) return { role: 'embedded' };
  const at = pool.current;
  return at ? { role: 'primary', address: addressOf(at) } : { role: 'searching' };
}

export async function connect(opts: ConnectOptions): Promise<Database$> {
  if (opts.databaseUrl) {
    // One host or several (libpq's syntax): the pool follows the writable node (server/src/db/failover.ts).
    const pool = new FailoverPool({
      url: parseDatabaseUrl(opts.databaseUrl),
      poolConfig: {
        max: opts.poolSize ?? 20,
        types,
        keepAlive: true,
        ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
      },
      waitMs: opts.failoverWaitMs ?? 20_000,
    });
    // biome-ignore lint/suspicious/noExplicitAny: a pg.Pool look-alike (connect, end) is what the dialect calls
    const db = new Kysely<Database>({ dialect: new TallyPostgresDialect({ pool: pool as any }) });
    failoverPools.set(db, pool);
    return {
      db,
      engine: 'postgres',
      listen: (channel, listener) => pool.listen(channel, listener),
      close: () => db.destroy(),
    };
  }
  const dataDir = opts.dataDir ?? './data';
  const inMemory = dataDir.startsWith('memory://');
  const release = inMemory ? () => {} : lockDataDir(dataDir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    const pglite = await PGlite.create(inMemory ? undefined : resolve(dataDir, 'pg'), {
      loadDataDir: opts.loadDataDir,
    });
    // PGlite serves one connection: a pool of exactly one (a larger pool corrupts the protocol stream).
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, types });
    // The hot statements run prepared here too (db/prepared.ts): the WASM engine plans as slowly as it executes.
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => query(...preparedForm(args));
    });
    const db = new Kysely<Database>({ dialect: new TallyPostgresDialect({ pool }) });
    return {
      db,
      engine: 'pglite',
      listen: (channel, listener) => listenOnPglite(pglite, channel, listener),
      dumpDataDir: () => pglite.dumpDataDir('none'),
      close: async () => {
        await db.destroy();
        await pglite.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * PGlite's own LISTEN (its one connection hears every NOTIFY committed in the process). Called when nothing
 * else is running on the connection (at start): a LISTEN inside another caller's transaction would end with it.
 */
function listenOnPglite(
  pglite: import('@electric-sql/pglite').PGlite,
  channel: string,
  listener: ChannelListener,
): Subscription {
  let closed = false;
  const started = pglite
    .listen(channel, (payload) => listener.message(payload))
    .then(
      (unlisten) => {
        if (!closed) listener.listening();
        return unlisten;
      },
      () => undefined,
    );
  return {
    started: started.then(() => {}),
    close: async () => {
      closed = true;
      const unlisten = await started;
      if (!pglite.closed) await unlisten?.().catch(() => {});
    },
  };
}

/**
 * Two processes on one PGlite directory silently lose data, so the first one holds a lock file and a
 * second is refused. A lock left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, 'tally.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(resolve(dataDir), pid);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `the embedded database at ${dir} is in use by another Tally process (pid ${pid}). ` +
        'Stop that process, or set TALLY_DATA_DIR to another directory, or use DATABASE_URL for PostgreSQL.',
    );
    this.name = 'DataDirLockedError';
  }
}
