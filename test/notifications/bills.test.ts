import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { addRoleMembers, api, createOrg, runningCluster, topUp } from '../factories.js';
import { BILLING_TEST_CATALOG, startTestTally, type TestTally } from '../harness.js';
import { countTold, runJobs } from './helpers.js';

/**
 * Bills (SPEC §9): `bill.issued`, `bill.unpaid` (the daily reminder after confirmation) and `bill.overdue` are
 * written to the outbox with the change (the issue, the confirmation, the move to overdue), and told to both
 * admin roles, once, naming the month and the amount.
 */
describe('bill issued and overdue', () => {
  let t: TestTally;
  beforeAll(async () => {
    t = await startTestTally({ catalog: BILLING_TEST_CATALOG });
  });

  it('issued on the 1st and overdue 14 days later: both admin roles, once each, with the month and the amount', async () => {
    t.clock.set('2026-12-02T00:00:00Z');
    const org = await createOrg(t);
    const people = { admin: org.admin, ...(await addRoleMembers(t, org, ['billingAdmin', 'p1Admin'])) };
    const c = await runningCluster(t, org);
    const r = await api(t, 'POST', '/v1/internal/usage', {
      auth: t.op,
      body: {
        events: [
          {
            id: `u-${org.id}`,
            orgId: org.id,
            clusterId: c.id,
            metric: 'backup',
            quantity: 1_000_000,
            start: '2026-12-01T00:00:00Z',
            end: '2026-12-02T00:00:00Z',
          },
        ],
      },
    });
    expect(r.status, r.body).toBe(200);
    t.clock.set('2027-01-01T00:01:00Z');
    await runJobs(t);
    const events = async () =>
      (
        await sql<{ type: string; payload: Record<string, unknown> }>`
          select type, payload from outbox_events where org_id = ${org.id} and type like 'bill.%' order by id`.execute(
          t.deps.db,
        )
      ).rows;
    expect(await events()).toEqual([
      {
        type: 'bill.issued',
        payload: {
          month: '2026-12',
          amountDue: 3_000,
          totalAmount: 93_000,
          currency: 'CNY',
          status: 'pending_confirmation',
          // Issued on Friday 2027-01-01: confirmed after Friday, Monday and Tuesday; overdue 14 days later.
          confirmsAt: '2027-01-06T00:00:00.000Z',
          dueAt: '2027-01-20T00:00:00.000Z',
        },
      },
    ]);
    const issued = (n: { category: string; title: string }) => n.category === 'bill_issued';
    expect(await countTold(t, people, issued)).toEqual({ admin: 1, billingAdmin: 1, p1Admin: 0 });
    const mail = await api(
      t,
      'GET',
      `/v1/internal/mail?to=${encodeURIComponent(people.billingAdmin.email)}`,
      {
        auth: t.op,
      },
    );
    const m = mail.json.items.find((x: { category: string }) => x.category === 'bill_issued');
    expect(m.subject).toBe('2026-12 账单已出账，应付 ¥30.00');
    expect(m.text).toContain(`/orgs/${org.id}/bills`);

    // Confirmed with no cash: unpaid, and the first of the daily reminders (SPEC §10.3) goes with it, told
    // to both admin roles.
    t.clock.set('2027-01-06T00:00:00Z');
    await runJobs(t);
    expect((await events()).map((e) => e.type)).toEqual(['bill.issued', 'bill.confirmed', 'bill.unpaid']);
    const unpaid = (n: { category: string }) => n.category === 'bill_unpaid';
    expect(await countTold(t, people, unpaid)).toEqual({ admin: 1, billingAdmin: 1, p1Admin: 0 });
    const u = (await api(t, 'GET', '/v1/me/notifications', { auth: org.admin.auth })).json.items.find(unpaid);
    expect(u.title).toBe('2026-12 账单待支付 ¥30.00');
    t.clock.set('2027-01-20T00:00:00Z');
    await runJobs(t);
    expect((await events()).map((e) => e.type)).toEqual([
      'bill.issued',
      'bill.confirmed',
      'bill.unpaid',
      'bill.overdue',
    ]);
    expect((await events())[3]!.payload).toEqual({
      month: '2026-12',
      amountDue: 3_000,
      unpaidAmount: 3_000,
      currency: 'CNY',
      overdueAt: '2027-01-20T00:00:00.000Z',
    });
    const overdue = (n: { category: string }) => n.category === 'bill_overdue';
    expect(await countTold(t, people, overdue)).toEqual({ admin: 1, billingAdmin: 1, p1Admin: 0 });
    const o = (await api(t, 'GET', '/v1/me/notifications', { auth: org.admin.auth })).json.items.find(
      overdue,
    );
    expect(o.title).toBe('2026-12 账单已逾期，欠费 ¥30.00');
    // Paid later: no further bill event; the overdue message stays.
    await topUp(t, org, 3_000);
    await runJobs(t);
    expect((await events()).map((e) => e.type)).toEqual([
      'bill.issued',
      'bill.confirmed',
      'bill.unpaid',
      'bill.overdue',
      'bill.paid',
    ]);
    expect(await countTold(t, people, overdue)).toEqual({ admin: 1, billingAdmin: 1, p1Admin: 0 });
  });
});
