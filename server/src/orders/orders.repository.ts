import {
  type Expression,
  type Insertable,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely';
import type { ActorType, OrderEndReason, OrderStatus, OrderType } from '../../../contract/enums.js';
import { PREPARED } from '../db/prepared.js';
import type { OrderHistoryTable, OrdersTable, Queryable, Tx } from '../db/schema.js';
import { emitSql } from '../outbox/outbox.js';

export type OrderRow = Omit<Selectable<OrdersTable>, 'config' | 'config_before' | 'pricing'> & {
  config: unknown;
  config_before: unknown;
  pricing: unknown;
};

/** Every column of an order, by name: what a prepared statement answers instead of `*` (see PREPARED). */
const ORDER_COLUMNS = [
  'org_id',
  'id',
  'project_id',
  'cluster_id',
  'cluster_name',
  'type',
  'status',
  'currency',
  'amount',
  'list_amount',
  'discount_amount',
  'config',
  'config_before',
  'pricing',
  'created_at',
  'expires_at',
  'cancel_at',
  'paid_at',
  'cancelled_at',
  'timed_out_at',
  'created_by',
  'paid_by',
  'cancelled_by',
  'bill_month',
] as const satisfies readonly (keyof OrdersTable)[];
// A column added to OrdersTable and not to the list above fails here.
const everyOrderColumn: Exclude<keyof OrdersTable, (typeof ORDER_COLUMNS)[number]> extends never
  ? true
  : never = true;
void everyOrderColumn;

/** The order's columns of the row `alias` (an order row), named one by one. */
export function orderColumnsSql(alias: string): RawBuilder<unknown> {
  return sql.join(ORDER_COLUMNS.map((c) => sql.ref(`${alias}.${c}`)));
}

/**
 * Inserts an order and what its search matches (order_search, migration 0014: the org's pieces of the cluster
 * name, the id as the key), in one statement.
 */
export async function insertOrder(tx: Tx, row: Insertable<OrdersTable>) {
  await tx
    .with('o', (db) => db.insertInto('orders').values(row).returning(['org_id', 'id', 'cluster_name']))
    .insertInto('order_search')
    .columns(['org_id', 'order_id', 'grams'])
    .expression((eb) =>
      eb
        .selectFrom('o')
        .select([
          'o.org_id',
          'o.id',
          sql<number[]>`order_search_grams(o.org_id, o.cluster_name)`.as('grams'),
        ]),
    )
    .execute();
}

/** The columns every writer of a history row sets, in this order: insertHistory and historyRowSql alike. */
const HISTORY_COLUMNS = [
  'org_id',
  'order_id',
  'seq',
  'from_status',
  'to_status',
  'actor_type',
  'actor_id',
  'at',
  'recorded_at',
  'reason',
] as const;
type HistoryColumn = (typeof HISTORY_COLUMNS)[number] & keyof OrderHistoryTable;

export async function insertHistory(
  tx: Tx,
  h: {
    orgId: string;
    orderId: string;
    seq: 1 | 2;
    from: OrderStatus | null;
    to: OrderStatus;
    actorType: ActorType;
    actorId: string | null;
    at: Date;
    recordedAt: Date;
    reason?: OrderEndReason | null;
  },
) {
  await tx
    .insertInto('order_history')
    .values({
      org_id: h.orgId,
      order_id: h.orderId,
      seq: h.seq,
      from_status: h.from,
      to_status: h.to,
      actor_type: h.actorType,
      actor_id: h.actorId,
      at: h.at,
      recorded_at: h.recordedAt,
      reason: h.reason ?? null,
    } satisfies Record<HistoryColumn, unknown>)
    .execute();
}

/**
 * insertHistory inside a larger statement (the body of a common table expression): the transition's row for
 * each order of the CTE `source` (its `org_id` and `id`), at `at` (a time, or SQL over the source's columns:
 * a timeout happens at the deadline).
 */
export function historyRowSql(h: {
  source: string;
  seq: 1 | 2;
  from: OrderStatus;
  /** a status, or SQL over the source's columns (the system's end: timed out or cancelled) */
  to: OrderStatus | RawBuilder<unknown>;
  actorType: ActorType;
  /** a user id, null, or SQL over the source's columns (a batch of payments by several users) */
  actorId: string | null | RawBuilder<unknown>;
  at: Date | RawBuilder<unknown>;
  recordedAt: Date;
  /** why the system did it (SPEC §8.1), as SQL over the source's columns; none by default */
  reason?: RawBuilder<unknown>;
}): RawBuilder<unknown> {
  const time = (t: Date) => sql`${t}::timestamptz`;
  const row: Record<HistoryColumn, RawBuilder<unknown>> = {
    org_id: sql.ref(`${h.source}.org_id`),
    order_id: sql.ref(`${h.source}.id`),
    seq: sql.lit(h.seq),
    from_status: sql.lit(h.from),
    to_status: typeof h.to === 'string' ? sql.lit(h.to) : h.to,
    actor_type: sql.lit(h.actorType),
    actor_id: h.actorId === null ? sql`null` : sql`${h.actorId}`,
    at: h.at instanceof Date ? time(h.at) : h.at,
    recorded_at: time(h.recordedAt),
    reason: h.reason ?? sql`null`,
  };
  return sql`insert into order_history (${sql.join(HISTORY_COLUMNS.map((c) => sql.ref(c)))})
      select ${sql.join(HISTORY_COLUMNS.map((c) => row[c]))} from ${sql.table(h.source)}`;
}

export async function getOrder(db: Queryable, orgId: string, orderId: string): Promise<OrderRow | undefined> {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', orderId)
    .executeTakeFirst();
}

/** Locks the order row: pay and cancel lock the order first, then the balance (one order everywhere). */
export async function lockOrder(tx: Tx, orgId: string, orderId: string): Promise<OrderRow | undefined> {
  return tx
    .selectFrom('orders')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
}

/** The order's history, oldest first, each step with its actor's email (null for the system and the operator). */
export async function getHistory(db: Queryable, orgId: string, orderId: string) {
  return db
    .selectFrom('order_history as h')
    .leftJoin('users as u', (j) => j.onRef('u.id', '=', 'h.actor_id').on('h.actor_type', '=', 'user'))
    .selectAll('h')
    .select('u.email as actor_email')
    .where('h.org_id', '=', orgId)
    .where('h.order_id', '=', orderId)
    .orderBy('h.seq')
    .execute();
}

/**
 * The compare-and-set of a user's transition: it changes the row only if it is still unpaid and still before
 * the system's end (systemEnd: its deadline, or its cluster's expiry or recycle). The returned row says who won.
 */
export async function transitionFromUnpaid(
  tx: Tx,
  orgId: string,
  orderId: string,
  now: Date,
  set: Partial<
    Pick<
      OrdersTable,
      'status' | 'paid_at' | 'paid_by' | 'bill_month' | 'cancelled_at' | 'cancelled_by' | 'timed_out_at'
    >
  >,
): Promise<OrderRow | undefined> {
  let q = tx
    .updateTable('orders')
    .set(set)
    .where('org_id', '=', orgId)
    .where('id', '=', orderId)
    .where('status', '=', 'unpaid');
  q = q
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('cancel_at', 'is', null), eb('cancel_at', '>', now)]));
  return q.returningAll().executeTakeFirst();
}

/**
 * A cancelled new purchase cancels its cluster if it is still waiting for payment: a compare-and-set on the
 * cluster's state, the one-order form of the `cl` step of timeOutDue. Answers the cluster when this call moved it.
 */
export async function cancelPendingCluster(tx: Tx, orgId: string, clusterId: string, now: Date) {
  return tx
    .updateTable('clusters')
    .set({ state: 'cancelled', payment_deadline: null, updated_at: now })
    .where('org_id', '=', orgId)
    .where('id', '=', clusterId)
    .where('state', '=', 'pending_payment')
    .returningAll()
    .executeTakeFirst();
}

/**
 * The cluster's unpaid upgrade or renewal order as stored (SPEC §2: at most one, a unique index). Callers time
 * out and cancel what is due for the cluster first (timeOutDue), so what this finds is payable.
 */
export async function findUnpaidChange(tx: Queryable, orgId: string, clusterId: string) {
  return tx
    .selectFrom('orders')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('cluster_id', '=', clusterId)
    .where('type', 'in', ['upgrade', 'renewal'])
    .where('status', '=', 'unpaid')
    .executeTakeFirst();
}

/** The clusters' unpaid upgrade or renewal orders that are still payable now, by cluster id. */
export async function pendingChanges(db: Queryable, orgId: string, clusterIds: string[], now: Date) {
  if (clusterIds.length === 0) return new Map<string, { id: string; type: OrderType; expiresAt: Date }>();
  const rows = await db
    .selectFrom('orders')
    .select(['id', 'type', 'cluster_id', 'expires_at'])
    .where('org_id', '=', orgId)
    .where('cluster_id', '=', sql<string>`any(${clusterIds}::text[])`)
    .where('type', 'in', ['upgrade', 'renewal'])
    .where(statusIn(['unpaid'], now))
    .execute();
  return new Map(rows.map((r) => [r.cluster_id, { id: r.id, type: r.type, expiresAt: r.expires_at }]));
}

export interface OrderFilters {
  status?: OrderStatus[] | undefined;
  type?: OrderType | undefined;
  projectIds?: string[] | undefined;
  clusterId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
  q?: string | undefined;
}

/** The shortest term looked up through order_search's pieces of three characters. */
const SEARCH_MIN_CHARS = 3;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Effective status in SQL (effectiveStatus): an unpaid order past its system end reads as it ends. */
function statusIn(statuses: OrderStatus[], now: Date): Expression<SqlBool> {
  const parts = statuses.map((s) => {
    switch (s) {
      // systemEnd in SQL: an unpaid order ends at the earlier of its deadline and its cancel_at (a tie is
      // the deadline's).
      case 'unpaid':
        return sql<SqlBool>`(status = 'unpaid' and expires_at > ${now} and (cancel_at is null or cancel_at > ${now}))`;
      case 'timed_out':
        return sql<SqlBool>`(status = 'timed_out' or (status = 'unpaid' and expires_at <= ${now}
          and (cancel_at is null or cancel_at >= expires_at)))`;
      case 'cancelled':
        return sql<SqlBool>`(status = 'cancelled' or (status = 'unpaid' and cancel_at <= ${now}
          and cancel_at < expires_at))`;
      default:
        return sql<SqlBool>`status = ${s}`;
    }
  });
  return sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}

/** Keyset pagination, newest first: (created_at, id) strictly below the cursor. */
export function ordersQuery(db: Queryable, orgId: string, f: OrderFilters, now: Date) {
  let q = db.selectFrom('orders').selectAll().where('org_id', '=', orgId);
  if (f.status?.length) q = q.where(statusIn(f.status, now));
  if (f.type) q = q.where('type', '=', f.type);
  if (f.projectIds) q = q.where('project_id', 'in', f.projectIds.length ? f.projectIds : ['']);
  if (f.clusterId) q = q.where('cluster_id', '=', f.clusterId);
  if (f.createdFrom) q = q.where('created_at', '>=', f.createdFrom);
  if (f.createdTo) q = q.where('created_at', '<', f.createdTo);
  if (f.q) {
    const term = likeEscape(f.q);
    q = q.where((eb) => eb.or([eb('id', 'like', `${term}%`), eb('cluster_name', 'ilike', `%${term}%`)]));
    // The candidates first, from order_search's indexes (migration 0014): ids beginning with the term (a range
    // of its primary key), and names holding every three-character piece of the term (its GIN index) — a
    // superset of the matches, which the condition above then decides. A term of fewer than three characters
    // has no piece to look up; it matches so many orders that the newest ones are found at once without it.
    if ([...f.q].length >= SEARCH_MIN_CHARS) {
      const pieces = sql`order_search_grams(${orgId}, ${f.q})`;
      q = q.where('id', 'in', (eb) =>
        eb
          .selectFrom('order_search')
          .select(sql<string>`order_id collate "default"`.as('order_id'))
          .where('order_search.org_id', '=', orgId)
          .where(sql<SqlBool>`(order_id like ${`${term}%`} or grams @> ${pieces})`),
      );
    }
  }
  return q;
}

export async function listOrders(
  db: Queryable,
  orgId: string,
  f: OrderFilters,
  now: Date,
  page: { limit: number; after?: { createdAt: Date; id: string } | undefined; offset?: number | undefined },
): Promise<OrderRow[]> {
  let q = ordersQuery(db, orgId, f, now);
  if (page.after) {
    const { createdAt, id } = page.after;
    q = q.where(sql<SqlBool>`(created_at, id) < (${createdAt}, ${id})`);
  }
  q = q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  // A page jumped to (跳至第 N 页) starts at a row number, bounded by the contract (ORDER_LIST_MAX_OFFSET).
  if (page.offset) q = q.offset(page.offset);
  return q.execute();
}

/** How many orders listOrders would page through with the same filters (共 N 条). */
export async function countOrders(db: Queryable, orgId: string, f: OrderFilters, now: Date): Promise<number> {
  const row = await ordersQuery(db, orgId, f, now)
    .clearSelect()
    .select(sql<string>`count(*)`.as('total'))
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

/**
 * The system's end of unpaid orders (SPEC §2, §8.1): claims up to `limit` unpaid orders whose end has come
 * (the deadline, or the cluster's expiry or recycle when that is earlier: systemEnd) with SKIP LOCKED, so
 * instances never contend or double-process, and in the same statement persists timed_out or cancelled at
 * that instant, writes the history row (actor system, with the reason for a cancellation), ends a new
 * purchase's cluster as cancelled and emits the order's outbox event (one per order).
 */
export async function timeOutDue(
  db: Queryable,
  now: Date,
  limit: number,
  only?: { orgId: string; clusterId: string },
): Promise<{ count: number; worstLatenessMs: number }> {
  const scope = only ? sql`and org_id = ${only.orgId} and cluster_id = ${only.clusterId}` : sql``;
  const t = sql`${now}::timestamptz`;
  const r = await sql<{ n: number; worst_ms: number | null }>`
    with past_deadline as (
      -- Each claim walks its own partial index in order (orders_unpaid_deadline, orders_unpaid_cancel_at),
      -- so a large backlog is taken oldest first in bounded batches without sorting it.
      select ctid from orders
      where status = 'unpaid' and expires_at <= ${t} ${scope}
      order by expires_at
      limit ${limit}
      for update skip locked
    ), past_cancel_at as (
      select ctid from orders
      where status = 'unpaid' and cancel_at <= ${t} ${scope}
      order by cancel_at
      limit ${limit}
      for update skip locked
    ), upd as (
      -- By row address: a TID scan of the claimed rows, not a join against the whole table.
      update orders o set
        status = case when o.cancel_at < o.expires_at then 'cancelled' else 'timed_out' end,
        timed_out_at = case when o.cancel_at < o.expires_at then null else o.expires_at end,
        cancelled_at = case when o.cancel_at < o.expires_at then o.cancel_at end
      where o.ctid = any (array(select ctid from past_deadline union select ctid from past_cancel_at))
        and o.status = 'unpaid'
      returning o.org_id, o.id, o.type, o.status, o.cluster_id, o.project_id,
        least(o.expires_at, o.cancel_at) as ended_at
    ), hist as (
      ${historyRowSql({
        source: 'upd',
        seq: 2,
        from: 'unpaid',
        to: sql`upd.status`,
        actorType: 'system',
        actorId: null,
        at: sql`upd.ended_at`,
        recordedAt: now,
        reason: sql`case when upd.status = 'cancelled' then
          case when upd.type = 'renewal' then 'cluster_recycled' else 'cluster_expired' end end`,
      })}
    ), cl as (
      update clusters c set state = 'cancelled', payment_deadline = null, updated_at = ${t}
      from upd where upd.type = 'new_purchase' and c.org_id = upd.org_id and c.id = upd.cluster_id
        and c.state = 'pending_payment'
      returning c.org_id, c.id
    ), ev as (
      -- One event per order, for the consumers that tell people (notifications, webhooks); born done for the
      -- outbox job, which acts on order.paid alone, so a large sweep leaves no backlog in front of the
      -- payments' provisioning. The cluster that never started (pending_payment → cancelled) has no event: no
      -- consumer acts on that step, and the order's event already says its cluster ended.
      ${emitSql({
        source: 'upd',
        type: sql`'order.' || upd.status`,
        orgId: sql.ref('upd.org_id'),
        aggregateId: sql.ref('upd.id'),
        payload: sql`jsonb_build_object('orderId', upd.id, 'type', upd.type, 'clusterId', upd.cluster_id,
          'projectId', upd.project_id, 'by', 'system', 'reason', case when upd.status = 'cancelled' then
            case when upd.type = 'renewal' then 'cluster_recycled' else 'cluster_expired' end end)`,
        now,
      })}
    )
    select count(*)::int as n,
      coalesce(max(extract(epoch from (${t} - ended_at)) * 1000), 0)::float8 as worst_ms
    from upd ${sql.raw(PREPARED)}`.execute(db);
  const row = r.rows[0];
  return { count: row?.n ?? 0, worstLatenessMs: Number(row?.worst_ms ?? 0) };
}

export async function orderGauges(db: Queryable, now: Date) {
  const t = sql`${now}::timestamptz`;
  // Effective status (effectiveStatus): an unpaid order past its system end counts as how it ends.
  const r = await sql<{ status: string; n: number }>`
    select case when status = 'unpaid' and least(expires_at, cancel_at) <= ${t}
        then case when cancel_at < expires_at then 'cancelled' else 'timed_out' end
        else status end as status,
      count(*)::int as n
    from orders group by 1`.execute(db);
  const lag = await sql<{ s: number | null }>`
    select extract(epoch from (${t} - min(least(expires_at, cancel_at))))::float8 as s
    from orders where status = 'unpaid' and (expires_at <= ${t} or cancel_at <= ${t})`.execute(db);
  const byStatus: Record<string, number> = { unpaid: 0, paid: 0, cancelled: 0, timed_out: 0 };
  for (const row of r.rows) byStatus[row.status] = row.n;
  return { byStatus, sweeperLagSeconds: Number(lag.rows[0]?.s ?? 0) };
}
