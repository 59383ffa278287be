import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture, pay, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: one org's bad data never stops another org's work. The bills job isolates each org: a failing org is
 * found, recorded, shown to the operator (GET /v1/internal/jobs, /metrics), retried with backoff and cleared
 * once it succeeds; the other orgs' bills are issued meanwhile.
 */
let t: TestTally;
const orgs: { org: OrgFixture; clusterId: string }[] = [];
const MONTH = '2026-11';

async function usage(o: { org: OrgFixture; clusterId: string }, id: string) {
  const r = await api(t, 'POST', '/v1/internal/usage', {
    auth: t.op,
    body: {
      events: [
        {
          id,
          orgId: o.org.id,
          clusterId: o.clusterId,
          metric: 'storage',
          quantity: 50,
          start: '2026-11-02T06:00:00Z',
          end: '2026-11-02T07:00:00Z',
        },
      ],
    },
  });
  expect(r.status, r.body).toBe(200);
}

async function billStatus(org: OrgFixture): Promise<string> {
  const r = await api(t, 'GET', `/v1/orgs/${org.id}/bills/${MONTH}`, { auth: org.admin.auth });
  expect(r.status, r.body).toBe(200);
  return r.json.status;
}

async function issuedBills(org: OrgFixture): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from bills where org_id = ${org.id}`.execute(
    t.deps.db,
  );
  return r.rows[0]!.n;
}

async function jobs() {
  const r = await api(t, 'GET', '/v1/internal/jobs', { auth: t.op });
  expect(r.status, r.body).toBe(200);
  return r.json as {
    jobs: { name: string; lastOutcome: string | null; failingOrgs: number }[];
    failingOrgs: {
      job: string;
      orgId: string;
      key: string;
      attempts: number;
      nextAttemptAt: string;
      lastError: string;
    }[];
  };
}

async function failingGauge(): Promise<string | undefined> {
  const r = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.op });
  expect(r.statusCode).toBe(200);
  return r.body.match(/^tally_job_failing_orgs\{job="bills"\} (\d+)$/m)?.[1];
}

beforeAll(async () => {
  t = await startTestTally();
  for (let i = 0; i < 5; i++) {
    const org = await createOrg(t);
    const clusterId = (await buyCluster(t, org)).cluster.id;
    orgs.push({ org, clusterId });
    await usage({ org, clusterId }, `u-${i}`);
  }
  const [yearNine, , , bad] = orgs;
  // As the unbounded ingest stored it before the bounds: an event ending in year 9999, 10^9 GB. It used to make
  // the usage sum of every batch it was in fail with "bigint out of range".
  await sql`insert into usage_events (org_id, id, cluster_id, metric, quantity_milli, start_at, end_at, units,
      micros_per_unit, bill_month, received_at)
    values (${yearNine!.org.id}, 'year-9999', ${yearNine!.clusterId}, 'storage', 1000000000000,
      '2026-11-02T06:00:00Z', '9999-12-31T00:00:00Z', 70000000, 417, ${MONTH}, '2026-11-02T08:00:00Z')`.execute(
    t.deps.db,
  );
  // Within the usage bounds, but at a unit price no catalog has: its bill line would pass 2^53 fen and cannot
  // be issued (nor its open month read). This org keeps failing until an operator corrects the row.
  await sql`insert into usage_events (org_id, id, cluster_id, metric, quantity_milli, start_at, end_at, units,
      micros_per_unit, bill_month, received_at)
    values (${bad!.org.id}, 'bad-price', ${bad!.clusterId}, 'storage', 1000000000, '2026-11-02T00:00:00Z',
      '2026-12-01T00:00:00Z', 696, 9000000000000000000, ${MONTH}, '2026-11-02T08:00:00Z')`.execute(t.deps.db);
  t.clock.set(new Date('2026-12-01T00:02:00Z'));
});

describe('bills job isolation', () => {
  it('issues every other org’s bill; the failing org is recorded and shown to the operator', async () => {
    await t.jobs.runAllOnce();
    const [yearNine, b, c, bad, e] = orgs;
    for (const o of [b, c, e]) expect(await billStatus(o!.org)).not.toBe('open');
    // The year-9999 row is outside the usage bounds: left out of the bill, which is issued.
    expect(await billStatus(yearNine!.org)).not.toBe('open');
    expect(await issuedBills(bad!.org)).toBe(0);

    const j = await jobs();
    expect(j.jobs.find((x) => x.name === 'bills')).toMatchObject({ lastOutcome: 'ok', failingOrgs: 1 });
    expect(j.failingOrgs).toEqual([
      expect.objectContaining({ job: 'bills', orgId: bad!.org.id, key: MONTH, attempts: 1 }),
    ]);
    expect(j.failingOrgs[0]!.lastError).toMatch(/safe integer/);
    expect(new Date(j.failingOrgs[0]!.nextAttemptAt).getTime()).toBe(t.clock.now().getTime() + 60_000);
    expect(await failingGauge()).toBe('1');
  });

  it('leaves the failing org alone during its backoff, then retries it with a doubled delay', async () => {
    const bad = orgs[3]!;
    await t.jobs.runAllOnce();
    expect((await jobs()).failingOrgs[0]).toMatchObject({ orgId: bad.org.id, attempts: 1 });

    t.clock.advance(60_000);
    await t.jobs.runAllOnce();
    const f = (await jobs()).failingOrgs[0]!;
    expect(f).toMatchObject({ orgId: bad.org.id, attempts: 2 });
    expect(new Date(f.nextAttemptAt).getTime()).toBe(t.clock.now().getTime() + 120_000);
  });

  it('issues the bill and clears the failure once the data is corrected', async () => {
    const bad = orgs[3]!;
    await sql`update usage_events set micros_per_unit = 417 where org_id = ${bad.org.id} and id = 'bad-price'`.execute(
      t.deps.db,
    );
    t.clock.advance(120_000);
    await t.jobs.runAllOnce();
    expect(await billStatus(bad.org)).not.toBe('open');
    const j = await jobs();
    expect(j.failingOrgs).toEqual([]);
    expect(j.jobs.find((x) => x.name === 'bills')).toMatchObject({ failingOrgs: 0 });
    expect(await failingGauge()).toBe('0');
  });
});

describe('sweeper isolation', () => {
  it('times out every other org’s orders while one org’s order cannot be; retries and clears it once fixed', async () => {
    const good = await createOrg(t);
    const bad = await createOrg(t);
    const goodOrder = (await buyCluster(t, good)).order.id as string;
    const badOrder = (await buyCluster(t, bad)).order.id as string;
    // A history row the timeout would write already exists: the sweep's insert of it fails for this org.
    await sql`insert into order_history (org_id, order_id, seq, from_status, to_status, actor_type, actor_id, at,
        recorded_at)
      values (${bad.id}, ${badOrder}, 2, 'unpaid', 'timed_out', 'system', null, ${t.clock.now()}, ${t.clock.now()})`.execute(
      t.deps.db,
    );
    const status = async (orgId: string, id: string) =>
      (
        await sql<{
          status: string;
        }>`select status from orders where org_id = ${orgId} and id = ${id}`.execute(t.deps.db)
      ).rows[0]!.status;

    t.clock.advance(t.config.orderTtlHours * 3_600_000 + 1_000);
    await t.jobs.runAllOnce();
    expect(await status(good.id, goodOrder)).toBe('timed_out');
    expect(await status(bad.id, badOrder)).toBe('unpaid');
    const j = await jobs();
    expect(j.failingOrgs).toEqual([expect.objectContaining({ job: 'sweeper', orgId: bad.id, attempts: 1 })]);
    expect(j.jobs.find((x) => x.name === 'sweeper')).toMatchObject({ lastOutcome: 'ok', failingOrgs: 1 });

    await sql`delete from order_history where org_id = ${bad.id} and order_id = ${badOrder} and seq = 2`.execute(
      t.deps.db,
    );
    t.clock.advance(60_000);
    await t.jobs.runAllOnce();
    expect(await status(bad.id, badOrder)).toBe('timed_out');
    expect((await jobs()).failingOrgs).toEqual([]);
  });
});

describe('alert scan isolation', () => {
  it('reminds every other org of its unpaid order while one org’s alert cannot be taken; retries and clears it once fixed', async () => {
    const good = await createOrg(t);
    const bad = await createOrg(t);
    const goodOrder = (await buyCluster(t, good)).order.id as string;
    const badOrder = (await buyCluster(t, bad)).order.id as string;
    // Bad data stood in for by a trigger: taking this org's alerts fails, as a constraint on its rows would.
    if (!/^[A-Za-z0-9_]+$/.test(bad.id)) throw new Error(`unexpected org id ${bad.id}`);
    await sql
      .raw(`create function fail_alerts_of_one_org() returns trigger language plpgsql as $$
        begin
          if new.org_id = '${bad.id}' then raise exception 'bad data of org %', new.org_id; end if;
          return new;
        end $$`)
      .execute(t.deps.db);
    await sql`create trigger fail_alerts before insert on notification_alerts
      for each row execute function fail_alerts_of_one_org()`.execute(t.deps.db);
    const reminded = async (orgId: string, orderId: string) =>
      (
        await sql<{ n: number }>`select count(*)::int as n from outbox_events
          where org_id = ${orgId} and type = 'alert.order_unpaid' and aggregate_id = ${orderId}`.execute(
          t.deps.db,
        )
      ).rows[0]!.n;
    const alertFailures = async () =>
      (await jobs()).failingOrgs.filter((f) => f.job === 'notifications' && f.key.startsWith('alerts:'));

    // 24 h before the deadline: both orders are due a reminder.
    t.clock.advance((t.config.orderTtlHours - 24) * 3_600_000 + 1_000);
    await t.jobs.runAllOnce();
    expect(await reminded(good.id, goodOrder)).toBe(1);
    expect(await reminded(bad.id, badOrder)).toBe(0);
    expect(await alertFailures()).toEqual([
      expect.objectContaining({ orgId: bad.id, key: 'alerts:order', attempts: 1 }),
    ]);
    expect((await jobs()).jobs.find((x) => x.name === 'notifications')).toMatchObject({ lastOutcome: 'ok' });

    // During its backoff the org is left out: the scans of everyone else run in one statement again.
    t.clock.advance(30_000);
    await t.jobs.runAllOnce();
    expect(await alertFailures()).toEqual([expect.objectContaining({ orgId: bad.id, attempts: 1 })]);

    await sql`drop trigger fail_alerts on notification_alerts`.execute(t.deps.db);
    t.clock.advance(31_000); // the first backoff (60 s) is over
    await t.jobs.runAllOnce();
    expect(await reminded(bad.id, badOrder)).toBe(1);
    expect(await reminded(good.id, goodOrder)).toBe(1);
    expect(await alertFailures()).toEqual([]);
  });
});

describe('provisioning isolation', () => {
  it('starts every other org’s paid cluster while one org’s cannot be; retries and clears it once fixed', async () => {
    const good = await createOrg(t);
    const bad = await createOrg(t);
    // Bad data stood in for by a trigger: starting this org's cluster fails, as a constraint on its row would.
    if (!/^[A-Za-z0-9_]+$/.test(bad.id)) throw new Error(`unexpected org id ${bad.id}`);
    await sql
      .raw(`create function fail_provisioning_of_one_org() returns trigger language plpgsql as $$
        begin
          if new.org_id = '${bad.id}' and new.state = 'creating' then raise exception 'bad data of org %', new.org_id; end if;
          return new;
        end $$`)
      .execute(t.deps.db);
    await sql`create trigger fail_provisioning before update on clusters
      for each row execute function fail_provisioning_of_one_org()`.execute(t.deps.db);
    const paidCluster = async (org: OrgFixture) => {
      const { cluster, order } = await buyCluster(t, org);
      await topUp(t, org, order.amount);
      expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
      return cluster.id as string;
    };
    const goodCluster = await paidCluster(good);
    const badCluster = await paidCluster(bad);
    const state = async (orgId: string, id: string) =>
      (
        await sql<{
          state: string;
        }>`select state from clusters where org_id = ${orgId} and id = ${id}`.execute(t.deps.db)
      ).rows[0]!.state;

    await t.jobs.runAllOnce();
    expect(await state(good.id, goodCluster)).toBe('creating');
    expect(await state(bad.id, badCluster)).toBe('pending_payment');
    expect((await jobs()).failingOrgs).toEqual([
      expect.objectContaining({ job: 'outbox', orgId: bad.id, attempts: 1 }),
    ]);

    await sql`drop trigger fail_provisioning on clusters`.execute(t.deps.db);
    t.clock.advance(61_000); // the first backoff (60 s) is over
    await t.jobs.runAllOnce();
    expect(await state(bad.id, badCluster)).toBe('creating');
    expect((await jobs()).failingOrgs).toEqual([]);
    t.clock.advance(t.config.provisionSeconds * 1000);
    await t.jobs.runAllOnce();
    expect(await state(good.id, goodCluster)).not.toBe('creating');
    expect(await state(bad.id, badCluster)).not.toBe('creating');
  });
});
