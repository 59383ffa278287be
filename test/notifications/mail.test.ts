import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, api, buyCluster, createOrg, type OrgFixture, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { type Inbox, startSmtp } from './smtp.js';

/**
 * Mail over a real SMTP server (SPEC §9): each recipient in their language, HTML and plain text, naming the
 * order id, the amount as ¥1,800.00, the deadline in the org's time zone, and linking to the console page.
 */
describe('mail through SMTP, in zh-CN and en', () => {
  let t: TestTally;
  let smtp: Inbox;
  let org: OrgFixture;
  let english: Awaited<ReturnType<typeof addMember>>;
  let billing: Awaited<ReturnType<typeof addMember>>;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestTally({ config: { smtpUrl: smtp.url, publicUrl: 'https://console.example.com' } });
    org = await createOrg(t, { timeZone: 'Asia/Shanghai' });
    english = await addMember(t, org.id, 'org_admin');
    billing = await addMember(t, org.id, 'org_billing_admin');
    const r = await api(t, 'PUT', '/v1/me/settings', { auth: english.auth, body: { locale: 'en' } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ locale: 'en' });
  });

  it('an order created: one mail per admin, in each one’s language, with the order, amount, deadline and link', async () => {
    const { order } = await buyCluster(t, org, org.admin, { cuSize: 2 });
    expect(order.amount).toBe(180000);
    await t.jobs.runAllOnce();
    const zh = smtp.to(org.admin.email).filter((m) => m.subject?.includes(order.id));
    const en = smtp.to(english.email).filter((m) => m.subject?.includes(order.id));
    expect(zh).toHaveLength(1);
    expect(en).toHaveLength(1);
    expect(smtp.to(billing.email).filter((m) => m.subject?.includes(order.id))).toHaveLength(0);
    // 2026-11-02T08:00:00Z + 168 h = 2026-11-09 16:00:00 in Asia/Shanghai
    const link = `https://console.example.com/orgs/${org.id}/orders/${order.id}`;
    expect(zh[0]!.subject).toBe(`订单 ${order.id} 待支付 ¥1,800.00`);
    expect(zh[0]!.text).toContain('应付 ¥1,800.00');
    expect(zh[0]!.text).toContain('请在 2026-11-09 16:00:00 (Asia/Shanghai) 前支付');
    expect(zh[0]!.text).toContain(link);
    expect(zh[0]!.html).toContain(`href="${link}"`);
    expect(zh[0]!.html).toContain('¥1,800.00');
    expect(en[0]!.subject).toBe(`Order ${order.id}: ¥1,800.00 to pay`);
    expect(en[0]!.text).toContain(`Order ${order.id} (new purchase, cluster ${order.clusterName})`);
    expect(en[0]!.text).toContain('Please pay by 2026-11-09 16:00:00 (Asia/Shanghai)');
    expect(en[0]!.text).toContain(link);
    expect(en[0]!.html).toContain(`href="${link}"`);
    expect(en[0]!.from?.text).toContain('billing@tally.localhost');
  });

  it('a top-up credited (充值成功): both admin roles, in their languages, with the amount and the balance', async () => {
    const before = smtp.mails.length;
    t.clock.advance(1000);
    await topUp(t, org, 1_234_567);
    await t.jobs.runAllOnce();
    const fresh = smtp.mails.slice(before);
    const zh = fresh.filter((m) => m.subject === '充值成功：¥12,345.67');
    const en = fresh.filter((m) => m.subject === 'Top-up credited: ¥12,345.67');
    expect(zh.map((m) => (m.to as { text: string }).text).sort()).toEqual(
      [billing.email, org.admin.email].sort(),
    );
    expect(en.map((m) => (m.to as { text: string }).text)).toEqual([english.email]);
    expect(zh[0]!.text).toContain('当前现金余额：¥12,345.67');
    expect(en[0]!.text).toContain('Cash balance: ¥12,345.67');
    expect(en[0]!.text).toContain(`https://console.example.com/orgs/${org.id}/balance`);
    // Sent: the operator's mail box says so.
    const box = await api(t, 'GET', `/v1/internal/mail?to=${encodeURIComponent(english.email)}`, {
      auth: t.op,
    });
    expect(box.status).toBe(200);
    expect(box.json.items[0]).toMatchObject({
      to: english.email,
      subject: 'Top-up credited: ¥12,345.67',
      category: 'topup_credited',
      status: 'sent',
      attempts: 1,
    });
  });
});
