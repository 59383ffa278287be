import { type Expression, type RawBuilder, sql } from 'kysely';
import type { LedgerEntriesTable, LedgerTransactionsTable, Queryable, Tx } from '../db/schema.js';

export type Account = 'cash' | 'bank_clearing' | 'subscription_revenue' | 'payg_revenue';
export type TxnKind = 'topup' | 'order_payment' | 'bill_payment' | 'reversal';

export interface EntryInput {
  account: Account;
  /** signed minor units; for the org's cash account, positive is money the org holds */
  amount: number;
  orderId?: string | null;
}

export interface TransactionInput {
  orgId: string;
  id: string;
  kind: TxnKind;
  refId: string;
  memo?: string;
  currency: string;
  now: Date;
  entries: EntryInput[];
}

/**
 * The columns every writer of a ledger transaction and its entries sets, in this order: postTransactions
 * and postTransactionSql both write exactly these (the rest are the database's: identity, public_id).
 */
const TXN_COLUMNS = ['org_id', 'id', 'kind', 'ref_id', 'memo', 'created_at'] as const;
const ENTRY_COLUMNS = [
  'org_id',
  'txn_id',
  'account',
  'amount',
  'currency',
  'order_id',
  'created_at',
] as const;
type TxnColumn = (typeof TXN_COLUMNS)[number] & keyof LedgerTransactionsTable;
type EntryColumn = (typeof ENTRY_COLUMNS)[number] & keyof LedgerEntriesTable;

/**
 * Double entry: a transaction has at least two entries and they sum to zero. Checked before anything is
 * written; the database checks it again when the transaction commits (migration 0007).
 */
function assertBalanced(id: string, amounts: readonly number[]): void {
  const sum = amounts.reduce((s, a) => s + a, 0);
  if (sum !== 0 || amounts.length < 2) throw new Error(`unbalanced ledger transaction ${id}: sum ${sum}`);
}

/**
 * Appends one balanced ledger transaction. The entries must sum to zero (double entry); the database
 * refuses a second transaction of the same kind for the same reference (one debit per order, one credit
 * per bank reference) and any update or delete of an entry.
 */
export async function postTransaction(tx: Tx, t: TransactionInput): Promise<void> {
  await postTransactions(tx, [t]);
}

/** postTransaction for many transactions at once: two statements per thousand, whatever the count. */
export async function postTransactions(tx: Tx, ts: TransactionInput[]): Promise<void> {
  for (const t of ts)
    assertBalanced(
      t.id,
      t.entries.map((e) => e.amount),
    );
  for (let i = 0; i < ts.length; i += 1000) {
    const chunk = ts.slice(i, i + 1000);
    await tx
      .insertInto('ledger_transactions')
      .values(
        chunk.map(
          (t) =>
            ({
              org_id: t.orgId,
              id: t.id,
              kind: t.kind,
              ref_id: t.refId,
              memo: t.memo ?? null,
              created_at: t.now,
            }) satisfies Record<TxnColumn, unknown>,
        ),
      )
      .execute();
    await tx
      .insertInto('ledger_entries')
      .values(
        chunk.flatMap((t) =>
          t.entries.map(
            (e) =>
              ({
                org_id: t.orgId,
                txn_id: t.id,
                account: e.account,
                amount: e.amount,
                currency: t.currency,
                order_id: e.orderId ?? null,
                created_at: t.now,
              }) satisfies Record<EntryColumn, unknown>,
          ),
        ),
      )
      .execute();
  }
}

/** An expression of a statement that posts a transaction: a value, or SQL over the source's columns. */
type SqlValue = Expression<unknown> | RawBuilder<unknown>;

/**
 * postTransaction as two common table expressions of a larger statement (`<name>_txn`, `<name>_ent`), for a
 * use case that must stay one statement (the payment): for the row of the CTE `source`, if there is one, it
 * posts the transaction `id` with one entry per account, each `sign × amount` in the source's currency. The
 * source has at most one row when the id is one value; with the id read from the source's row, any number (a
 * batch of payments). The signs are checked like postTransaction's amounts.
 */
export function postTransactionSql(p: {
  name: string;
  source: string;
  /** the transaction's id, or SQL over the source's columns (one transaction per row) */
  id: string | SqlValue;
  kind: TxnKind;
  orgId: SqlValue;
  refId: SqlValue;
  memo: SqlValue;
  currency: SqlValue;
  /** the transaction's magnitude, in minor units */
  amount: SqlValue;
  orderId: SqlValue;
  now: Date;
  entries: { account: Account; sign: 1 | -1 }[];
}): RawBuilder<unknown> {
  assertBalanced(
    typeof p.id === 'string' ? p.id : `of ${p.source}`,
    p.entries.map((e) => e.sign),
  );
  const now = sql`${p.now}::timestamptz`;
  const txn: Record<TxnColumn, SqlValue> = {
    org_id: p.orgId,
    id: sql`${p.id}`,
    kind: sql.lit(p.kind),
    ref_id: p.refId,
    memo: p.memo,
    created_at: now,
  };
  const entry: Record<EntryColumn, SqlValue> = {
    org_id: p.orgId,
    txn_id: sql`${p.id}`,
    account: sql`v.account`,
    amount: sql`v.sign * ${p.amount}`,
    currency: p.currency,
    order_id: p.orderId,
    created_at: now,
  };
  const accounts = p.entries.map((e) => sql`(${sql.lit(e.account)}, ${sql.lit(e.sign)})`);
  const columns = (cs: readonly string[]) => sql.join(cs.map((c) => sql.ref(c)));
  const source = sql.table(p.source);
  return sql`${sql.table(`${p.name}_txn`)} as (
      insert into ledger_transactions (${columns(TXN_COLUMNS)})
      select ${sql.join(TXN_COLUMNS.map((c) => txn[c]))} from ${source}
    ), ${sql.table(`${p.name}_ent`)} as (
      insert into ledger_entries (${columns(ENTRY_COLUMNS)})
      select ${sql.join(ENTRY_COLUMNS.map((c) => entry[c]))}
      from ${source} cross join (values ${sql.join(accounts)}) as v(account, sign)
    )`;
}

/**
 * Takes each org's amount from its cash if and only if it is there, for many orgs in one statement (each org
 * at most once): one conditional update, so two payers can never both spend the same money. Returns the orgs
 * debited.
 */
export async function debitCashMany(
  tx: Tx,
  debits: { orgId: string; amount: number }[],
  now: Date,
): Promise<Set<string>> {
  if (debits.length === 0) return new Set();
  if (new Set(debits.map((d) => d.orgId)).size !== debits.length) throw new Error('one debit per org');
  const r = await sql<{ org_id: string }>`
    update balances b set cash = b.cash - q.amount, updated_at = ${now}
    from unnest(${debits.map((d) => d.orgId)}::text[], ${debits.map((d) => d.amount)}::bigint[]) as q(org_id, amount)
    where b.org_id = q.org_id and b.cash >= q.amount
    returning b.org_id`.execute(tx);
  return new Set(r.rows.map((x) => x.org_id));
}

export async function creditCash(tx: Tx, orgId: string, amount: number, now: Date): Promise<number> {
  const row = await tx
    .updateTable('balances')
    .set({ cash: sql`cash + ${amount}`, updated_at: now })
    .where('org_id', '=', orgId)
    .returning('cash')
    .executeTakeFirstOrThrow();
  return row.cash;
}

export async function getCash(
  db: Queryable,
  orgId: string,
): Promise<{ cash: number; currency: string } | undefined> {
  return db
    .selectFrom('balances')
    .select(['cash', 'currency'])
    .where('org_id', '=', orgId)
    .executeTakeFirst();
}

/** The ledger's filters: one transaction kind, entries created in [from, to). */
export interface EntryFilters {
  kind?: TxnKind;
  from?: Date;
  to?: Date;
}

/** The org's cash entries matching the filters, newest first (by their internal position). */
function entriesQuery(db: Queryable, orgId: string, f: EntryFilters) {
  let q = db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', (j) =>
      j.onRef('t.org_id', '=', 'e.org_id').onRef('t.id', '=', 'e.txn_id'),
    )
    .select([
      'e.id',
      'e.public_id',
      'e.txn_id',
      'e.account',
      'e.amount',
      'e.currency',
      'e.order_id',
      'e.created_at',
      't.kind',
      't.ref_id',
      't.memo',
    ])
    .where('e.org_id', '=', orgId)
    .where('e.account', '=', 'cash')
    .orderBy('e.id', 'desc');
  if (f.kind) q = q.where('t.kind', '=', f.kind);
  if (f.from) q = q.where('e.created_at', '>=', f.from);
  if (f.to) q = q.where('e.created_at', '<', f.to);
  return q;
}

/**
 * The org's cash entries, newest first. `before` is the public id of the last entry already shown: the page
 * continues below that entry's internal position, which the caller never sees.
 */
export async function listEntries(
  db: Queryable,
  orgId: string,
  opts: EntryFilters & { before?: string; limit: number },
) {
  let q = entriesQuery(db, orgId, opts).limit(opts.limit + 1);
  const before = opts.before;
  if (before !== undefined)
    q = q.where('e.id', '<', (eb) =>
      eb
        .selectFrom('ledger_entries as c')
        .select('c.id')
        .where('c.org_id', '=', orgId)
        .where('c.public_id', '=', before),
    );
  return q.execute();
}

export type EntryRow = Awaited<ReturnType<typeof listEntries>>[number];

/**
 * Every cash entry matching the filters, newest first, read in keyset batches (below the last internal
 * position read): memory stays at one batch whatever the count.
 */
export async function* entriesInBatches(
  db: Queryable,
  orgId: string,
  f: EntryFilters,
  batch = 2_000,
): AsyncIterable<EntryRow> {
  let below: EntryRow['id'] | undefined;
  for (;;) {
    let q = entriesQuery(db, orgId, f).limit(batch);
    if (below !== undefined) q = q.where('e.id', '<', below);
    const rows = await q.execute();
    for (const r of rows) yield r;
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return;
    below = last.id;
  }
}

/** For audits and tests: the org's cash balance as the sum of its entries. */
export async function sumCashEntries(db: Queryable, orgId: string): Promise<number> {
  const r = await db
    .selectFrom('ledger_entries')
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as('s'))
    .where('org_id', '=', orgId)
    .where('account', '=', 'cash')
    .executeTakeFirstOrThrow();
  return Number(r.s);
}
