import pg from 'pg';
import { databaseEvents } from '../platform/metrics.js';
import { preparedForm } from './prepared.js';

/**
 * Following the PostgreSQL primary through a failover (SPEC §7.4). `DATABASE_URL` may list several hosts as
 * libpq writes them (`postgres://user@h1:5432,h2:5432/tally?target_session_attrs=read-write`); node-postgres
 * takes one host only, so this module finds the node that accepts writes, keeps one pool on it, and when
 * that node goes away (shut down, demoted to a read-only standby, unreachable) drops the pool and looks for
 * the new primary. Callers wait for it up to a limit, then get DatabaseUnavailableError (503 with
 * Retry-After).
 */

export interface HostPort {
  host: string;
  port: number;
}

export interface DatabaseUrl {
  hosts: HostPort[];
  /** The connection string for one host: the same user, password, database and parameters. */
  urlFor(h: HostPort): string;
}

const SCHEME = /^(postgres(?:ql)?:\/\/)/i;

/**
 * Parses a PostgreSQL URL with one or several `host:port` pairs (libpq's syntax; an IPv6 address in
 * brackets). `target_session_attrs` may be read-write, primary or any: Tally writes, so it always connects
 * to the writable node; a value that asks for a standby is refused.
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const scheme = SCHEME.exec(url)?.[1];
  if (!scheme) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  const rest = url.slice(scheme.length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  let tail = end < 0 ? '' : rest.slice(end);
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? '' : authority.slice(0, at + 1);
  const hostList = at < 0 ? authority : authority.slice(at + 1);

  const q = tail.indexOf('?');
  if (q >= 0) {
    const hash = tail.indexOf('#', q);
    const path = tail.slice(0, q);
    const query = hash < 0 ? tail.slice(q + 1) : tail.slice(q + 1, hash);
    const kept: string[] = [];
    for (const part of query.split('&')) {
      if (!part) continue;
      const [k, v = ''] = part.split('=');
      if (k === 'target_session_attrs') {
        const want = decodeURIComponent(v);
        if (!['read-write', 'primary', 'any'].includes(want))
          throw new Error(
            `DATABASE_URL: target_session_attrs=${want} is not supported; Tally writes, so it connects to the primary (read-write)`,
          );
        continue;
      }
      kept.push(part);
    }
    tail = kept.length ? `${path}?${kept.join('&')}` : path;
  }

  const hosts = hostList.split(',').map((h): HostPort => {
    const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(h);
    if (v6) return { host: v6[1]!, port: Number(v6[2] || 5432) };
    const m = /^([^:]*)(?::(\d*))?$/.exec(h);
    if (!m) throw new Error(`DATABASE_URL: cannot read the host "${h}"`);
    return { host: m[1] || 'localhost', port: Number(m[2] || 5432) };
  });
  for (const h of hosts)
    if (!Number.isInteger(h.port) || h.port < 1 || h.port > 65535)
      throw new Error(`DATABASE_URL: invalid port for ${h.host}`);
  return {
    hosts,
    urlFor: (h) => `${scheme}${userinfo}${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}${tail}`,
  };
}

export const addressOf = (h: HostPort) =>
  h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;

/**
 * The database stayed away (no writable node found) for longer than the failover wait. Not an AppError: it is
 * never stored as an Idempotency-Key's answer, so the same key succeeds once the database is back.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(
    readonly retryAfterSeconds: number,
    readonly waitedMs: number,
  ) {
    super(
      `no writable PostgreSQL node was reachable within ${Math.round(waitedMs / 100) / 10} s; retry in ${retryAfterSeconds} s`,
    );
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * SQLSTATEs of a node that went away or cannot take writes: admin / crash shutdown (57P01, 57P02), not
 * accepting connections yet (57P03), a read-only transaction on a demoted primary (25006), connection
 * exceptions (08xxx).
 */
const FAILOVER_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '25006',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const FAILOVER_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const FAILOVER_MESSAGE =
  /Connection terminated|terminating connection|Client has encountered a connection error|Client was closed and is not queryable|Connection is not queryable|timeout expired|ECONNREFUSED|ECONNRESET/i;

/** Whether an error means that the node this connection was on is gone or no longer the primary. */
export function isFailoverError(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown[] } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && (FAILOVER_SQLSTATES.has(e.code) || FAILOVER_ERRNOS.has(e.code)))
    return true;
  // Node's AggregateError when every address of a host refused.
  if (Array.isArray(e.errors) && e.errors.some(isFailoverError)) return true;
  return typeof e.message === 'string' && FAILOVER_MESSAGE.test(e.message);
}

/**
 * What is known about the work an error interrupted:
 * - 'not-committed': it cannot have committed (failed before COMMIT, or a read); the whole command may run
 *   again on the new primary.
 * - 'claimed': the transaction's commit may or may not have happened, and it carried a statement marked
 *   RETRY_SAFE (the Idempotency-Key claim): run again, it replays its own stored answer if the first commit
 *   happened.
 * - 'autocommit': a write outside a transaction (a one-statement route, RouteSpec.oneStatement) whose outcome
 *   is unknown; such a statement is a compare-and-set, so its repetition finds its own result and says so.
 * - 'unknown': a transaction's commit with no such claim; running it again could do it twice.
 */
export type Interrupted = 'not-committed' | 'claimed' | 'autocommit' | 'unknown';
const INTERRUPTED = Symbol('tally.failover.interrupted');

/**
 * A comment a statement carries to say: its transaction may be repeated as a whole even when the outcome of
 * its COMMIT is unknown (the Idempotency-Key claim, whose second run finds the first one's answer).
 */
export const RETRY_SAFE = '/* tally:retry-safe */';

/** How a failover interrupted this error's work, or undefined when it was no failover. */
export function interruptedBy(err: unknown): Interrupted | undefined {
  return (err as { [INTERRUPTED]?: Interrupted } | null)?.[INTERRUPTED];
}

/** Whether a command that failed with this error may be run again as a whole on the new primary. */
export function retryableAfterFailover(err: unknown): boolean {
  const i = interruptedBy(err);
  return i !== undefined && i !== 'unknown';
}

function mark(err: unknown, how: Interrupted): void {
  if (err && typeof err === 'object') (err as { [INTERRUPTED]?: Interrupted })[INTERRUPTED] = how;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FailoverOptions {
  url: DatabaseUrl;
  /** settings for every pool and probe (size, type parsers, search_path) */
  poolConfig: pg.PoolConfig;
  /** How long a caller waits for a writable node before DatabaseUnavailableError. */
  waitMs: number;
  /** How long one probe of one node may take. */
  probeTimeoutMs?: number;
}

interface Primary {
  host: HostPort;
  pool: pg.Pool;
  /**
   * Rejects when the pool is dropped: callers queued for one of its clients move on to the new primary (an
   * ended pg.Pool never serves the callers still waiting in its queue).
   */
  dropped: Promise<never>;
  drop(): void;
}

type QueryFn = (...args: unknown[]) => unknown;

/** What a listener on a channel hears (FailoverPool.listen, and PGlite's own in db/connect.ts). */
export interface ChannelListener {
  /** listening, from now on (after `lost`: announcements in between were missed) */
  listening(): void;
  message(payload: string): void;
  /** not listening until the next `listening` */
  lost(): void;
}

export interface Subscription {
  /** settled once the first attempt to listen is over (listening, or trying again later) */
  started: Promise<void>;
  close(): Promise<void>;
}

/** The arguments of a read already repeated once after a failover (it is not repeated again). */
const REPEATED = new WeakSet<unknown[]>();

/** What the pool hands out: the client's query and release, with what a failover needs to know tracked. */
interface TrackedClient {
  query: QueryFn;
  release(destroy?: boolean | Error): void;
}

/**
 * A pg.Pool look-alike (connect and end, what Kysely's PostgresDialect uses) over one real pool on the current
 * primary. Every statement's failure is classified (isFailoverError); a failover error drops the pool, and the
 * next connect() finds the new primary. A read outside a transaction that failed this way is repeated once on
 * the new primary by itself; everything else is the caller's to repeat (http/app.ts runs a command again as a
 * whole when retryableAfterFailover says it may).
 */
export class FailoverPool {
  private primary: Primary | undefined;
  private previous: HostPort | undefined;
  private discovery: Promise<Primary> | undefined;
  /** when the last primary was lost (undefined: connected) */
  private outageSince: number | undefined;
  private ended = false;
  private readonly tracked = new WeakMap<pg.PoolClient, TrackedClient>();
  private readonly probeTimeoutMs: number;

  constructor(private readonly o: FailoverOptions) {
    this.probeTimeoutMs = o.probeTimeoutMs ?? 2_000;
  }

  /** The node the pool is on now, or undefined while a failover is in progress. */
  get current(): HostPort | undefined {
    return this.primary?.host;
  }

  async connect(): Promise<TrackedClient> {
    const started = Date.now();
    for (;;) {
      if (this.ended) throw new Error('Cannot use a pool after calling end on the pool');
      const p = this.primary ?? (await this.findPrimary(started));
      const pending = p.pool.connect();
      try {
        return this.track(await Promise.race([pending, p.dropped]), p);
      } catch (err) {
        // A client that arrives after the pool was dropped is not used.
        pending.then(
          (c) => c.release(true),
          () => {},
        );
        // A pool dropped meanwhile by another caller, or this node going away: look again, within the wait.
        if (this.primary === p && !isFailoverError(err)) throw err;
        this.lost(p);
        if (Date.now() - started >= this.o.waitMs) {
          mark(err, 'not-committed');
          throw err;
        }
      }
    }
  }

  async end(): Promise<void> {
    this.ended = true;
    const p = this.primary;
    this.primary = undefined;
    if (p) await p.pool.end();
  }

  /** The current pool is no longer on the primary: drop it (its checked-out clients end when released). */
  private lost(p: Primary): void {
    if (this.primary !== p) return;
    this.primary = undefined;
    this.previous = p.host;
    this.outageSince ??= Date.now();
    databaseEvents.poolsDropped++;
    p.drop();
    p.pool.end().catch(() => {});
  }

  /**
   * Waits for the writable node, found by one search shared by all callers. A caller waits until the wait
   * limit counted from the start of the outage (at least one short round, so a long outage answers quickly),
   * and never longer than the limit from its own start.
   */
  private async findPrimary(started: number): Promise<Primary> {
    const now = Date.now();
    const outage = this.outageSince ?? now;
    const deadline = Math.min(started + this.o.waitMs, Math.max(outage + this.o.waitMs, now + 2_000));
    for (;;) {
      this.discovery ??= this.discover().finally(() => {
        this.discovery = undefined;
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DatabaseUnavailableError(this.retryAfterSeconds(), Date.now() - outage)),
          Math.max(0, deadline - Date.now()),
        );
      });
      try {
        return await Promise.race([this.discovery, timeout]);
      } catch (err) {
        // A search begun for an earlier caller gave up before this caller's time is out: search again.
        if (!(err instanceof DatabaseUnavailableError) || Date.now() >= deadline - 50) throw err;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private retryAfterSeconds(): number {
    return Math.max(1, Math.min(5, Math.ceil(this.o.waitMs / 4000)));
  }

  /** Probes every node until one accepts writes, for at most the wait limit (then the next caller starts over). */
  private async discover(): Promise<Primary> {
    const begun = Date.now();
    this.outageSince ??= begun;
    for (let round = 0; ; round++) {
      const writable = await Promise.all(this.o.url.hosts.map((h) => this.isWritable(h)));
      const i = writable.indexOf(true);
      if (i >= 0 && !this.ended) {
        const host = this.o.url.hosts[i]!;
        const pool = this.newPool(host);
        let drop = () => {};
        const dropped = new Promise<never>((_, reject) => {
          drop = () => reject(new Error(`the pool on ${addressOf(host)} was dropped: the node went away`));
        });
        dropped.catch(() => {});
        const p: Primary = { host, pool, dropped, drop };
        this.primary = p;
        if (this.previous && addressOf(this.previous) !== addressOf(host)) databaseEvents.failovers++;
        this.outageSince = undefined;
        return p;
      }
      if (this.ended || Date.now() - begun >= this.o.waitMs)
        throw new DatabaseUnavailableError(this.retryAfterSeconds(), Date.now() - begun);
      // Often: a node is promoted within a second or two, and every round is two short connections.
      await sleep(Math.min(50 * 2 ** round, 250));
    }
  }

  /**
   * A node is the primary when a new session there is not read-only. pg_is_in_recovery() is not enough: a
   * node just promoted says false while it still refuses writes for a moment.
   */
  private async isWritable(h: HostPort): Promise<boolean> {
    const { max: _max, ...config } = this.o.poolConfig;
    const client = new pg.Client({
      ...config,
      connectionString: this.o.url.urlFor(h),
      connectionTimeoutMillis: this.probeTimeoutMs,
      query_timeout: this.probeTimeoutMs,
      application_name: 'tally-probe',
    });
    client.on('error', () => {});
    try {
      await client.connect();
      const r = await client.query<{ ro: string }>(`select current_setting('transaction_read_only') as ro`);
      return r.rows[0]?.ro === 'off';
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }

  private newPool(h: HostPort): pg.Pool {
    const pool = new pg.Pool({ ...this.o.poolConfig, connectionString: this.o.url.urlFor(h) });
    // A dropped connection (pg_terminate_backend, a restart) must not crash the process. An idle connection
    // that the node ends is a sign the node is going away: the next statement will tell.
    pool.on('error', () => {});
    // The pool's listener only covers idle clients. A connection dropped while checked out (between two
    // statements of a transaction) emits 'error' on its client, which would crash the process unheard; the
    // statement in flight still fails, and the pool discards the broken client when it is released.
    pool.on('connect', (client) => client.on('error', () => {}));
    return pool;
  }

  /**
   * The client as Kysely sees it (one wrapper per client, so Kysely's per-client connection is reused). It
   * follows BEGIN / COMMIT / ROLLBACK to know, when a statement fails, whether its work may have committed.
   */
  private track(client: pg.PoolClient, p: Primary): TrackedClient {
    const known = this.tracked.get(client);
    if (known) return known;
    const state = { inTx: false, commitSent: false, claimed: false };
    const raw = client.query.bind(client) as QueryFn;
    const wrapped: TrackedClient = {
      query: (...args: unknown[]) => {
        const first = args[0] as string | { text?: string } | undefined;
        const text = typeof first === 'string' ? first : (first?.text ?? '');
        const head = text.trimStart().slice(0, 20).toLowerCase();
        const isBegin = head.startsWith('begin') || head.startsWith('start transaction');
        const isEnd = head.startsWith('commit') || head.startsWith('rollback') || head.startsWith('end');
        if (isBegin) Object.assign(state, { inTx: true, commitSent: false, claimed: false });
        if (head.startsWith('commit') || head.startsWith('end')) state.commitSent = true;
        if (text.includes(RETRY_SAFE)) state.claimed = true;
        const isRead = !state.inTx && head.startsWith('select');
        const how: Interrupted = state.inTx
          ? state.commitSent
            ? state.claimed
              ? 'claimed'
              : 'unknown'
            : 'not-committed'
          : isBegin || isRead
            ? 'not-committed'
            : 'autocommit';
        const result = raw(...preparedForm(args));
        if (!result || typeof (result as Promise<unknown>).then !== 'function') return result;
        return (result as Promise<unknown>).then(
          (ok) => {
            if (isEnd) state.inTx = false;
            return ok;
          },
          (err: unknown) => {
            if (isEnd) state.inTx = false;
            if (!isFailoverError(err)) throw err;
            mark(err, how);
            this.lost(p);
            // A read outside a transaction is repeated on the new primary at once (nothing it did can count).
            if (isRead && typeof first === 'string' && !this.ended && !REPEATED.has(args)) {
              databaseEvents.readRetries++;
              return this.queryOnce(args);
            }
            throw err;
          },
        );
      },
      release: (destroy?: boolean | Error) => client.release(destroy),
    };
    this.tracked.set(client, wrapped);
    return wrapped;
  }

  /**
   * Listens on a channel over a connection of its own to the primary (NOTIFY is heard only on the node where
   * it was committed). When that connection is lost, or the pool has moved to another node, the listener hears
   * `lost`, and `listening` again once a new connection listens (announcements in between are missed: the
   * caller starts over). Connecting again waits 250 ms, doubling up to 5 s.
   */
  listen(channel: string, listener: ChannelListener): Subscription {
    let closed = false;
    let client: pg.Client | undefined;
    let on: HostPort | undefined;
    let timer: NodeJS.Timeout | undefined;
    let delay = 250;
    const { max: _max, ...config } = this.o.poolConfig;
    const lose = (c: pg.Client) => {
      if (client !== c) return;
      client = undefined;
      listener.lost();
      c.end().catch(() => {});
      retry();
    };
    const retry = () => {
      if (closed || this.ended) return;
      clearTimeout(timer);
      timer = setTimeout(start, delay);
      delay = Math.min(delay * 2, 5_000);
    };
    const start = async () => {
      if (closed || this.ended) return;
      let c: pg.Client | undefined;
      try {
        const primary = this.primary ?? (await this.findPrimary(Date.now()));
        c = new pg.Client({
          ...config,
          connectionString: this.o.url.urlFor(primary.host),
          application_name: 'tally-listen',
        });
        const mine = c;
        mine.on('error', () => lose(mine));
        mine.on('end', () => lose(mine));
        mine.on('notification', (m) => {
          if (m.channel === channel) listener.message(m.payload ?? '');
        });
        await mine.connect();
        await mine.query(`listen ${pg.escapeIdentifier(channel)}`);
        if (closed) {
          await mine.end();
          return;
        }
        client = mine;
        on = primary.host;
        delay = 250;
        listener.listening();
      } catch {
        c?.end().catch(() => {});
        retry();
      }
    };
    // The pool may find a new primary while this connection stays up on the old node: follow it.
    const follow = setInterval(() => {
      const now = this.primary?.host;
      if (client && on && now && addressOf(now) !== addressOf(on)) lose(client);
    }, 2_000);
    follow.unref();
    return {
      started: start(),
      close: async () => {
        closed = true;
        clearTimeout(timer);
        clearInterval(follow);
        const c = client;
        client = undefined;
        await c?.end().catch(() => {});
      },
    };
  }

  private async queryOnce(args: unknown[]): Promise<unknown> {
    REPEATED.add(args);
    const c = await this.connect();
    let broken: Error | undefined;
    try {
      return await (c.query(...args) as Promise<unknown>);
    } catch (err) {
      broken = isFailoverError(err) ? (err as Error) : undefined;
      throw err;
    } finally {
      c.release(broken);
    }
  }
}
