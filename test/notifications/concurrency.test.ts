import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../server/src/config.js';
import { connect } from '../../server/src/db/connect.js';
import { createTally, type Tally } from '../../server/src/server.js';
import { addRoleMembers, buyCluster, createOrg, pay, topUp } from '../factories.js';
import { onPostgres, PG_URL, startTestTally, type TestTally } from '../harness.js';
import { countTold, DAY, HOUR } from './helpers.js';

/**
 * Several instances telling at once (PostgreSQL): three instances each run every job, in parallel, at every
 * step; each event and each time-based alert still makes exactly one message per recipient, one mail per
 * recipient and one alert event.
 */
describe.runIf(onPostgres)('three instances telling at once', () => {
  let t: TestTally;
  const others: Tally[] = [];

  beforeAll(async () => {
    t = await startTestTally({ poolSize: 12 });
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.deps.db)).rows[0]!.s;
    for (let i = 0; i < 2; i++) {
      const db = await connect({ databaseUrl: PG_URL, schema, poolSize: 12 });
      const other = await createTally({ config: testConfig(), database: db, clock: t.clock });
      others.push(other);
      afterAll(async () => {
        await other.close();
        await db.close();
      });
    }
  });

  const everywhere = async () => {
    await Promise.all([t.jobs.runAllOnce(), t.jobs.runAllOnce(), ...others.map((o) => o.jobs.runAllOnce())]);
    await Promise.all([t.jobs.runAllOnce(), ...others.map((o) => o.jobs.runAllOnce())]);
  };

  it('order, top-up, payment, expiry reminders and low balance: one message and one mail per recipient', async () => {
    const orgs = await Promise.all([createOrg(t), createOrg(t), createOrg(t)]);
    const people = await Promise.all(orgs.map((o) => addRoleMembers(t, o, ['billingAdmin', 'p1Admin'])));
    const clusters = [];
    for (const [i, org] of orgs.entries()) {
      const { cluster, order } = await buyCluster(t, org, people[i]!.p1Admin);
      await topUp(t, org, order.amount);
      expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
      clusters.push(cluster);
    }
    await everywhere();
    t.clock.advance(t.config.provisionSeconds * 1000);
    await everywhere();
    const end = Date.parse(
      (
        await t.deps.db
          .selectFrom('clusters')
          .select('term_ends_at')
          .where('id', '=', clusters[0]!.id)
          .executeTakeFirstOrThrow()
      ).term_ends_at!.toISOString(),
    );
    for (const at of [end - 30 * DAY + HOUR, end - 7 * DAY, end - 3 * DAY, end - DAY]) {
      t.clock.set(new Date(at));
      await everywhere();
    }
    for (const [i, org] of orgs.entries()) {
      const members = { admin: org.admin, ...people[i]! };
      const byCategory = async (category: string) => countTold(t, members, (n) => n.category === category);
      expect(await byCategory('order_created')).toEqual({ admin: 1, billingAdmin: 0, p1Admin: 1 });
      expect(await byCategory('order_paid')).toEqual({ admin: 1, billingAdmin: 0, p1Admin: 1 });
      expect(await byCategory('topup_credited')).toEqual({ admin: 1, billingAdmin: 1, p1Admin: 0 });
      expect(await byCategory('cluster_expiring')).toEqual({ admin: 2, billingAdmin: 0, p1Admin: 2 });
      expect(await byCategory('cluster_expiring_soon')).toEqual({ admin: 2, billingAdmin: 0, p1Admin: 2 });
      // cash 0 from the payment: at once, after 1 h, then daily (the steps this clock passed)
      const low = await byCategory('balance_low');
      expect(low.p1Admin).toBe(0);
      expect(low.admin).toBe(low.billingAdmin);
    }
    const dup = await sql<{ n: number }>`
      select count(*)::int as n from (
        select org_id, event_key, user_id from mails group by 1, 2, 3 having count(*) > 1) d`.execute(
      t.deps.db,
    );
    expect(dup.rows[0]!.n).toBe(0);
    const alerts = await sql<{ type: string; n: number }>`
      select type, count(*)::int as n from outbox_events where type like 'alert.%' group by type order by type`.execute(
      t.deps.db,
    );
    const byType = Object.fromEntries(alerts.rows.map((r) => [r.type, r.n]));
    expect(byType['alert.cluster_expiring']).toBe(3 * 4);
    const keys = await sql<{ n: number }>`
      select count(*)::int as n from notification_alerts where key like 'balance:%'`.execute(t.deps.db);
    expect(byType['alert.balance_low']).toBe(keys.rows[0]!.n);
    const mails = await sql<{ n: number }>`select count(*)::int as n from mails`.execute(t.deps.db);
    const messages = await sql<{ n: number }>`select count(*)::int as n from notifications`.execute(
      t.deps.db,
    );
    expect(mails.rows[0]!.n).toBe(messages.rows[0]!.n);
    const untold = await sql<{ n: number }>`
      select count(*)::int as n from outbox_events where notified_at is null`.execute(t.deps.db);
    expect(untold.rows[0]!.n).toBe(0);
  });
});
