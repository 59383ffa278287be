import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { mailQueueCounts } from '../../server/src/notifications/send-mail.js';
import { api, buyCluster, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { freePort, startSmtp } from './smtp.js';

/**
 * A dead SMTP server (SPEC §9) delays nothing and loses nothing: the request that caused the event answers at
 * once (mail is sent by the job, never in a request); the job records the failed attempt and retries with a
 * growing delay; once the server is up the mail arrives, once.
 */
describe('SMTP down, then up', () => {
  let t: TestTally;
  let port: number;
  let org: OrgFixture;
  beforeAll(async () => {
    port = await freePort();
    t = await startTestTally({ config: { smtpUrl: `smtp://127.0.0.1:${port}` } });
    org = await createOrg(t);
  });

  const mailOf = async (orderId: string) => {
    const r = await api(t, 'GET', `/v1/internal/mail?to=${encodeURIComponent(org.admin.email)}`, {
      auth: t.op,
    });
    return r.json.items.find(
      (m: { subject: string; category: string }) =>
        m.category === 'order_created' && m.subject.includes(orderId),
    );
  };

  it('the request returns promptly, the attempts back off, the mail is sent when the server comes up', async () => {
    const started = performance.now();
    const { order } = await buyCluster(t, org);
    expect(performance.now() - started).toBeLessThan(2_000);

    const run1 = (await t.jobs.runAllOnce()) as {
      notifications: { messages: number; mailed: number; failed: number };
    };
    expect(run1.notifications).toMatchObject({ messages: 1, mailed: 0 });
    expect(run1.notifications.failed).toBeGreaterThanOrEqual(1);
    let mail = await mailOf(order.id);
    expect(mail).toMatchObject({ status: 'pending', attempts: 1 });
    expect(mail.lastError).toMatch(/ECONNREFUSED|connect/i);

    // Not retried before its delay (1 minute after the first failure), then again after it (2 minutes).
    await t.jobs.runAllOnce();
    expect((await mailOf(order.id)).attempts).toBe(1);
    t.clock.advance(60_000);
    await t.jobs.runAllOnce();
    expect((await mailOf(order.id)).attempts).toBe(2);
    t.clock.advance(60_000);
    await t.jobs.runAllOnce();
    expect((await mailOf(order.id)).attempts).toBe(2);

    const smtp = await startSmtp(port);
    t.clock.advance(60_000);
    const run = (await t.jobs.runAllOnce()) as { notifications: { mailed: number } };
    expect(run.notifications.mailed).toBe(1);
    const arrived = smtp.to(org.admin.email).filter((m) => m.subject?.includes(order.id));
    expect(arrived).toHaveLength(1);
    mail = await mailOf(order.id);
    expect(mail).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    t.clock.advance(3_600_000);
    await t.jobs.runAllOnce();
    expect(smtp.to(org.admin.email).filter((m) => m.subject?.includes(order.id))).toHaveLength(1);
    await smtp.close();
  });

  it('after the last attempt the mail is failed, kept, counted, and the operator’s retry sends it', async () => {
    const { order } = await buyCluster(t, org);
    await t.jobs.runAllOnce();
    const id = (await mailOf(order.id)).id;
    // Fast-forward to the last attempt.
    await sql`update mails set attempts = 14 where id = ${id}`.execute(t.deps.db);
    t.clock.advance(7 * 3_600_000);
    await t.jobs.runAllOnce();
    expect(await mailOf(order.id)).toMatchObject({ status: 'failed', attempts: 15 });
    expect((await mailQueueCounts(t.deps)).failed).toBe(1);
    t.clock.advance(7 * 24 * 3_600_000);
    await t.jobs.runAllOnce();
    expect(await mailOf(order.id)).toMatchObject({ status: 'failed', attempts: 15 });

    const smtp = await startSmtp(port);
    const retry = await api(t, 'POST', `/v1/internal/mail/${id}/retry`, { auth: t.op });
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ id, status: 'pending', attempts: 0 });
    await t.jobs.runAllOnce();
    expect(await mailOf(order.id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect((await mailQueueCounts(t.deps)).failed).toBe(0);
    expect(smtp.to(org.admin.email).filter((m) => m.subject?.includes(`${order.id} 待支付`))).toHaveLength(1);
    expect((await api(t, 'POST', '/v1/internal/mail/mail_nope/retry', { auth: t.op })).status).toBe(404);
    await smtp.close();
  });
});
