// Tally's pay statement under pgbench: the SQL that `payInOneStatement` (server/src/orders/pay.repository.ts)
// sends, captured at run time through a Kysely that records instead of executing, its inputs turned into
// pgbench variables, and written as a pgbench script (-f), which pgbench runs prepared (-M prepared) as the
// server prepares it. It pays real orders of the pay bench's database: copies of each org's payable order made
// for it, each paid at most once. A change to the statement is picked up by the next run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { loadConfig } from '../server/src/config.js';
import { PREPARED } from '../server/src/db/prepared.js';
import type { Database, Db } from '../server/src/db/schema.js';
import { payInOneStatement } from '../server/src/orders/pay.repository.js';
import { monthOf } from '../server/src/platform/time.js';
import { defaultCatalog } from '../server/src/pricing/catalog.js';
import { percentile, query, round, WORK_DIR, withClient } from './lib.js';
import type { BenchOrg } from './seed.js';

/** A Kysely whose every query is recorded (compiled SQL and parameters) and answers no rows. */
export function recordingDb(): { db: Kysely<Database>; queries: CompiledQuery[] } {
  const queries: CompiledQuery[] = [];
  const connection: DatabaseConnection = {
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      queries.push(q);
      return { rows: [] };
    },
    async *streamQuery() {},
  };
  const driver: Driver = {
    async init() {},
    async acquireConnection() {
      return connection;
    },
    async beginTransaction() {},
    async commitTransaction() {},
    async rollbackTransaction() {},
    async releaseConnection() {},
    async destroy() {},
  };
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return { db, queries };
}

/** A parameter as the pg driver sends it (text), as a quoted SQL literal of unknown type, as the driver's is. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  const text =
    v instanceof Date
      ? v.toISOString()
      : Array.isArray(v)
        ? `{${v.map((x) => `"${String(x).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  return `'${text.replaceAll("'", "''")}'`;
}

export interface PayScript {
  /** the pgbench script's path */
  path: string;
  /** the captured statement's parameters: which became pgbench variables, which stayed constants */
  parameters: string[];
  /** the statement's length in characters */
  statementChars: number;
  /** the statement as pgbench runs it (with its :variables) */
  sql: string;
  /** how org ids and payers are named: `${orgPrefix}${i}`, `${userPrefix}${i}` */
  orgPrefix: string;
}

/**
 * Captures the pay statement for an org-wide payer (the pay bench's Org Admin API keys: every project) and
 * writes a pgbench script that pays order `${pre}${k}-${orgPrefix}${i}` of org `${orgPrefix}${i}` as user
 * `${userPrefix}${i}`. Which order: the transaction's number g (a counter per client, interleaved over the
 * clients, from `base`) through a pseudo-random permutation of the `pool` = orgs × copies orders, so each
 * order is paid at most once while the pool lasts and consecutive payments fall on random orgs; orgs are
 * numbered from `first` (the hot org: orgs = 1, the first). Variables:
 * base, nclients, n (0), pool, orgs, pre, now (ISO time).
 */
export async function writePayScript(
  orgPrefix: string,
  userPrefix: string,
  first: number,
  billingTimeZone: string,
): Promise<PayScript> {
  const { db, queries } = recordingDb();
  // Sentinels: each input the script varies is recognized among the parameters by its value.
  const now = new Date(Date.UTC(2001, 1, 3, 4, 5, 6, 789));
  // pgbench runs the script prepared (-M prepared), as the server runs the statement (PREPARED): each
  // variable is a parameter, so the ids are built from them in SQL.
  const sentinels = new Map<unknown, string>([
    ['\u0001org', `('${orgPrefix}'::text || :i)`],
    ['\u0001order', `(:pre::text || :k || '-${orgPrefix}' || :i)`],
    ['\u0001payer', `('${userPrefix}'::text || :i)`],
    ['\u0001ltx', `('ltx_pgbench_'::text || :pre || :g)`],
  ]);
  await payInOneStatement(db, {
    orgId: '\u0001org',
    orderId: '\u0001order',
    now,
    payerId: '\u0001payer',
    // The month is the run's: computed from the time the script is written, as the server would.
    billMonth: monthOf(new Date(), billingTimeZone),
    ledgerTxnId: '\u0001ltx',
    projectIds: null,
    catalog: defaultCatalog,
  });
  await db.destroy();
  if (queries.length !== 1)
    throw new Error(`payInOneStatement sent ${queries.length} statements; the pgbench script expects one`);
  const q = queries[0]!;
  const parameters: string[] = [];
  // The server's marker (a comment) goes: pgbench would read its colon as a variable.
  const text = q.sql.replace(PREPARED, '').replace(/\$(\d+)\b/g, (_m, d: string) => {
    const v = q.parameters[Number(d) - 1];
    const byValue = sentinels.get(v);
    if (byValue) {
      parameters.push(`$${d}: ${byValue}`);
      return byValue;
    }
    if (v instanceof Date && v.getTime() === now.getTime()) {
      parameters.push(`$${d}: now`);
      return ':now';
    }
    const lit = literal(v);
    parameters.push(`$${d}: constant ${lit}`);
    return lit;
  });
  if (
    !parameters.some((p) => p.includes(`'${orgPrefix}'::text || :i`)) ||
    !parameters.some((p) => p.includes(':pre::text || :k'))
  )
    throw new Error(
      `the captured pay statement does not take the org and the order as parameters:\n${q.sql}`,
    );
  const script = [
    '-- Tally pay statement (payInOneStatement), captured by bench/pay-statement.ts',
    '\\set g :base + :client_id + :n * :nclients',
    '\\set n :n + 1',
    '\\set p permute(:g, :pool, 5)',
    `\\set i ${first} + :p % :orgs`,
    '\\set k 1 + :p / :orgs',
    `${text.trim()};`,
    '',
  ].join('\n');
  const path = join(WORK_DIR, 'pay-statement.pgbench.sql');
  writeFileSync(path, script);
  return { path, parameters, statementChars: text.length, sql: text.trim(), orgPrefix };
}

/** The common prefix of ids named `${prefix}${first + i}` in order, and `first`, or an error saying why not. */
export function numberedPrefix(ids: string[], what: string): { prefix: string; first: number } {
  const m = /^(.*?)(\d+)$/.exec(ids[0] ?? '');
  const prefix = m?.[1];
  const first = Number(m?.[2]);
  if (prefix === undefined || ids.some((id, i) => id !== `${prefix}${first + i}`))
    throw new Error(
      `the pgbench pay script needs ${what} numbered in order with one prefix (got ${ids[0]}, …)`,
    );
  return { prefix, first };
}

/** The seeded orgs' payers (their Org Admins) and the script's id prefixes. */
export async function payScriptFor(db: Db, orgs: BenchOrg[]): Promise<PayScript> {
  const org = numberedPrefix(
    orgs.map((o) => o.orgId),
    'the seeded orgs',
  );
  const admins = await query<{ org_id: string; user_id: string }>(
    db,
    `select distinct on (org_id) org_id, user_id from memberships
     where org_id = any($1) and org_role = 'org_admin' order by org_id, created_at, user_id`,
    [orgs.map((o) => o.orgId)],
  );
  const byOrg = new Map(admins.map((a) => [a.org_id, a.user_id]));
  const user = numberedPrefix(
    orgs.map((o) => byOrg.get(o.orgId) ?? ''),
    "the orgs' admins",
  );
  if (user.first !== org.first) throw new Error("the orgs' admins are not numbered as their orgs");
  const config = loadConfig({ ...process.env }, () => 'bench-pay-statement');
  return writePayScript(org.prefix, user.prefix, org.first, config.billingTimeZone);
}

/** Payments made so far in the database (ledger order_payment transactions), to count what pgbench paid. */
export function paymentsSoFar(db: string): Promise<number> {
  return withClient(db, async (c) => {
    const r = await c.query<{ n: number }>(
      "select count(*)::int as n from ledger_transactions where kind = 'order_payment'",
    );
    return r.rows[0]?.n ?? 0;
  });
}

export interface StatementExplain {
  payments: number;
  planningMsMedian: number;
  executionMsMedian: number;
}

/**
 * One payment at a time by the captured statement under EXPLAIN ANALYZE, each rolled back: where one
 * payment's time in PostgreSQL goes, planning and execution. The statement is prepared once and executed with
 * each payment's values, as the server (PREPARED) and pgbench (-M prepared) run it: PostgreSQL plans the first
 * few executions for their values, then keeps a generic plan whose planning is a lookup. Pays (and rolls back)
 * up to `count` orders still unpaid of the statement's spread pool. (EXPLAIN's WAL counts leave out the
 * data-modifying CTEs, so they are not used.)
 */
export async function explainStatement(
  dbName: string,
  script: PayScript,
  count = 15,
): Promise<StatementExplain | null> {
  return withClient(dbName, async (c) => {
    const orders = await c.query<{ id: string; org_id: string; user_id: string }>(
      `select o.id, o.org_id, m.user_id from orders o
       join memberships m on m.org_id = o.org_id and m.org_role = 'org_admin'
       where o.id like 'p%-%' and o.status = 'unpaid' order by o.id limit $1`,
      [count],
    );
    const plans: { planning: number; execution: number }[] = [];
    const names = ['pre', 'k', 'i', 'g', 'now'];
    const text = script.sql.replace(/:(pre|k|i|g|now)\b/g, (_x, v: string) => `$${names.indexOf(v) + 1}`);
    await c.query(`prepare pay_statement as ${text}`);
    const quote = (x: string) => `'${x.replaceAll("'", "''")}'`;
    for (const [n, o] of orders.rows.entries()) {
      const m = /^p(\d+)-/.exec(o.id);
      const i = o.org_id.slice(script.orgPrefix.length);
      if (!m) continue;
      const values = ['p', m[1] ?? '', i, `explain${n}`, new Date().toISOString()].map(quote).join(', ');
      await c.query('begin');
      try {
        const r = await c.query<{ 'QUERY PLAN': unknown }>(
          `explain (analyze, summary, format json) execute pay_statement(${values})`,
        );
        // biome-ignore lint/suspicious/noExplicitAny: EXPLAIN's JSON, read by field
        const plan = (r.rows[0]?.['QUERY PLAN'] as any)?.[0];
        plans.push({
          planning: plan?.['Planning Time'] ?? Number.NaN,
          execution: plan?.['Execution Time'] ?? Number.NaN,
        });
      } finally {
        await c.query('rollback');
      }
    }
    if (!plans.length) return null;
    const med = (f: (p: (typeof plans)[number]) => number, d = 2) => round(percentile(plans.map(f), 50), d);
    return {
      payments: plans.length,
      planningMsMedian: med((p) => p.planning),
      executionMsMedian: med((p) => p.execution),
    };
  });
}
