import { sql } from 'kysely';
import type { Queryable } from '../db/schema.js';
import { postTransactionSql } from '../ledger/ledger.repository.js';
import { emitSql } from '../outbox/outbox.js';
import type { Catalog } from '../pricing/catalog.js';
import { termDaysSql } from '../pricing/price.js';
import { historyRowSql, type OrderRow } from './orders.repository.js';

export interface PayStatementInput {
  orgId: string;
  orderId: string;
  now: Date;
  /** the paying user, or null: the system (an auto-renew attempt, SPEC §8.4) */
  payerId: string | null;
  billMonth: string;
  ledgerTxnId: string;
  /** null: every project; otherwise the projects where the payer's role allows paying */
  projectIds: string[] | null;
  /** the term rule (termDays) that starts a new purchase's cluster term */
  catalog: Catalog;
}

export interface PayStatementResult {
  /** the order as it was when locked (undefined: no such order) */
  before: OrderRow | undefined;
  paid: boolean;
  cashBefore: number;
  cashAfter: number | null;
}

/**
 * 支付 as one statement, the hot path: lock the order, take the money only if it is there, compare-and-set
 * the order, append the balanced ledger transaction, the history row, start the cluster's term and emit the
 * outbox event — all or nothing. The order row is locked before the balance row, as everywhere. When the
 * payment is refused nothing is written, and the caller decides why from `before` (404, 403, 409, 402).
 * Each part that another module owns is that module's fragment: the ledger posting (postTransactionSql), the
 * history row (historyRowSql), the term (termDaysSql), the event (emitSql). Being one statement, it runs on a
 * transaction or on the database itself (autocommit).
 */
export async function payInOneStatement(db: Queryable, p: PayStatementInput): Promise<PayStatementResult> {
  const now = p.now;
  const projectFilter = p.projectIds === null ? sql`true` : sql`o.project_id = any(${p.projectIds}::text[])`;
  const ledger = postTransactionSql({
    name: 'ledger',
    source: 'upd',
    id: p.ledgerTxnId,
    kind: 'order_payment',
    orgId: sql.ref('upd.org_id'),
    refId: sql.ref('upd.id'),
    memo: sql`'order ' || upd.id`,
    currency: sql.ref('upd.currency'),
    amount: sql.ref('upd.amount'),
    orderId: sql.ref('upd.id'),
    now,
    entries: [
      { account: 'cash', sign: -1 },
      { account: 'subscription_revenue', sign: 1 },
    ],
  });
  const history = historyRowSql({
    source: 'upd',
    seq: 2,
    from: 'unpaid',
    to: 'paid',
    actorType: p.payerId === null ? 'system' : 'user',
    actorId: p.payerId,
    at: now,
    recordedAt: now,
  });
  const termDays = termDaysSql(p.catalog, {
    unit: sql`upd.config->'term'->>'unit'`,
    count: sql`upd.config->'term'->>'count'`,
  });
  const event = emitSql({
    source: 'upd',
    type: 'order.paid',
    orgId: sql.ref('upd.org_id'),
    aggregateId: sql.ref('upd.id'),
    payload: sql`jsonb_build_object('orderId', upd.id, 'type', upd.type, 'clusterId', upd.cluster_id,
        'amount', upd.amount, 'config', upd.config)`,
    now,
  });
  const r = await sql<OrderRow & { paid: boolean; cash_before: number; cash_after: number | null }>`
    with o as (
      select * from orders where org_id = ${p.orgId} and id = ${p.orderId} for update
    ), ok as (
      select o.* from o where o.status = 'unpaid' and o.expires_at > ${now}::timestamptz
        and (o.cancel_at is null or o.cancel_at > ${now}::timestamptz) and ${projectFilter}
    ), b as (
      update balances set cash = balances.cash - ok.amount, updated_at = ${now}::timestamptz
      from ok where balances.org_id = ${p.orgId} and balances.cash >= ok.amount
      returning balances.cash
    ), upd as (
      update orders set status = 'paid', paid_at = ${now}::timestamptz, paid_by = ${p.payerId}, bill_month = ${p.billMonth}
      from b where orders.org_id = ${p.orgId} and orders.id = ${p.orderId} and orders.status = 'unpaid'
        and orders.expires_at > ${now}::timestamptz
        and (orders.cancel_at is null or orders.cancel_at > ${now}::timestamptz)
      returning orders.*
    ), ${ledger}, hist as (
      ${history}
    ), chg as (
      -- What the payment does to its cluster, decided once from the cluster as this statement sees it.
      select c.org_id, c.id,
        upd.type = 'upgrade' and (upd.pricing ? 'newTerm') as new_term,
        -- An upgrade starts applying at once (upgrading, towards the size paid for), so that no second upgrade
        -- or renewal can be priced on the old size while provisioning has not picked it up yet; provisioning
        -- then sets when it is ready.
        upd.type = 'upgrade' and (c.state in ('running', 'expiring')
          or ((upd.pricing ? 'newTerm') and c.state in ('expired', 'recycled'))) as upgrading,
        -- Paid before the expiry but the term job persisted it first (another instance, the same instant):
        -- the cluster is stopped, so the size paid for applies at once and its state stays.
        upd.type = 'upgrade' and not (upd.pricing ? 'newTerm') and c.state in ('expired', 'recycled') as applied
      from upd join clusters c on c.org_id = upd.org_id and c.id = upd.cluster_id
    ), cl as (
      -- The term (SPEC §8): a new purchase starts it at payment; a renewal adds its term to the old end
      -- (also inside the expired buffer), and an expired or expiring cluster runs again at once; an upgrade
      -- that takes a new term starts it at payment. The cluster's term becomes the one just bought. The order
      -- was payable (before its cancel_at: the expiry for an upgrade, the recycle for a renewal), so a state
      -- the term job persisted in the meantime, on another instance at the same instant, is undone here.
      update clusters c set
        term_ends_at = case
          when upd.type = 'renewal' then c.term_ends_at + make_interval(days => ${termDays})
          when upd.type = 'upgrade' and not chg.new_term then c.term_ends_at
          else ${now}::timestamptz + make_interval(days => ${termDays}) end,
        term_unit = case when upd.type = 'upgrade' and not chg.new_term then c.term_unit
          else upd.config->'term'->>'unit' end,
        term_count = case when upd.type = 'upgrade' and not chg.new_term then c.term_count
          else (upd.config->'term'->>'count')::int end,
        state = case
          when chg.upgrading then 'upgrading'
          when upd.type = 'renewal' and c.state in ('expiring', 'expired', 'recycled') then 'running'
          else c.state end,
        target_cu_size = case when chg.upgrading then (upd.config->>'cuSize')::int else c.target_cu_size end,
        target_replicas = case when chg.upgrading then (upd.config->>'replicas')::int else c.target_replicas end,
        ready_at = case when chg.upgrading then null else c.ready_at end,
        cu_size = case when chg.applied then (upd.config->>'cuSize')::int else c.cu_size end,
        replicas = case when chg.applied then (upd.config->>'replicas')::int else c.replicas end,
        payment_deadline = null, updated_at = ${now}::timestamptz
      from upd, chg where c.org_id = upd.org_id and c.id = upd.cluster_id and chg.id = c.id and (
        (upd.type = 'new_purchase' and c.state = 'pending_payment')
        or (upd.type = 'renewal' and c.state in ('creating', 'running', 'upgrading', 'expiring', 'expired', 'recycled'))
        or upd.type = 'upgrade')
    ), ev as (
      ${event}
    )
    select o.*, exists (select 1 from upd) as paid,
      (select cash from balances where org_id = ${p.orgId}) as cash_before,
      (select cash from b) as cash_after
    from o`.execute(db);
  const row = r.rows[0];
  if (!row) return { before: undefined, paid: false, cashBefore: 0, cashAfter: null };
  const { paid, cash_before, cash_after, ...before } = row;
  return {
    before,
    paid,
    cashBefore: Number(cash_before),
    cashAfter: cash_after === null ? null : Number(cash_after),
  };
}
