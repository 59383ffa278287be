// Data for the benchmarks. Orgs and their orders come from the operator CLI's seeder (`tally seed`,
// server/src/cli/seed.ts: set-based SQL, every invariant holding as if the data had come through the API);
// the pay and sweep benches then multiply one unpaid order per org with set-based SQL (INSERT … SELECT
// generate_series, through jsonb_populate_record so that columns added to the tables are copied too).
import { issueDueBills } from '../server/src/billing/issue-bill.js';
import { openContext } from '../server/src/cli/context.js';
import type { Progress } from '../server/src/cli/progress.js';
import { type SeedOptions, type SeedResult, seed } from '../server/src/cli/seed.js';
import type { Db } from '../server/src/db/schema.js';
import { progress, query, round, seconds } from './lib.js';

export interface BenchOrg {
  orgId: string;
  apiKey: string;
  remittanceCode: string;
  /** one of the org's unpaid (payable) orders, and its cluster (pending payment) */
  templateOrderId: string;
  templateClusterId: string;
}

/** The CLI seeder's progress (orders done) as one of the bench's progress lines. */
function seedProgress(label: string): Progress {
  const bar = progress(label);
  let total = 0;
  let done = 0;
  const t0 = Date.now();
  return {
    start(n) {
      total = n;
    },
    tick(_payload, by = 1) {
      done += by;
      bar.update(`${done}/${total} orders (${round(seconds(t0), 0)} s)`);
    },
    stop() {
      bar.done(`${done} orders in ${round(seconds(t0), 1)} s`);
    },
  };
}

/**
 * Seeds with the CLI's seeder on the database the environment names (DATABASE_URL, or TALLY_DATA_DIR for
 * PGlite), after running the migrations as the CLI does, and calls `then` with the open database. With
 * `issueBills`, the ended months' bills are issued too, as `tally seed` does unless told `--no-bills`: a
 * server started on the data set then has no bills to issue in the middle of a measurement.
 */
export async function withSeed<T>(
  env: Record<string, string>,
  runs: { label: string; options: Partial<SeedOptions> & { orgs: number; orders: number } }[],
  then: (db: Db, seeded: SeedResult[]) => Promise<T>,
  { issueBills = false } = {},
): Promise<T> {
  const base: NodeJS.ProcessEnv = { ...process.env, TALLY_LOG_LEVEL: 'warn', ...env };
  if (!env.DATABASE_URL) delete base.DATABASE_URL;
  const ctx = await openContext(base);
  try {
    const seeded: SeedResult[] = [];
    for (const r of runs)
      seeded.push(
        await seed(
          ctx,
          { days: 30, cashFen: 0, chunkOrgs: 500, ...r.options },
          seedProgress(`${r.label} (tally seed)`),
        ),
      );
    if (issueBills) {
      const bar = progress('bills for ended months');
      const t0 = Date.now();
      const b = await issueDueBills(ctx.database.db, ctx.config, ctx.now(), {
        maxBatches: Number.POSITIVE_INFINITY,
        workers: 4,
      });
      bar.done(`${b.issued} issued in ${round(seconds(t0), 1)} s`);
    }
    return await then(ctx.database.db, seeded);
  } finally {
    await ctx.database.close();
  }
}

/**
 * One unpaid order per seeded org, to be cloned. Seed at least 10 orders per org: two in ten are unpaid.
 */
export async function withTemplates(db: Db, s: SeedResult): Promise<BenchOrg[]> {
  const rows = await query<{ org_id: string; id: string; cluster_id: string }>(
    db,
    `select distinct on (org_id) org_id, id, cluster_id from orders
     where org_id like $1 and status = 'unpaid' order by org_id, id`,
    [`org_S${s.run}x%`],
  );
  const byOrg = new Map(rows.map((r) => [r.org_id, r]));
  return s.orgs.map((o) => {
    const t = byOrg.get(o.id);
    if (!t) throw new Error(`seeded org ${o.id} has no unpaid order: seed at least 10 orders per org`);
    return {
      orgId: o.id,
      apiKey: o.apiKey,
      remittanceCode: o.remittanceCode,
      templateOrderId: t.id,
      templateClusterId: t.cluster_id,
    };
  });
}

/**
 * Clones each org's template order (and its cluster, and the creation history row) `perOrg` times as unpaid
 * orders named `${prefix}${k}_${templateId}` for k in [1, perOrg] (clusters `cl${prefix}${k}_${clusterId}`), or
 * with `idsByOrg` `${prefix}${k}-${orgId}` (clusters `cl${prefix}${k}-${orgId}`: names pgbench's script computes
 * from numbers, bench/pay-statement.ts), `chunkOrgs` orgs per statement. With `deadline`, the copies are
 * overdue-to-be: created a week before it, due within `windowMs` after it. Returns the number of orders made.
 */
export async function cloneUnpaidOrders(
  db: Db,
  orgs: BenchOrg[],
  perOrg: number,
  prefix: string,
  o: { deadline?: Date; windowMs?: number; label?: string; chunkOrgs?: number; idsByOrg?: boolean } = {},
): Promise<number> {
  const bar = progress(o.label ?? 'orders (SQL clone)');
  const t0 = Date.now();
  const chunk = o.chunkOrgs ?? 100;
  // The copy's id after `${prefix}${k}`, of a row with the given org id and own id.
  const tail = (org: string, id: string) => (o.idsByOrg ? `'-' || ${org}` : `'_' || ${id}`);
  // $5 and $6: the deadline and its window, or nulls (then the copies keep the template's times).
  const due = `case when $5::timestamptz is null then null else $5::timestamptz + (k % $6::int) * interval '1 millisecond' end`;
  for (let i = 0; i < orgs.length; i += chunk) {
    const part = orgs.slice(i, i + chunk);
    const params = [
      part.map((x) => x.orgId),
      part.map((x) => x.templateOrderId),
      prefix,
      perOrg,
      o.deadline ?? null,
      o.windowMs ?? 1,
    ];
    await db.transaction().execute(async (tx) => {
      await query(
        tx,
        `insert into clusters
         select r.*
         from orders o join clusters c on c.org_id = o.org_id and c.id = o.cluster_id
         cross join generate_series(1, $4::int) k
         cross join lateral jsonb_populate_record(null::clusters, to_jsonb(c) || jsonb_build_object('id', 'cl' || $3 || k || ${tail('c.org_id', 'c.id')})
           || case when $5::timestamptz is null then '{}'::jsonb else jsonb_build_object('payment_deadline', ${due}) end) r
         where o.org_id = any($1) and o.id = any($2)`,
        params,
      );
      // the copies and their search rows in one statement (the ids as the insert made them)
      await query(
        tx,
        `with o as (
           insert into orders
           select r.*
           from orders o cross join generate_series(1, $4::int) k
           cross join lateral jsonb_populate_record(null::orders, to_jsonb(o) || jsonb_build_object(
             'id', $3 || k || ${tail('o.org_id', 'o.id')}, 'cluster_id', 'cl' || $3 || k || ${tail('o.org_id', 'o.cluster_id')})
             || case when $5::timestamptz is null then '{}'::jsonb else jsonb_build_object(
               'created_at', $5::timestamptz - interval '7 days', 'expires_at', ${due}) end) r
           where o.org_id = any($1) and o.id = any($2)
           returning org_id, id, cluster_name)
         insert into order_search (org_id, order_id, grams)
         select org_id, id, order_search_grams(org_id, cluster_name) from o`,
        params,
      );
      await query(
        tx,
        `insert into order_history
         select r.*
         from order_history h cross join generate_series(1, $4::int) k
         cross join lateral jsonb_populate_record(null::order_history, to_jsonb(h) || jsonb_build_object('order_id', $3 || k || ${tail('h.org_id', 'h.order_id')})
           || case when $5::timestamptz is null then '{}'::jsonb else jsonb_build_object(
             'at', $5::timestamptz - interval '7 days', 'recorded_at', $5::timestamptz - interval '7 days') end) r
         where h.org_id = any($1) and h.order_id = any($2) and h.seq = 1`,
        params.slice(0, 5),
      );
    });
    bar.update(`${Math.min(orgs.length, i + chunk) * perOrg} orders (${round(seconds(t0), 0)} s)`);
  }
  await query(db, 'analyze');
  bar.done(`${orgs.length * perOrg} unpaid orders in ${round(seconds(t0), 1)} s`);
  return orgs.length * perOrg;
}
