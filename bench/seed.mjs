// Data for the benchmarks. Orgs, members and one template order per org are made through the real API
// (so keys, balances and prices are what the app makes); bulk orders are then cloned from the templates with
// set-based SQL (INSERT ... SELECT generate_series), through jsonb_populate_record so that columns other
// engineers add to the tables are copied too.
import { must, pool, progress, request } from './lib.mjs';

export const CLUSTER_BODY = (projectId, name) => ({
  projectId,
  name,
  region: 'aliyun-cn-hangzhou',
  cuType: 'performance',
  cuSize: 1,
  replicas: 1,
  term: { unit: 'month', count: 1 },
});

/** Creates `n` certified orgs over HTTP, each with a project, an Org Admin, cash, and one unpaid order. */
export async function makeOrgs(
  port,
  op,
  n,
  { cash = 1_000_000_000_000, concurrency = 8, label = 'orgs' } = {},
) {
  const bar = progress(label);
  const orgs = new Array(n);
  let done = 0;
  const t0 = Date.now();
  await pool(n, concurrency, async (i) => {
    const org = await must(
      request(port, 'POST', '/v1/internal/orgs', {
        auth: op,
        body: { name: `bench org ${i}`, certified: true },
      }),
      201,
      'create org',
    );
    const project = await must(
      request(port, 'POST', `/v1/internal/orgs/${org.id}/projects`, { auth: op, body: { name: 'bench' } }),
      201,
      'create project',
    );
    const member = await must(
      request(port, 'POST', `/v1/internal/orgs/${org.id}/members`, {
        auth: op,
        body: { email: `admin-${i}-${org.id.toLowerCase()}@bench.example`, orgRole: 'org_admin' },
      }),
      201,
      'add member',
    );
    if (cash > 0) {
      await must(
        request(port, 'POST', '/v1/internal/bank-transfers', {
          auth: op,
          body: {
            remittanceCode: org.remittanceCode,
            amount: cash,
            currency: 'CNY',
            bankReference: `BENCH-${org.id}`,
          },
        }),
        201,
        'bank transfer',
      );
    }
    const created = await must(
      request(port, 'POST', `/v1/orgs/${org.id}/clusters`, {
        auth: member.apiKey,
        body: CLUSTER_BODY(project.id, `tmpl-${i}`),
      }),
      201,
      'create cluster',
    );
    orgs[i] = {
      orgId: org.id,
      projectId: project.id,
      apiKey: member.apiKey,
      remittanceCode: org.remittanceCode,
      templateOrderId: created.order.id,
      templateClusterId: created.cluster.id,
    };
    done++;
    bar.update(`${done}/${n} (${(done / ((Date.now() - t0) / 1000)).toFixed(0)}/s)`);
  });
  bar.done(`${n} orgs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return orgs;
}

/**
 * Clones each org's template order (and its cluster, and the creation history row) `perOrg` times as unpaid
 * orders named `${prefix}${k}_${templateId}` for k in [1, perOrg]. Returns the number of orders made.
 */
export async function cloneUnpaidOrders(c, orgs, perOrg, prefix) {
  const orgIds = orgs.map((o) => o.orgId);
  const orderIds = orgs.map((o) => o.templateOrderId);
  await c.query('begin');
  await c.query(
    `insert into clusters
     select r.*
     from orders o join clusters c on c.org_id = o.org_id and c.id = o.cluster_id
     cross join generate_series(1, $4::int) k
     cross join lateral jsonb_populate_record(null::clusters, to_jsonb(c) || jsonb_build_object('id', $3 || k || '_' || c.id)) r
     where o.org_id = any($1) and o.id = any($2)`,
    [orgIds, orderIds, prefix, perOrg],
  );
  await c.query(
    `insert into orders
     select r.*
     from orders o cross join generate_series(1, $4::int) k
     cross join lateral jsonb_populate_record(null::orders, to_jsonb(o) || jsonb_build_object(
       'id', $3 || k || '_' || o.id, 'cluster_id', $3 || k || '_' || o.cluster_id)) r
     where o.org_id = any($1) and o.id = any($2)`,
    [orgIds, orderIds, prefix, perOrg],
  );
  await c.query(
    `insert into order_history
     select r.*
     from order_history h cross join generate_series(1, $4::int) k
     cross join lateral jsonb_populate_record(null::order_history, to_jsonb(h) || jsonb_build_object('order_id', $3 || k || '_' || h.order_id)) r
     where h.org_id = any($1) and h.order_id = any($2) and h.seq = 1`,
    [orgIds, orderIds, prefix, perOrg],
  );
  await c.query('commit');
  return orgs.length * perOrg;
}

/**
 * Copies the template org's rows of `table` to `count` new orgs in one statement: copy k belongs to org
 * `idPrefix` + k (zero-padded to `idWidth`); `set` adds more `'column', expression` pairs (k is the copy's
 * number), `where` narrows the template rows (parameters from $3, in `params`). For `orgs` the org column is `id`.
 */
export async function cloneOrgRows(
  c,
  table,
  { templateOrgId, count, idPrefix, idWidth, set, where, params = [] },
) {
  const orgColumn = table === 'orgs' ? 'id' : 'org_id';
  await c.query(
    `insert into ${table}
     select r.*
     from ${table} t cross join generate_series(1, $2::int) k
     cross join lateral jsonb_populate_record(null::${table}, to_jsonb(t) || jsonb_build_object(
       '${orgColumn}', '${idPrefix}' || lpad(k::text, ${idWidth}, '0')${set ? `, ${set}` : ''})) r
     where t.${orgColumn} = $1${where ? ` and ${where}` : ''}`,
    [templateOrgId, count, ...params],
  );
}

/**
 * The list data set: 1,000,000 orders across 10,000 orgs. `big` (an org made over HTTP) holds `bigCount`
 * orders; `typical` (also over HTTP) is cloned into 9,998 more orgs; the rest of the million is spread
 * evenly over those 9,999 orgs. Statuses mix like a real console: the last 6 days unpaid, older ones
 * paid / cancelled / timed out; half new purchases, half upgrades. All orders of an org point at its template
 * cluster (the list never joins clusters).
 */
export async function seedListDataSet(
  c,
  { big, typical, orgs = 10_000, total = 1_000_000, bigCount = 100_090 },
) {
  const others = orgs - 1;
  const perOther = Math.floor((total - bigCount) / others);
  await c.query('begin');
  const clone = { templateOrgId: typical.orgId, count: others - 1, idPrefix: 'orgbench', idWidth: 6 };
  await cloneOrgRows(c, 'orgs', {
    ...clone,
    set: `'name', 'bench org ' || k, 'remittance_code', (200000000 + k)::text`,
  });
  await cloneOrgRows(c, 'balances', clone);
  await cloneOrgRows(c, 'projects', clone);
  await cloneOrgRows(c, 'clusters', { ...clone, where: 't.id = $3', params: [typical.templateClusterId] });
  await c.query('commit');
  // Orders: (org, n) with n = 1 the newest, created every 5 minutes (big org) or every day (others).
  const orderSql = (orgExpr, seriesFrom, seriesTo, stepMinutes, tmplOrg, tmplOrder) => `
    insert into orders
    select r.*
    from orders o
    cross join lateral generate_series(${seriesFrom}, ${seriesTo}) n
    cross join lateral (select now() - n * interval '${stepMinutes} minutes' as created) t
     cross join lateral jsonb_populate_record(null::orders, to_jsonb(o) || jsonb_build_object(
      'org_id', ${orgExpr},
      'id', 'ordbench' || lpad(n::text, 7, '0') || '_' || md5(${orgExpr} || n)::text,
      'cluster_name', 'cluster-' || (n % 997),
      'type', case when n % 2 = 0 or created >= now() - interval '6 days' then 'new_purchase' else 'upgrade' end,
      'status', case when created >= now() - interval '6 days' then 'unpaid'
                     when n % 10 < 6 then 'paid' when n % 10 < 8 then 'cancelled' else 'timed_out' end,
      'created_at', created, 'expires_at', created + interval '7 days',
      'paid_at', case when created < now() - interval '6 days' and n % 10 < 6 then created + interval '1 hour' end,
      'paid_by', case when created < now() - interval '6 days' and n % 10 < 6 then o.created_by end,
      'bill_month', case when created < now() - interval '6 days' and n % 10 < 6 then to_char(created + interval '1 hour', 'YYYY-MM') end,
      'cancelled_at', case when created < now() - interval '6 days' and n % 10 between 6 and 7 then created + interval '2 hours' end,
      'cancelled_by', case when created < now() - interval '6 days' and n % 10 between 6 and 7 then o.created_by end,
      'timed_out_at', case when created < now() - interval '6 days' and n % 10 >= 8 then created + interval '7 days' end
    )) r
     where o.org_id = '${tmplOrg}' and o.id = '${tmplOrder}'`;
  const bar = progress('list data set');
  const t0 = Date.now();
  await c.query(orderSql(`'${big.orgId}'`, 1, bigCount, 5, big.orgId, big.templateOrderId));
  bar.update(`big org: ${bigCount} orders (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const chunk = 1000;
  for (let from = 0; from < others; from += chunk) {
    const to = Math.min(others, from + chunk);
    // Org k in [from, to): k = 0 is the typical org itself, the others are its clones.
    const orgExpr = `(case when k = 0 then '${typical.orgId}' else 'orgbench' || lpad(k::text, 6, '0') end)`;
    await c.query(
      orderSql(orgExpr, 1, perOther, 1440, typical.orgId, typical.templateOrderId).replace(
        'from orders o',
        `from generate_series(${from}, ${to - 1}) k cross join orders o`,
      ),
    );
    bar.update(`${to}/${others} orgs (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await c.query('analyze');
  const r = await c.query('select count(*)::int as n, count(distinct org_id)::int as orgs from orders');
  bar.done(
    `${r.rows[0].n} orders across ${r.rows[0].orgs} orgs in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  return r.rows[0];
}

/**
 * The sweep data set: `total` unpaid new purchases (each with its own cluster awaiting payment) spread over
 * the orgs, whose deadlines all fall in [deadline, deadline + windowMs).
 */
export async function seedSweepDataSet(c, orgs, { total, deadline, windowMs }) {
  const bar = progress('sweep data set');
  const t0 = Date.now();
  const perOrg = Math.ceil(total / orgs.length);
  const chunkOrgs = 100;
  for (let i = 0; i < orgs.length; i += chunkOrgs) {
    const part = orgs.slice(i, i + chunkOrgs);
    const orgIds = part.map((o) => o.orgId);
    const orderIds = part.map((o) => o.templateOrderId);
    await c.query(
      `insert into clusters
       select r.*
       from orders o join clusters c on c.org_id = o.org_id and c.id = o.cluster_id
       cross join generate_series(1, $3::int) k
     cross join lateral jsonb_populate_record(null::clusters, to_jsonb(c) || jsonb_build_object(
         'id', 'clsw' || k || '_' || c.id, 'payment_deadline', $4::timestamptz + (k % $5) * interval '1 millisecond')) r
     where o.org_id = any($1) and o.id = any($2)`,
      [orgIds, orderIds, perOrg, deadline, windowMs],
    );
    await c.query(
      `insert into orders
       select r.*
       from orders o cross join generate_series(1, $3::int) k
     cross join lateral jsonb_populate_record(null::orders, to_jsonb(o) || jsonb_build_object(
         'id', 'ordsw' || k || '_' || o.id, 'cluster_id', 'clsw' || k || '_' || o.cluster_id,
         'created_at', $4::timestamptz - interval '7 days',
         'expires_at', $4::timestamptz + (k % $5) * interval '1 millisecond')) r
     where o.org_id = any($1) and o.id = any($2)`,
      [orgIds, orderIds, perOrg, deadline, windowMs],
    );
    bar.update(
      `${Math.min(orgs.length, i + chunkOrgs) * perOrg} orders (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  await c.query('analyze');
  const r = await c.query(
    `select count(*)::int as n from orders where status = 'unpaid' and expires_at >= $1::timestamptz and expires_at < $2::timestamptz`,
    [deadline, new Date(deadline.getTime() + windowMs)],
  );
  bar.done(`${r.rows[0].n} overdue-to-be orders in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return r.rows[0].n;
}
