import { sql } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addRoleMembers,
  api,
  buyCluster,
  createOrg,
  type Member,
  type OrgFixture,
  pay,
  runningCluster,
  topUp,
} from '../factories.js';
import { onPostgres, PG_URL, startTestTally, type TestTally } from '../harness.js';

/**
 * Authorization comes before any write. A refused caller's pay, cancel or upgrade must not issue a single
 * statement that writes, not even one that the policy's SQL filter turns into a no-op: statement-level
 * triggers on every table those use cases write fire once per writing statement, however many rows it
 * touches (none, here), and bump a sequence, which no rollback undoes. So the probe sees a writing statement
 * whether it ran in autocommit (a payment without Idempotency-Key) or in a transaction rolled back after
 * the refusal.
 */
const WRITTEN_TABLES = [
  'orders',
  'order_history',
  'balances',
  'ledger_transactions',
  'ledger_entries',
  'outbox_events',
  'clusters',
];

let t: TestTally;
let org: OrgFixture;
const who = {} as Record<'billingAdmin' | 'orgMember' | 'p1Editor' | 'p1Viewer' | 'p2Admin', Member>;
let orderId: string;
let clusterId: string;

async function writes(): Promise<number> {
  const r = await sql<{ last_value: string; is_called: boolean }>`
    select last_value, is_called from write_probe`.execute(t.deps.db);
  const row = r.rows[0]!;
  return row.is_called ? Number(row.last_value) : 0;
}

async function snapshot() {
  const [order, balance, ledger] = await Promise.all([
    sql`select * from orders where org_id = ${org.id} and id = ${orderId}`.execute(t.deps.db),
    sql`select cash from balances where org_id = ${org.id}`.execute(t.deps.db),
    sql`select count(*)::int as n from ledger_entries where org_id = ${org.id}`.execute(t.deps.db),
  ]);
  return JSON.stringify([order.rows, balance.rows, ledger.rows]);
}

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  Object.assign(
    who,
    await addRoleMembers(t, org, ['billingAdmin', 'orgMember', 'p1Editor', 'p1Viewer', 'p2Admin']),
  );
  clusterId = (await runningCluster(t, org)).id;
  const { order } = await buyCluster(t, org);
  orderId = order.id;
  // Enough money that a wrongly allowed payment would go through.
  await topUp(t, org, order.amount * 10);
  await sql`create sequence write_probe`.execute(t.deps.db);
  await sql`create function write_probe() returns trigger language plpgsql as $$
    begin perform nextval('write_probe'); return null; end $$`.execute(t.deps.db);
  for (const table of WRITTEN_TABLES) {
    await sql`create trigger ${sql.raw(`write_probe_${table}`)}
      before insert or update or delete on ${sql.table(table)}
      for each statement execute function write_probe()`.execute(t.deps.db);
  }
});

const refused = [
  ['billingAdmin', 403],
  ['orgMember', 404],
  ['p1Editor', 403],
  ['p1Viewer', 403],
  ['p2Admin', 404],
] as const;

describe('a refused caller writes nothing', () => {
  it.each(refused)('pay as %s (no Idempotency-Key: the autocommitted path) → %i', async (role, status) => {
    const before = await snapshot();
    const w = await writes();
    const r = await pay(t, org.id, orderId, who[role]);
    expect(r.status, r.body).toBe(status);
    expect(await writes()).toBe(w);
    expect(await snapshot()).toBe(before);
  });

  it.each(refused)('pay as %s with an Idempotency-Key → %i', async (role, status) => {
    const before = await snapshot();
    const w = await writes();
    const r = await pay(t, org.id, orderId, who[role], { 'idempotency-key': `refused-pay-${role}` });
    expect(r.status, r.body).toBe(status);
    expect(await writes()).toBe(w);
    expect(await snapshot()).toBe(before);
  });

  it.each(refused)('cancel as %s → %i', async (role, status) => {
    const w = await writes();
    const r = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${orderId}/cancel`, { auth: who[role].auth });
    expect(r.status, r.body).toBe(status);
    expect(await writes()).toBe(w);
  });

  it.each(refused)('upgrade as %s → %i', async (role, status) => {
    const w = await writes();
    const r = await api(t, 'POST', `/v1/orgs/${org.id}/clusters/${clusterId}/upgrade`, {
      auth: who[role].auth,
      body: { cuSize: 2 },
    });
    expect(r.status, r.body).toBe(status);
    expect(await writes()).toBe(w);
  });

  it('the probe sees an allowed payment’s writes (so the checks above can fail)', async () => {
    const w = await writes();
    const r = await pay(t, org.id, orderId, org.admin);
    expect(r.status, r.body).toBe(200);
    expect(r.json.order.status).toBe('paid');
    expect(await writes()).toBeGreaterThan(w);
  });
});

/**
 * Nor does a refused caller take a row lock before being refused: with the order and the cluster locked by
 * another transaction (a payment in flight), a refused pay, cancel or upgrade answers at once instead of
 * queueing behind it. PostgreSQL only: PGlite has one connection, so nothing else can hold the lock.
 */
describe.runIf(onPostgres)('a refused caller does not wait for row locks (PostgreSQL)', () => {
  const requests = {
    pay: () => [`/v1/orgs/${org.id}/orders/${orderId}/pay`, undefined] as const,
    cancel: () => [`/v1/orgs/${org.id}/orders/${orderId}/cancel`, undefined] as const,
    upgrade: () => [`/v1/orgs/${org.id}/clusters/${clusterId}/upgrade`, { cuSize: 2 }] as const,
  };
  it.each(Object.keys(requests) as (keyof typeof requests)[])(
    '%s by refused callers answers while the order and cluster rows are locked',
    async (what) => {
      const [url, body] = requests[what]();
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.deps.db)).rows[0]!.s;
      const holder = new pg.Client({ connectionString: PG_URL });
      await holder.connect();
      const pending: Promise<unknown>[] = [];
      try {
        await holder.query(`set search_path to ${schema}`);
        await holder.query('begin');
        await holder.query('select 1 from orders where org_id = $1 and id = $2 for update', [
          org.id,
          orderId,
        ]);
        await holder.query('select 1 from clusters where org_id = $1 and id = $2 for update', [
          org.id,
          clusterId,
        ]);
        for (const [role, status] of refused) {
          const request = api(t, 'POST', url, { auth: who[role].auth, ...(body ? { body } : {}) });
          pending.push(request);
          const answer = await Promise.race([
            request,
            new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 3_000)),
          ]);
          expect(answer === 'waiting' ? 'waiting on the row lock' : answer.status, `${what} as ${role}`).toBe(
            status,
          );
        }
      } finally {
        await holder.query('rollback').catch(() => {});
        await holder.end();
        await Promise.allSettled(pending);
      }
    },
  );
});
