import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcp } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testConfig } from '../../server/src/config.js';
import { connect, type Database$, databaseRole } from '../../server/src/db/connect.js';
import {
  DatabaseUnavailableError,
  interruptedBy,
  isFailoverError,
  parseDatabaseUrl,
  retryableAfterFailover,
} from '../../server/src/db/failover.js';
import { toHttpError } from '../../server/src/http/errors.js';
import { createTally, type Tally } from '../../server/src/server.js';
import { onPostgres, PG_URL } from '../harness.js';

describe('a multi-host DATABASE_URL (libpq syntax)', () => {
  test('lists every host with its port, and keeps user, password, database and parameters for each', () => {
    const u = parseDatabaseUrl(
      'postgres://tally:s%40cret@db1:5433,db2,[::1]:6000/billing?sslmode=disable&target_session_attrs=read-write',
    );
    expect(u.hosts).toEqual([
      { host: 'db1', port: 5433 },
      { host: 'db2', port: 5432 },
      { host: '::1', port: 6000 },
    ]);
    expect(u.urlFor(u.hosts[0]!)).toBe('postgres://tally:s%40cret@db1:5433/billing?sslmode=disable');
    expect(u.urlFor(u.hosts[2]!)).toBe('postgres://tally:s%40cret@[::1]:6000/billing?sslmode=disable');
    const one = parseDatabaseUrl('postgresql://localhost/test');
    expect(one.hosts).toEqual([{ host: 'localhost', port: 5432 }]);
    expect(one.urlFor(one.hosts[0]!)).toBe('postgresql://localhost:5432/test');
  });

  test('refuses a target_session_attrs that asks for a standby, and a port that is not one', () => {
    expect(() => parseDatabaseUrl('postgres://h1,h2/db?target_session_attrs=read-only')).toThrow(
      /target_session_attrs=read-only/,
    );
    expect(() => parseDatabaseUrl('postgres://h1:99999/db')).toThrow(/invalid port/);
    expect(() => parseDatabaseUrl('mysql://h1/db')).toThrow(/postgres:\/\//);
    expect(parseDatabaseUrl('postgres://h1,h2/db?target_session_attrs=primary').hosts).toHaveLength(2);
  });

  test('failover errors are told apart from others; only work that cannot be done twice is run again', () => {
    expect(isFailoverError(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true);
    expect(isFailoverError(Object.assign(new Error('read-only'), { code: '25006' }))).toBe(true);
    expect(isFailoverError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isFailoverError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isFailoverError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isFailoverError(new DatabaseUnavailableError(5, 20_000))).toBe(false);
    // Not marked by the pool (no statement was interrupted): not run again.
    expect(retryableAfterFailover(Object.assign(new Error('x'), { code: '57P01' }))).toBe(false);
  });

  test('DATABASE_UNAVAILABLE is a 503 with Retry-After', () => {
    const h = toHttpError(new DatabaseUnavailableError(5, 20_000));
    expect(h.status).toBe(503);
    expect(h.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(h.body.error.details).toEqual({ retryAfterSeconds: 5 });
    expect(h.headers).toEqual({ 'retry-after': '5' });
  });
});

/**
 * A stand-in for a PostgreSQL node in front of the test server: a TCP proxy on a local port that is either the
 * primary (passes sessions through), a read-only standby (every session it passes starts with
 * default_transaction_read_only, as on a hot standby) or down (the port is closed). `kill()` ends every
 * connection through it, as a node's shutdown does.
 */
class FakeNode {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    public mode: 'primary' | 'read-only' | 'down',
  ) {}

  async start(): Promise<void> {
    if (this.mode === 'down' || this.server) return;
    const upstream = new URL(PG_URL);
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => {});
      const readOnly = this.mode === 'read-only';
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        if (head.length < 4 || head.length < head.readInt32BE(0)) return;
        client.off('data', onData);
        const server = tcp(Number(upstream.port || 5432), upstream.hostname);
        this.sockets.add(server);
        server.on('close', () => this.sockets.delete(server));
        server.on('error', () => client.destroy());
        client.on('close', () => server.destroy());
        server.on('close', () => client.destroy());
        server.write(readOnly ? readOnlyStartup(head) : head);
        client.pipe(server);
        server.pipe(client);
      };
      client.on('data', onData);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  /** Ends every session through this node (a shutdown), and takes its new role. */
  async become(mode: 'primary' | 'read-only' | 'down'): Promise<void> {
    this.mode = mode;
    for (const s of this.sockets) s.destroy();
    if (mode === 'down' && this.server) {
      const s = this.server;
      this.server = undefined;
      await new Promise<void>((r) => s.close(() => r()));
    }
    await this.start();
  }

  async stop(): Promise<void> {
    await this.become('down');
  }
}

/** The startup message with `-c default_transaction_read_only=on` added to its options. */
function readOnlyStartup(msg: Buffer): Buffer {
  const len = msg.readInt32BE(0);
  const protocol = msg.readInt32BE(4);
  const parts = msg
    .subarray(8, len - 1)
    .toString('utf8')
    .split('\0');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length; i += 2) params.set(parts[i]!, parts[i + 1]!);
  params.set('options', `${params.get('options') ?? ''} -c default_transaction_read_only=on`.trim());
  const body = Buffer.from(`${[...params].map(([k, v]) => `${k}\0${v}\0`).join('')}\0`, 'utf8');
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(8 + body.length, 0);
  out.writeInt32BE(protocol, 4);
  body.copy(out, 8);
  return Buffer.concat([out, msg.subarray(len)]);
}

describe.runIf(onPostgres)('following the writable node (PostgreSQL)', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const ports = [19870, 19871, 19872];
  const nodes: FakeNode[] = [];
  const opened: Database$[] = [];
  const closedPort = ports[2]!;
  const hostsUrl = (list: number[]) => {
    const u = new URL(PG_URL);
    return `postgres://${u.username}${u.password ? `:${u.password}` : ''}@${list
      .map((p) => `127.0.0.1:${p}`)
      .join(',')}${u.pathname}?target_session_attrs=read-write`;
  };
  const open = async (list: number[], failoverWaitMs = 20_000) => {
    const d = await connect({ databaseUrl: hostsUrl(list), schema, poolSize: 4, failoverWaitMs });
    opened.push(d);
    return d;
  };

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.query(`create table ${schema}.t (id int primary key)`);
    await admin.end();
  });
  afterAll(async () => {
    for (const d of opened) await d.close().catch(() => {});
    for (const n of nodes) await n.stop();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  });

  const node = async (port: number, mode: 'primary' | 'read-only' | 'down') => {
    const n = new FakeNode(port, mode);
    nodes.push(n);
    await n.start();
    return n;
  };

  test('skips a first host that is a read-only standby, and one whose port is closed', async () => {
    const a = await node(ports[0]!, 'read-only');
    const b = await node(ports[1]!, 'primary');
    const d = await open([closedPort, a.port, b.port]);
    await sql`insert into t values (1)`.execute(d.db);
    expect(databaseRole(d.db)).toEqual({ role: 'primary', address: `127.0.0.1:${b.port}` });
    await a.stop();
    await b.stop();
  });

  test('follows a failover: the old primary turns read-only, the standby is promoted', async () => {
    const a = await node(ports[0]!, 'primary');
    const b = await node(ports[1]!, 'read-only');
    const d = await open([a.port, b.port]);
    await sql`insert into t values (2)`.execute(d.db);
    expect(databaseRole(d.db)).toEqual({ role: 'primary', address: `127.0.0.1:${a.port}` });

    // A transaction is cut by the shutdown: its error says it cannot have committed, so it may run again.
    const cut = await d.db
      .transaction()
      .execute(async (tx) => {
        await sql`insert into t values (3)`.execute(tx);
        await a.become('read-only');
        await b.become('primary');
        await sql`insert into t values (4)`.execute(tx);
      })
      .catch((err: unknown) => err);
    expect(isFailoverError(cut)).toBe(true);
    expect(interruptedBy(cut)).toBe('not-committed');
    expect(retryableAfterFailover(cut)).toBe(true);

    // Run again, it lands on the new primary.
    await d.db.transaction().execute(async (tx) => {
      await sql`insert into t values (3)`.execute(tx);
      await sql`insert into t values (4)`.execute(tx);
    });
    expect(databaseRole(d.db)).toEqual({ role: 'primary', address: `127.0.0.1:${b.port}` });
    // A read cut by a failover (the node shuts down under it) is repeated on the new primary by itself.
    const read = sql<{
      n: number;
    }>`select count(*)::int as n from t, pg_sleep(0.5) where id in (3, 4)`.execute(d.db);
    await new Promise((r) => setTimeout(r, 150));
    await a.become('primary');
    await b.become('down');
    expect((await read).rows[0]!.n).toBe(2);
    expect(databaseRole(d.db)).toEqual({ role: 'primary', address: `127.0.0.1:${a.port}` });
    await a.stop();
    await b.stop();
  });

  test('a database away longer than the limit: 503 DATABASE_UNAVAILABLE with Retry-After, then back by itself', async () => {
    const a = await node(ports[0]!, 'primary');
    const b = await node(ports[1]!, 'read-only');
    const d = await connect({
      databaseUrl: hostsUrl([a.port, b.port]),
      schema: `${schema}_app`,
      poolSize: 4,
      failoverWaitMs: 1_500,
    });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}_app`);
    await admin.end();
    let tally: Tally | undefined;
    try {
      tally = await createTally({ config: testConfig(), database: d });
      const ask = () =>
        tally!.app.inject({
          method: 'GET',
          url: '/v1/internal/bank-transfers/unmatched',
          headers: { authorization: `Bearer ${tally!.deps.config.operatorToken}` },
        });
      expect((await ask()).statusCode).toBe(200);
      expect((await tally.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
        status: 'ok',
        database: { role: 'primary', address: `127.0.0.1:${a.port}` },
      });

      await a.become('down');
      const t0 = Date.now();
      const res = await ask();
      const waited = Date.now() - t0;
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('DATABASE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('1');
      expect(waited).toBeGreaterThanOrEqual(1_000);
      expect(waited).toBeLessThan(6_000);
      expect((await tally.app.inject({ method: 'GET', url: '/healthz' })).json().database).toEqual({
        role: 'searching',
      });

      // The standby is promoted: the next request is served without a restart.
      await b.become('primary');
      const back = await ask();
      expect(back.statusCode, back.body).toBe(200);
      expect((await tally.app.inject({ method: 'GET', url: '/healthz' })).json().database).toEqual({
        role: 'primary',
        address: `127.0.0.1:${b.port}`,
      });
    } finally {
      await tally?.close();
      await d.close();
      await a.stop();
      await b.stop();
      const a2 = new pg.Client({ connectionString: PG_URL });
      await a2.connect();
      await a2.query(`drop schema ${schema}_app cascade`);
      await a2.end();
    }
  });
});
