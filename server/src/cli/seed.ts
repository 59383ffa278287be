import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { CliContext } from './context.js';
import { CliError } from './context.js';
import type { Progress } from './progress.js';

export interface SeedOptions {
  orgs: number;
  orders: number;
  /** the window the orders' creation times are spread over, ending now (at least 8 days: timeouts) */
  days: number;
  /** cash left on each org's balance after its paid orders, in fen */
  cashFen: number;
  chunkOrgs: number;
}

export interface SeedResult {
  run: string;
  orgs: { id: string; remittanceCode: string; apiKey: string }[];
  orders: number;
  ms: number;
}

/**
 * `tally seed --orgs N --orders M`: large, valid data sets for benchmarks, made with set-based SQL
 * (INSERT … SELECT over generate_series), a chunk of orgs per transaction. Every invariant holds as if the
 * data had come through the API: each org has a project, an Org Admin with an API key, a remittance code, a
 * bank top-up that funded its paid orders (ledger entries on both sides), and a balance equal to the sum of
 * its cash entries; each order has its cluster (running, pending payment or cancelled, as its status says),
 * its history rows, and — when paid — its ledger transaction and bill month. Statuses: 60% paid, 10%
 * cancelled, 10% timed out, 20% unpaid (still payable: created within the last 6 days).
 */
export async function seed(ctx: CliContext, o: SeedOptions, progress: Progress): Promise<SeedResult> {
  if (o.days < 8) throw new CliError('--days must be at least 8 (timed-out orders are older than 7 days)');
  const t0 = performance.now();
  const run = randomBytes(4).toString('hex').toUpperCase();
  const secret = randomBytes(18).toString('base64url').replaceAll('_', 'x').replaceAll('-', 'y');
  const now = ctx.now();
  const ws = new Date(now.getTime() - o.days * 86_400_000);
  const ttlSeconds = ctx.config.orderTtlHours * 3600;
  const spanSeconds = Math.floor((now.getTime() - ws.getTime()) / 1000) - 3600;
  const q = Math.floor(o.orders / o.orgs);
  const r = o.orders % o.orgs;
  const codeBase = randomBytes(4).readUInt32BE(0) % 900_000_000;
  const tz = ctx.config.billingTimeZone;
  const db = ctx.database.db;
  progress.start(o.orders);
  for (let a = 0; a < o.orgs; a += o.chunkOrgs) {
    const b = Math.min(o.orgs, a + o.chunkOrgs);
    await db.transaction().execute(async (tx) => {
      await sql`
        insert into orgs (id, name, currency, time_zone, certified, remittance_code, created_at)
        select 'org_S' || ${run} || 'x' || i, 'Seed ' || ${run} || ' org ' || i, 'CNY', 'Asia/Shanghai', true,
          (100000000 + ((${codeBase}::bigint + i::bigint * 7919) % 900000000))::text, ${ws}::timestamptz
        from generate_series(${a}::int, ${b - 1}::int) i
        on conflict do nothing`.execute(tx);
      await sql`
        create temp table seed_orgs on commit drop as
        select i, o.id as org_id, o.remittance_code, 'proj_S' || ${run} || 'x' || i as project_id,
          'usr_S' || ${run} || 'x' || i as user_id, 'tly_' || ${secret} || i as api_key,
          ${q}::int + case when i < ${r}::int then 1 else 0 end as n
        from generate_series(${a}::int, ${b - 1}::int) i
        join orgs o on o.id = 'org_S' || ${run} || 'x' || i`.execute(tx);
      await sql`
        insert into projects (org_id, id, name, created_at)
        select org_id, project_id, 'default', ${ws}::timestamptz from seed_orgs`.execute(tx);
      await sql`
        insert into users (id, email, password_hash, created_at)
        select user_id, 'seed-' || lower(${run}) || '-' || i || '@example.com', null, ${ws}::timestamptz from seed_orgs`.execute(
        tx,
      );
      await sql`
        insert into memberships (org_id, user_id, org_role, created_at)
        select org_id, user_id, 'org_admin', ${ws}::timestamptz from seed_orgs`.execute(tx);
      await sql`
        insert into api_keys (key_hash, id, org_id, user_id, name, prefix, created_at)
        select encode(sha256(convert_to(api_key, 'UTF8')), 'hex'), 'key_S' || ${run} || 'x' || i, org_id, user_id,
          'seed', left(api_key, 8), ${ws}::timestamptz
        from seed_orgs`.execute(tx);
      // The orders, computed once: status, size and times follow from (org, order) indexes.
      await sql`
        create temp table seed_orders on commit drop as
        with base as (
          select s.org_id, s.project_id, s.user_id, s.i, j,
            (s.i::bigint * 1000003 + j) as k
          from seed_orgs s, generate_series(0, s.n - 1) j
        ), shaped as (
          select *, case when k % 10 < 6 then 'paid' when k % 10 = 6 then 'cancelled'
              when k % 10 = 7 then 'timed_out' else 'unpaid' end as status,
            (array[1, 2, 4])[1 + (k % 3)::int] as cu
          from base
        ), timed as (
          select *, case
              when status = 'unpaid' then ${now}::timestamptz - make_interval(secs => 60 + (k * 48271 % 2147483647) % (6 * 86400 - 120))
              when status = 'timed_out' then ${now}::timestamptz
                - make_interval(secs => ${ttlSeconds}::int + 60 + (k * 48271 % 2147483647) % greatest(${spanSeconds}::int - ${ttlSeconds}::int - 120, 1))
              else ${ws}::timestamptz + make_interval(secs => (k * 48271 % 2147483647) % ${spanSeconds}::int)
            end as created_at
          from shaped
        )
        select org_id, project_id, user_id, status, cu, 90000 * cu as amount,
          'ord_S' || ${run} || 'x' || i || 'y' || j as id,
          'cls_S' || ${run} || 'x' || i || 'y' || j as cluster_id,
          'seed-' || i || '-' || j as cluster_name,
          created_at,
          created_at + make_interval(secs => ${ttlSeconds}::int) as expires_at,
          case when status in ('paid', 'cancelled')
            then least(created_at + make_interval(secs => 1 + (k % 3600)), ${now}::timestamptz - interval '1 second')
          end as settled_at
        from timed`.execute(tx);
      await sql`
        insert into clusters (org_id, id, project_id, name, region, cu_type, cu_size, replicas, term_unit, term_count,
          state, payment_deadline, term_ends_at, target_cu_size, target_replicas, ready_at, created_at, updated_at)
        select org_id, cluster_id, project_id, cluster_name, 'aliyun-cn-hangzhou', 'performance', cu, 1, 'month', 1,
          case status when 'paid' then 'running' when 'unpaid' then 'pending_payment' else 'cancelled' end,
          case when status = 'unpaid' then expires_at end,
          case when status = 'paid' then settled_at + interval '30 days' end,
          null, null, null, created_at, coalesce(settled_at, created_at)
        from seed_orders`.execute(tx);
      await sql`
        insert into orders (org_id, id, project_id, cluster_id, cluster_name, type, status, currency, amount,
          list_amount, discount_amount, config, config_before, pricing, created_at, expires_at, paid_at,
          cancelled_at, timed_out_at, created_by, paid_by, cancelled_by, bill_month)
        select org_id, id, project_id, cluster_id, cluster_name, 'new_purchase', status, 'CNY', amount, amount, 0,
          jsonb_build_object('region', 'aliyun-cn-hangzhou', 'cuType', 'performance', 'cuSize', cu, 'replicas', 1,
            'term', jsonb_build_object('unit', 'month', 'count', 1)),
          null,
          jsonb_build_object('currency', 'CNY', 'amount', amount, 'listAmount', amount, 'discountAmount', 0, 'seeded', true),
          created_at, expires_at,
          case when status = 'paid' then settled_at end,
          case when status = 'cancelled' then settled_at end,
          case when status = 'timed_out' then expires_at end,
          user_id,
          case when status = 'paid' then user_id end,
          case when status = 'cancelled' then user_id end,
          case when status = 'paid' then to_char(settled_at at time zone ${tz}, 'YYYY-MM') end
        from seed_orders`.execute(tx);
      // What each order's search matches, as insertOrder writes it.
      await sql`
        insert into order_search (org_id, order_id, grams)
        select org_id, id, order_search_grams(org_id, cluster_name) from seed_orders`.execute(tx);
      await sql`
        insert into order_history (org_id, order_id, seq, from_status, to_status, actor_type, actor_id, at, recorded_at)
        select org_id, id, 1, null, 'unpaid', 'user', user_id, created_at, created_at from seed_orders
        union all
        select org_id, id, 2, 'unpaid', status, case when status = 'timed_out' then 'system' else 'user' end,
          case when status = 'timed_out' then null else user_id end,
          coalesce(settled_at, expires_at), coalesce(settled_at, expires_at)
        from seed_orders where status <> 'unpaid'`.execute(tx);
      // Money: one bank top-up per org funds its paid orders plus the cash left for benchmarks.
      await sql`
        create temp table seed_money on commit drop as
        select s.org_id, s.i, s.remittance_code, coalesce(p.paid, 0)::bigint + ${o.cashFen}::bigint as topup
        from seed_orgs s
        left join (select org_id, sum(amount) as paid from seed_orders where status = 'paid' group by org_id) p
          on p.org_id = s.org_id`.execute(tx);
      await sql`
        insert into bank_transfers (bank_reference, remittance_code, amount, currency, status, reason, org_id, topup_id,
          report_count, first_reported_at, last_reported_at)
        select 'SEED-' || ${run} || '-' || i, remittance_code, topup, 'CNY', 'credited', null, org_id,
          'top_S' || ${run} || 'x' || i, 1, ${ws}::timestamptz, ${ws}::timestamptz
        from seed_money where topup > 0`.execute(tx);
      await sql`
        insert into ledger_transactions (org_id, id, kind, ref_id, memo, created_at)
        select org_id, 'ltx_S' || ${run} || 'x' || i, 'topup', 'SEED-' || ${run} || '-' || i,
          'bank transfer SEED-' || ${run} || '-' || i, ${ws}::timestamptz
        from seed_money where topup > 0
        union all
        select org_id, 'ltx_' || substr(id, 5), 'order_payment', id, 'order ' || id, settled_at
        from seed_orders where status = 'paid'`.execute(tx);
      await sql`
        insert into ledger_entries (org_id, txn_id, account, amount, currency, order_id, created_at)
        select org_id, 'ltx_S' || ${run} || 'x' || i, x.account, x.amount, 'CNY', null, ${ws}::timestamptz
        from seed_money, lateral (values ('bank_clearing', -topup), ('cash', topup)) as x(account, amount)
        where topup > 0
        union all
        select org_id, 'ltx_' || substr(id, 5), x.account, x.amount, 'CNY', id, settled_at
        from seed_orders, lateral (values ('cash', -amount), ('subscription_revenue', amount)) as x(account, amount)
        where status = 'paid'`.execute(tx);
      await sql`
        insert into topups (org_id, id, bank_reference, amount, currency, ledger_txn_id, created_at)
        select org_id, 'top_S' || ${run} || 'x' || i, 'SEED-' || ${run} || '-' || i, topup, 'CNY',
          'ltx_S' || ${run} || 'x' || i, ${ws}::timestamptz
        from seed_money where topup > 0`.execute(tx);
      await sql`
        insert into balances (org_id, currency, cash, updated_at)
        select org_id, 'CNY', ${o.cashFen}::bigint, ${now}::timestamptz from seed_money`.execute(tx);
    });
    progress.tick({}, (b - a) * q + Math.max(0, Math.min(b, r) - a));
  }
  progress.stop();
  const rows = await db
    .selectFrom('orgs')
    .select(['id', 'remittance_code'])
    .where('id', 'like', `org_S${run}x%`)
    .execute();
  const orgs = rows
    .map((x) => {
      const i = Number(x.id.slice(`org_S${run}x`.length));
      return { i, id: x.id, remittanceCode: x.remittance_code, apiKey: `tly_${secret}${i}` };
    })
    .sort((x, y) => x.i - y.i)
    .map(({ i: _i, ...rest }) => rest);
  const n = await sql<{
    n: number;
  }>`select count(*)::int as n from orders where org_id like ${`org_S${run}x%`}`.execute(db);
  return { run, orgs, orders: n.rows[0]?.n ?? 0, ms: Math.round(performance.now() - t0) };
}
