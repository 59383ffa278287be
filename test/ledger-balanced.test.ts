import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buyCluster, createOrg, type OrgFixture, pay, topUp } from './factories.js';
import { startTestTally, type TestTally } from './harness.js';

/**
 * The database keeps every ledger transaction balanced (migration 0007): the entries of a transaction sum to
 * zero when it commits, whoever writes them.
 */
describe('balanced ledger transactions in the database', () => {
  let t: TestTally;
  let org: OrgFixture;
  const at = new Date('2026-11-02T08:00:00Z');

  beforeAll(async () => {
    t = await startTestTally();
    org = await createOrg(t);
  });

  const txnRow = (id: string) => ({
    org_id: org.id,
    id,
    kind: 'reversal' as const,
    ref_id: id,
    memo: null,
    created_at: at,
  });
  const entry = (txnId: string, account: 'cash' | 'bank_clearing', amount: number) => ({
    org_id: org.id,
    txn_id: txnId,
    account,
    amount,
    currency: 'CNY',
    order_id: null,
    created_at: at,
  });
  const countTxn = async (id: string) =>
    (
      await t.deps.db
        .selectFrom('ledger_transactions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('org_id', '=', org.id)
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).n;

  it('refuses, at commit, a transaction whose entries do not sum to zero, and keeps nothing of it', async () => {
    let statementsDone = false;
    const commit = t.deps.db.transaction().execute(async (tx) => {
      await tx.insertInto('ledger_transactions').values(txnRow('ltx_unbalanced')).execute();
      await tx
        .insertInto('ledger_entries')
        .values([entry('ltx_unbalanced', 'cash', 500), entry('ltx_unbalanced', 'bank_clearing', -499)])
        .execute();
      // Deferred: each statement is accepted, the commit is not.
      statementsDone = true;
    });
    await expect(commit).rejects.toThrow(/unbalanced ledger transaction ltx_unbalanced/);
    expect(statementsDone).toBe(true);
    expect(Number(await countTxn('ltx_unbalanced'))).toBe(0);
  });

  it('refuses a one-sided transaction written in autocommit', async () => {
    await t.deps.db.insertInto('ledger_transactions').values(txnRow('ltx_one_sided')).execute();
    await expect(
      t.deps.db
        .insertInto('ledger_entries')
        .values(entry('ltx_one_sided', 'cash', 100))
        .execute(),
    ).rejects.toThrow(/unbalanced ledger transaction ltx_one_sided/);
    const entries = await sql<{ n: number }>`
      select count(*)::int as n from ledger_entries where org_id = ${org.id} and txn_id = 'ltx_one_sided'`.execute(
      t.deps.db,
    );
    expect(entries.rows[0]?.n).toBe(0);
  });

  it('accepts a balanced transaction written by several statements', async () => {
    await t.deps.db.transaction().execute(async (tx) => {
      await tx.insertInto('ledger_transactions').values(txnRow('ltx_balanced')).execute();
      await tx
        .insertInto('ledger_entries')
        .values(entry('ltx_balanced', 'cash', 700))
        .execute();
      await tx
        .insertInto('ledger_entries')
        .values(entry('ltx_balanced', 'bank_clearing', -700))
        .execute();
    });
    expect(Number(await countTxn('ltx_balanced'))).toBe(1);
  });

  it('lets the normal flows commit: a top-up and a payment', async () => {
    const { order } = await buyCluster(t, org);
    await topUp(t, org, order.amount);
    const r = await pay(t, org.id, order.id, org.admin);
    expect(r.status).toBe(200);
    expect(r.json.order.status).toBe('paid');
    const kinds = await sql<{ kind: string; total: string }>`
      select t.kind, sum(e.amount)::text as total
      from ledger_transactions t join ledger_entries e on e.org_id = t.org_id and e.txn_id = t.id
      where t.org_id = ${org.id} and t.kind in ('topup', 'order_payment')
      group by t.id, t.kind order by t.kind`.execute(t.deps.db);
    expect(kinds.rows).toEqual([
      { kind: 'order_payment', total: '0' },
      { kind: 'topup', total: '0' },
    ]);
  });
});
