import { type RawBuilder, sql } from 'kysely';
import { PREPARED } from '../db/prepared.js';
import type { Queryable, Tx } from '../db/schema.js';
import { postTransactionSql } from '../ledger/ledger.repository.js';
import { emitSql } from '../outbox/outbox.js';
import type { Catalog } from '../pricing/catalog.js';
import { termDaysSql } from '../pricing/price.js';
import { historyRowSql, type OrderRow, orderColumnsSql } from './orders.repository.js';

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
 * What a payment writes once its order row is `upd` (the order as updated to paid): the ledger transaction
 * (cash −amount, subscription revenue +amount), the history row, the cluster's change and the `order.paid`
 * event, as common table expressions of the payment's statement (`ledger_txn`, `ledger_ent`, `hist`, `chg`,
 * `cl`, `ev`). `upd` may hold one order or a batch of them (at most one per cluster); the ledger transaction's
 * id and the payer are then read from its row.
 */
function paymentEffectsSql(p: {
  now: Date;
  catalog: Catalog;
  ledgerTxnId: string | RawBuilder<unknown>;
  actorType: 'user' | 'system';
  actorId: string | null | RawBuilder<unknown>;
}): RawBuilder<unknown> {
  const now = p.now;
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
    actorType: p.actorType,
    actorId: p.actorId,
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
  return sql`${ledger}, hist as (
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
      from upd, chg where c.org_id = upd.org_id and c.id = upd.cluster_id and chg.org_id = c.org_id and chg.id = c.id and (
        (upd.type = 'new_purchase' and c.state = 'pending_payment')
        or (upd.type = 'renewal' and c.state in ('creating', 'running', 'upgrading', 'expiring', 'expired', 'recycled'))
        or upd.type = 'upgrade')
    ), ev as (
      ${event}
    )`;
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
  const effects = paymentEffectsSql({
    now,
    catalog: p.catalog,
    ledgerTxnId: p.ledgerTxnId,
    actorType: p.payerId === null ? 'system' : 'user',
    actorId: p.payerId,
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
    ), ${effects}
    select ${orderColumnsSql('o')}, exists (select 1 from upd) as paid,
      (select cash from balances where org_id = ${p.orgId}) as cash_before,
      (select cash from b) as cash_after
    from o ${sql.raw(PREPARED)}`.execute(db);
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

/**
 * The compare-and-set of a batch's orders to paid, as the body of the CTE `upd` that paymentEffectsSql reads: each
 * order of CTE `source` (org_id, id, ledger_txn_id, payer_id) whose org's cash CTE `debited` (org_id) took, if it
 * is still unpaid before its deadline and its system cancellation. Each row returned carries its ledger
 * transaction's id and its payer.
 */
function markPaidSql(p: {
  source: string;
  debited: string;
  now: Date;
  billMonth: string;
}): RawBuilder<unknown> {
  const col = (c: string) => sql.ref(`${p.source}.${c}`);
  return sql`update orders set status = 'paid', paid_at = ${p.now}::timestamptz, paid_by = ${col('payer_id')},
        bill_month = ${p.billMonth}
      from ${sql.table(p.source)} join ${sql.table(p.debited)} on ${sql.ref(`${p.debited}.org_id`)} = ${col('org_id')}
      where orders.org_id = ${col('org_id')} and orders.id = ${col('id')} and orders.status = 'unpaid'
        and orders.expires_at > ${p.now}::timestamptz
        and (orders.cancel_at is null or orders.cancel_at > ${p.now}::timestamptz)
      returning orders.*, ${col('ledger_txn_id')} as pay_ledger_txn_id, ${col('payer_id')} as pay_payer_id`;
}

/** paymentEffectsSql for the orders markPaidSql paid: each with its own ledger transaction and payer. */
function batchPaymentEffectsSql(now: Date, catalog: Catalog): RawBuilder<unknown> {
  return paymentEffectsSql({
    now,
    catalog,
    ledgerTxnId: sql.ref('upd.pay_ledger_txn_id'),
    actorType: 'user',
    actorId: sql.ref('upd.pay_payer_id'),
  });
}

/** One payment of a batch whose orgs are all different (payEachOrgOnceStatement). */
export interface OnePerOrgPayment {
  orgId: string;
  orderId: string;
  payerId: string;
  ledgerTxnId: string;
  /** null: every project; otherwise the projects where the payer's role allows paying */
  projectIds: string[] | null;
}

/**
 * A batch of payments of different orgs, in one statement (autocommit): each is payInOneStatement's decision and
 * writes for its own order and its own org's cash, independent of the others, as no two share a balance or a
 * cluster. The orders are locked first in one global order (org, then id), then their balances in org order,
 * as everywhere, so batches on any number of instances never wait for each other in a cycle. Answers, per
 * payment found, the order as locked, whether it was paid, and its org's cash before and after.
 */
export async function payEachOrgOnceStatement(
  db: Queryable,
  p: { now: Date; billMonth: string; catalog: Catalog; payments: OnePerOrgPayment[] },
): Promise<Map<string, PayStatementResult>> {
  const now = p.now;
  const effects = batchPaymentEffectsSql(now, p.catalog);
  const col = <K extends keyof OnePerOrgPayment>(k: K) => p.payments.map((x) => x[k]);
  // The payer's projects as one text per payment (ids never hold a comma); null: every project.
  const scopes = p.payments.map((x) => (x.projectIds === null ? null : x.projectIds.join(',')));
  const r = await sql<OrderRow & { paid: boolean; cash_before: number | null; cash_after: number | null }>`
    with pay as (
      select * from unnest(${col('orgId')}::text[], ${col('orderId')}::text[], ${col('ledgerTxnId')}::text[],
        ${col('payerId')}::text[], ${scopes}::text[]) as pay(org_id, id, ledger_txn_id, payer_id, scope)
    ), o as (
      select x.* from orders x join pay on x.org_id = pay.org_id and x.id = pay.id
      order by x.org_id, x.id for update of x
    ), ok as (
      select o.org_id, o.id, o.amount, pay.ledger_txn_id, pay.payer_id
      from o join pay on pay.org_id = o.org_id and pay.id = o.id
      where o.status = 'unpaid' and o.expires_at > ${now}::timestamptz
        and (o.cancel_at is null or o.cancel_at > ${now}::timestamptz)
        and (pay.scope is null or o.project_id = any(string_to_array(pay.scope, ',')))
    ), bl as (
      select balances.org_id, balances.cash from balances join ok on ok.org_id = balances.org_id
      order by balances.org_id for update of balances
    ), b as (
      update balances set cash = balances.cash - ok.amount, updated_at = ${now}::timestamptz
      from bl join ok on ok.org_id = bl.org_id
      where balances.org_id = bl.org_id and balances.cash >= ok.amount
      returning balances.org_id, balances.cash
    ), upd as (
      ${markPaidSql({ source: 'ok', debited: 'b', now, billMonth: p.billMonth })}
    ), ${effects}
    select ${orderColumnsSql('o')}, exists (select 1 from upd where upd.org_id = o.org_id) as paid,
      coalesce((select cash from bl where bl.org_id = o.org_id),
        (select cash from balances where balances.org_id = o.org_id)) as cash_before,
      (select cash from b where b.org_id = o.org_id) as cash_after
    from o ${sql.raw(PREPARED)}`.execute(db);
  const out = new Map<string, PayStatementResult>();
  for (const { paid, cash_before, cash_after, ...before } of r.rows) {
    out.set(before.org_id, {
      before,
      paid,
      cashBefore: Number(cash_before ?? 0),
      cashAfter: cash_after === null ? null : Number(cash_after),
    });
  }
  return out;
}

/** One payment of a batch that was decided to pay (payBatchStatement). */
export interface BatchPayment {
  orgId: string;
  orderId: string;
  payerId: string;
  ledgerTxnId: string;
}

/**
 * Locks a batch's orders in one global order (org, then order id), so that batches on any number of instances
 * never wait for each other in a cycle, and reads each as it is, with whether its status and deadlines let it
 * be paid at `now` (compared in the database, at its precision). Orders not found are absent.
 */
export async function lockOrdersForBatch(
  tx: Tx,
  keys: { orgId: string; orderId: string }[],
  now: Date,
): Promise<(OrderRow & { payable: boolean })[]> {
  const r = await sql<OrderRow & { payable: boolean }>`
    select ${orderColumnsSql('o')}, (o.status = 'unpaid' and o.expires_at > ${now}::timestamptz
        and (o.cancel_at is null or o.cancel_at > ${now}::timestamptz)) as payable
    from orders o
    join unnest(${keys.map((k) => k.orgId)}::text[], ${keys.map((k) => k.orderId)}::text[]) as k(org_id, id)
      on o.org_id = k.org_id and o.id = k.id
    order by o.org_id, o.id
    for update of o ${sql.raw(PREPARED)}`.execute(tx);
  return r.rows;
}

/** Locks the orgs' balances in org order (after their orders, as everywhere) and answers each org's cash. */
export async function lockBalances(tx: Tx, orgIds: string[]): Promise<Map<string, number>> {
  const r = await sql<{ org_id: string; cash: number }>`
    select org_id, cash from balances where org_id = any(${orgIds}::text[]) order by org_id for update
    ${sql.raw(PREPARED)}`.execute(tx);
  return new Map(r.rows.map((b) => [b.org_id, Number(b.cash)]));
}

/**
 * Pays a batch of payments already decided under their locks (lockOrdersForBatch, lockBalances), in one
 * statement: each org's cash is debited by the total it pays, only if it is there; each order is compare-and-set
 * to paid and gets its own ledger transaction, history row, cluster change and `order.paid` event — exactly
 * what payInOneStatement writes for one. At most one payment per cluster. Answers how many orders were paid
 * and how many balances debited, for the caller to check against what it decided.
 */
export async function payBatchStatement(
  tx: Tx,
  p: {
    now: Date;
    billMonth: string;
    catalog: Catalog;
    payments: BatchPayment[];
    debits: { orgId: string; amount: number }[];
  },
): Promise<{ paid: number; debited: number }> {
  const now = p.now;
  const effects = batchPaymentEffectsSql(now, p.catalog);
  const col = <K extends keyof BatchPayment>(k: K) => p.payments.map((x) => x[k]);
  const r = await sql<{ paid: number; debited: number }>`
    with pay as (
      select * from unnest(${col('orgId')}::text[], ${col('orderId')}::text[], ${col('ledgerTxnId')}::text[],
        ${col('payerId')}::text[]) as pay(org_id, id, ledger_txn_id, payer_id)
    ), debit as (
      select * from unnest(${p.debits.map((d) => d.orgId)}::text[], ${p.debits.map((d) => d.amount)}::int8[])
        as debit(org_id, amount)
    ), b as (
      update balances set cash = balances.cash - debit.amount, updated_at = ${now}::timestamptz
      from debit where balances.org_id = debit.org_id and balances.cash >= debit.amount
      returning balances.org_id
    ), upd as (
      ${markPaidSql({ source: 'pay', debited: 'b', now, billMonth: p.billMonth })}
    ), ${effects}
    select (select count(*) from upd)::int as paid, (select count(*) from b)::int as debited
    ${sql.raw(PREPARED)}`.execute(tx);
  const row = r.rows[0]!;
  return { paid: Number(row.paid), debited: Number(row.debited) };
}
