import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A pg_auto_failover formation on this machine for the failover test: a monitor and two PostgreSQL nodes
 * (a primary and a synchronous standby) on free localhost ports in a temporary directory, run as the
 * `postgres` OS user when the test runs as root (pg_autoctl refuses root). Debian: postgresql-15-auto-failover.
 * Everything it starts is stopped and its directory removed by stop(), also when the test process exits.
 */

const PG_BIN = [
  '/usr/lib/postgresql/15/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/17/bin',
].find((d) => existsSync(join(d, 'pg_ctl')));

/** Why a formation cannot be made on this machine, or undefined when it can. */
export function formationUnavailable(): string | undefined {
  if (!PG_BIN) return 'PostgreSQL server binaries (pg_ctl) are not installed';
  try {
    execFileSync('pg_autoctl', ['--version'], { stdio: 'ignore', env: pathEnv() });
  } catch {
    return 'pg_autoctl is not installed (Debian: apt-get install postgresql-15-auto-failover)';
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no `postgres` user to run pg_autoctl as';
    }
  }
  return undefined;
}

function pathEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${PG_BIN ?? ''}:${process.env.PATH ?? ''}`, ...extra };
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `count` free ports in [from, to]. */
async function freePorts(count: number, from: number, to: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = from; p <= to && out.length < count; p++) if (await portFree(p)) out.push(p);
  if (out.length < count) throw new Error(`not enough free ports in ${from}-${to}`);
  return out;
}

export interface NodeInfo {
  name: string;
  port: number;
  reportedState: string;
  goalState: string;
}

export interface Formation {
  /** The multi-host connection string Tally uses (libpq syntax). */
  url: string;
  monitorUrl: string;
  nodes: { name: string; port: number }[];
  /** The nodes as the monitor sees them. */
  state(): Promise<NodeInfo[]>;
  /** Waits until one node is primary and the other secondary (both reported and assigned). */
  waitHealthy(timeoutMs?: number): Promise<NodeInfo>;
  /** `pg_autoctl perform switchover`: the standby becomes the primary; resolves when it is done. */
  switchover(): Promise<void>;
  /** kill -9 of a node's keeper and PostgreSQL (its whole process group and its postmaster). */
  crash(name: string): Promise<void>;
  /** The connection string of one node's database. */
  urlOf(port: number): string;
  stop(): Promise<void>;
}

const MONITOR_SETTINGS: Record<string, number> = {
  // Lowered from 5 s / 5 s / 2 s / 2 / 20 s / 30 s so that a crashed primary is replaced in seconds.
  'pgautofailover.health_check_period': 1000,
  'pgautofailover.health_check_timeout': 1000,
  'pgautofailover.health_check_retry_delay': 500,
  'pgautofailover.health_check_max_retries': 1,
  'pgautofailover.node_considered_unhealthy_timeout': 3000,
  'pgautofailover.primary_demote_timeout': 3000,
};

export async function startFormation(opts: {
  ports: [number, number];
  dbname: string;
  log: (line: string) => void;
}): Promise<Formation> {
  const root = process.getuid?.() === 0;
  const uid = root ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
  const gid = root ? Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tally-formation-'));
  if (root) chownSync(dir, uid!, gid!);
  const env = pathEnv({ XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), HOME: dir });
  const [monPort, ...nodePorts] = await freePorts(3, opts.ports[0], opts.ports[1]);
  const monitorUrl = `postgres://autoctl_node@127.0.0.1:${monPort}/pg_auto_failover?sslmode=disable`;
  const runs: { name: string; child: ChildProcess; pgdata: string }[] = [];
  const logs: Record<string, string> = {};

  /** Runs pg_autoctl to completion (as postgres when root). */
  const autoctl = (args: string[], what: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('pg_autoctl', args, { env, cwd: dir, uid, gid, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
      });
      child.stderr!.on('data', (d: Buffer) => {
        out += d;
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${what} failed (${code}): ${out.slice(-3000)}`)),
      );
    });

  /** `pg_autoctl run` for one data directory, in its own process group (so that crash() reaches all of it). */
  const run = (name: string, pgdata: string) => {
    const child = spawn('pg_autoctl', ['run', '--pgdata', pgdata], {
      env,
      cwd: dir,
      uid,
      gid,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    logs[name] = '';
    const keep = (d: Buffer) => {
      logs[name] = (logs[name]! + d).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    runs.push({ name, child, pgdata });
  };

  const postmasterPid = (pgdata: string): number | undefined => {
    try {
      const pid = Number(readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {}
  };
  const killAll = () => {
    for (const r of runs) {
      killGroup(r.child, 'SIGKILL');
      const pm = postmasterPid(r.pgdata);
      if (pm)
        try {
          process.kill(pm, 'SIGKILL');
        } catch {}
    }
  };
  let stopped = false;
  const onExit = () => {
    if (stopped) return;
    killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const monitor = new pg.Pool({
    connectionString: `postgres://postgres@127.0.0.1:${monPort}/pg_auto_failover`,
    max: 2,
  });
  monitor.on('error', () => {});

  const formation: Formation = {
    url: `postgres://postgres@${nodePorts.map((p) => `127.0.0.1:${p}`).join(',')}/${opts.dbname}?target_session_attrs=read-write`,
    monitorUrl,
    nodes: nodePorts.map((port, i) => ({ name: `node${i + 1}`, port })),
    urlOf: (port) => `postgres://postgres@127.0.0.1:${port}/${opts.dbname}`,
    async state() {
      const r = await monitor.query<NodeInfo>(
        `select nodename as "name", nodeport as "port", reportedstate::text as "reportedState",
           goalstate::text as "goalState" from pgautofailover.node order by nodeid`,
      );
      return r.rows;
    },
    async waitHealthy(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let last: NodeInfo[] = [];
      while (Date.now() < until) {
        last = await formation.state().catch(() => []);
        const primary = last.find((n) => n.reportedState === 'primary' && n.goalState === 'primary');
        const standby = last.find((n) => n.reportedState === 'secondary' && n.goalState === 'secondary');
        if (primary && standby && last.length === 2) return primary;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`the formation did not become healthy: ${JSON.stringify(last)}`);
    },
    async switchover() {
      await autoctl(
        ['perform', 'switchover', '--pgdata', join(dir, 'monitor'), '--wait', '60'],
        'switchover',
      );
    },
    async crash(name) {
      const r = runs.find((x) => x.name === name);
      if (!r) throw new Error(`no node ${name}`);
      const pm = postmasterPid(r.pgdata);
      killGroup(r.child, 'SIGKILL');
      if (pm)
        try {
          process.kill(pm, 'SIGKILL');
        } catch {}
    },
    async stop() {
      if (stopped) return;
      await monitor.end().catch(() => {});
      // Nodes first, then the monitor: SIGTERM to each process group, SIGKILL whatever is left.
      for (const r of [...runs].reverse()) killGroup(r.child, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 1500));
      killAll();
      stopped = true;
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    const t0 = Date.now();
    await autoctl(
      [
        'create',
        'monitor',
        '--pgdata',
        join(dir, 'monitor'),
        '--pgport',
        String(monPort),
        '--hostname',
        '127.0.0.1',
        '--auth',
        'trust',
        '--no-ssl',
      ],
      'create monitor',
    );
    run('monitor', join(dir, 'monitor'));
    await waitFor(async () => {
      await monitor.query('select 1 from pgautofailover.node limit 1');
    }, 30_000);
    for (const [k, v] of Object.entries(MONITOR_SETTINGS))
      await monitor.query(`alter system set ${k} = ${v}`);
    await monitor.query('select pg_reload_conf()');
    for (const [i, port] of nodePorts.entries()) {
      const name = `node${i + 1}`;
      const pgdata = join(dir, name);
      await autoctl(
        [
          'create',
          'postgres',
          '--pgdata',
          pgdata,
          '--pgport',
          String(port),
          '--hostname',
          '127.0.0.1',
          '--name',
          name,
          '--auth',
          'trust',
          '--no-ssl',
          '--dbname',
          opts.dbname,
          '--monitor',
          monitorUrl,
        ],
        `create ${name}`,
      );
      run(name, pgdata);
      // The first node must be the primary before the second joins as its standby.
      if (i === 0)
        await waitFor(async () => {
          const s = await formation.state();
          if (!s.some((n) => n.name === name && ['single', 'primary'].includes(n.reportedState)))
            throw new Error('not yet');
        }, 60_000);
    }
    await formation.waitHealthy();
    opts.log(`formation ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${formation.url}`);
    return formation;
  } catch (err) {
    const tail = Object.entries(logs)
      .map(([n, l]) => `--- ${n}\n${l.slice(-1500)}`)
      .join('\n');
    await formation.stop();
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
}

async function waitFor(fn: () => Promise<void>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
