import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueDueBills } from '../../server/src/billing/issue-bill.js';
import { bankImport } from '../../server/src/cli/bank-import.js';
import type { CliContext } from '../../server/src/cli/context.js';
import { silentProgress } from '../../server/src/cli/progress.js';
import { seed } from '../../server/src/cli/seed.js';
import { api, buyCluster, createOrg } from '../factories.js';
import { BILLING_TEST_CATALOG, startTestTally, type TestTally } from '../harness.js';

let t: TestTally;
let ctx: CliContext;
const dir = mkdtempSync(join(tmpdir(), 'tally-cli-'));

beforeAll(async () => {
  t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
  // The CLI's commands, in-process on the test database (the binary only adds argument parsing).
  ctx = {
    config: t.config,
    database: { db: t.deps.db, engine: t.deps.engine, close: async () => {} },
    catalog: BILLING_TEST_CATALOG,
    now: () => t.clock.now(),
  };
});

describe('tally bank-import', () => {
  it('credits a statement once per bank reference, keeps unknown codes, and is idempotent when run twice', async () => {
    const org = await createOrg(t);
    const file = join(dir, 'statement.csv');
    writeFileSync(
      file,
      '\uFEFFdate,bank_reference,remittance_code,amount,currency,payer\r\n' +
        `2026-11-02,B-${org.id}-1,${org.remittanceCode},"1,234.56",CNY,某某科技有限公司\r\n` +
        `2026-11-02,B-${org.id}-2,110923456710601${org.remittanceCode},100,CNY,full account number\r\n` +
        `2026-11-02,B-${org.id}-1,${org.remittanceCode},"1,234.56",CNY,same reference again\r\n` +
        `2026-11-02,B-${org.id}-3,123456789,5.00,CNY,unknown code\r\n` +
        `2026-11-02,B-${org.id}-4,${org.remittanceCode},12.345,CNY,bad amount\r\n`,
    );
    const first = await bankImport(ctx, file, silentProgress);
    expect(first).toMatchObject({
      rows: 5,
      credited: 2,
      duplicate: 1,
      unmatched: 1,
      invalid: 1,
      creditedAmount: 133456,
    });
    const second = await bankImport(ctx, file, silentProgress);
    expect(second).toMatchObject({ credited: 0, duplicate: 4, unmatched: 0, invalid: 1, creditedAmount: 0 });
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(133456);
    const topups = await api(t, 'GET', `/v1/orgs/${org.id}/topups`, { auth: org.admin.auth });
    expect(topups.json.items).toHaveLength(2);
  });
});

describe('tally seed', () => {
  it('makes orgs and orders that keep every invariant, and the API serves them', async () => {
    const r = await seed(
      ctx,
      { orgs: 7, orders: 500, days: 30, cashFen: 1_000_000, chunkOrgs: 3 },
      silentProgress,
    );
    expect(r.orgs).toHaveLength(7);
    expect(r.orders).toBe(500);
    const like = `org_S${r.run}x%`;
    // balances equal the sum of cash entries; every ledger transaction balances
    const bad = await sql<{ org_id: string }>`
      select b.org_id from balances b
      where b.org_id like ${like}
        and b.cash <> (select coalesce(sum(amount), 0) from ledger_entries e where e.org_id = b.org_id and e.account = 'cash')`.execute(
      t.deps.db,
    );
    expect(bad.rows).toEqual([]);
    const unbalanced = await sql<{ n: number }>`
      select count(*)::int as n from (select txn_id from ledger_entries where org_id like ${like}
        group by org_id, txn_id having sum(amount) <> 0) x`.execute(t.deps.db);
    expect(unbalanced.rows[0]!.n).toBe(0);
    const shape = await sql<{ status: string; n: number; hist: number; ledger: number }>`
      select o.status, count(*)::int as n,
        sum((select count(*) from order_history h where h.org_id = o.org_id and h.order_id = o.id))::int as hist,
        sum((select count(*) from ledger_transactions l where l.org_id = o.org_id and l.ref_id = o.id))::int as ledger
      from orders o where o.org_id like ${like} group by o.status order by o.status`.execute(t.deps.db);
    for (const s of shape.rows) {
      expect(s.hist).toBe(s.status === 'unpaid' ? s.n : 2 * s.n);
      expect(s.ledger).toBe(s.status === 'paid' ? s.n : 0);
    }
    expect(shape.rows.map((s) => s.status).sort()).toEqual(['cancelled', 'paid', 'timed_out', 'unpaid']);
    // One usage batch of 1,000 events over hundreds of distinct clusters (a long tuple IN-list once stalled PGlite).
    const paidClusters = await t.deps.db
      .selectFrom('orders')
      .select(['org_id', 'cluster_id'])
      .where('org_id', 'like', like)
      .where('status', '=', 'paid')
      .execute();
    expect(paidClusters.length).toBeGreaterThan(250);
    const events = Array.from({ length: 1000 }, (_, i) => {
      const c = paidClusters[i % paidClusters.length]!;
      return {
        id: `seed-usage-${i}`,
        orgId: c.org_id,
        clusterId: c.cluster_id,
        metric: i % 2 ? 'backup' : 'storage',
        quantity: 10,
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-01T02:00:00Z',
      };
    });
    const ingested = await api(t, 'POST', '/v1/internal/usage', { auth: t.op, body: { events } });
    expect(ingested.status, ingested.body.slice(0, 300)).toBe(200);
    expect(ingested.json).toMatchObject({ accepted: 1000, duplicates: 0 });
    // The seeded Org Admin's API key works; unpaid seeded orders are payable from the seeded cash.
    const o = r.orgs[0]!;
    const auth = { authorization: `Bearer ${o.apiKey}` };
    const list = await api(t, 'GET', `/v1/orgs/${o.id}/orders?status=unpaid&limit=1`, { auth });
    expect(list.status).toBe(200);
    const unpaid = list.json.items[0];
    expect(unpaid.status).toBe('unpaid');
    const paid = await api(t, 'POST', `/v1/orgs/${o.id}/orders/${unpaid.id}/pay`, { auth });
    expect(paid.status, paid.body).toBe(200);
    // and the org can still buy through the API as usual
    const org = {
      id: o.id,
      remittanceCode: o.remittanceCode,
      projects: [{ id: list.json.items[0].projectId, name: 'default' }],
      admin: { id: '', email: '', apiKey: o.apiKey, auth },
    };
    const bought = await buyCluster(t, org);
    expect(bought.order.status).toBe('unpaid');
  });
});

describe('tally bills issue --month', () => {
  it('issues only the named ended month, once however often it runs', async () => {
    const org = await createOrg(t);
    const now = new Date('2027-01-05T00:00:00Z');
    const first = await issueDueBills(t.deps.db, t.config, now, { month: '2026-11' });
    expect(first.issued).toBeGreaterThanOrEqual(1);
    const again = await issueDueBills(t.deps.db, t.config, now, { month: '2026-11' });
    expect(again.issued).toBe(0);
    const months = await t.deps.db.selectFrom('bills').select('month').where('org_id', '=', org.id).execute();
    expect(months.map((m) => m.month)).toEqual(['2026-11']);
  });
});
