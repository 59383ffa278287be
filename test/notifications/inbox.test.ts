import { beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  addRoleMembers,
  api,
  buyCluster,
  createOrg,
  type OrgFixture,
  topUp,
} from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { inbox, runJobs } from './helpers.js';

/**
 * 站内信 (SPEC §9): the caller's messages unread first then newest, the unread count, marking read (another
 * user's message is not found), read-all; muting categories except the critical ones; without SMTP the mail
 * is kept for the operator.
 */
describe('站内信, muting and the operator’s mail box', () => {
  let t: TestTally;
  let org: OrgFixture;
  beforeAll(async () => {
    t = await startTestTally();
    org = await createOrg(t);
  });

  const unread = async (auth: { authorization: string }) =>
    (await api(t, 'GET', '/v1/me/notifications/unread-count', { auth })).json.count;

  it('lists unread first, then newest; counts unread; marks one read and all read; another user’s is 404', async () => {
    const a = await buyCluster(t, org);
    t.clock.advance(1000);
    const b = await buyCluster(t, org);
    t.clock.advance(1000);
    const c = await buyCluster(t, org);
    await runJobs(t);
    let items = await inbox(t, org.admin);
    expect(items.map((n) => n.title.split(' ')[1])).toEqual([c.order.id, b.order.id, a.order.id]);
    expect(items[0]).toMatchObject({
      orgId: org.id,
      category: 'order_created',
      link: `/orgs/${org.id}/orders/${c.order.id}`,
      readAt: null,
    });
    expect(await unread(org.admin.auth)).toBe(3);

    const newest = items[0]!;
    const read = await api(t, 'POST', `/v1/me/notifications/${newest.id}/read`, { auth: org.admin.auth });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: newest.id, readAt: t.clock.now().toISOString() });
    expect(await unread(org.admin.auth)).toBe(2);
    items = await inbox(t, org.admin);
    expect(items.map((n) => n.id)).toEqual([items[0]!.id, items[1]!.id, newest.id]);
    expect(items[2]!.readAt).not.toBeNull();

    // Paging keeps the order: one per page.
    const p1 = await api(t, 'GET', '/v1/me/notifications?limit=1', { auth: org.admin.auth });
    const p2 = await api(t, 'GET', `/v1/me/notifications?limit=1&cursor=${p1.json.nextCursor}`, {
      auth: org.admin.auth,
    });
    const p3 = await api(t, 'GET', `/v1/me/notifications?limit=1&cursor=${p2.json.nextCursor}`, {
      auth: org.admin.auth,
    });
    expect([p1, p2, p3].map((p) => p.json.items[0].id)).toEqual(items.map((n) => n.id));
    expect(p3.json.nextCursor).toBeNull();

    const stranger = await createOrg(t);
    const sameOrg = await addMember(t, org.id, 'org_member');
    for (const who of [stranger.admin, sameOrg]) {
      const r = await api(t, 'POST', `/v1/me/notifications/${items[0]!.id}/read`, { auth: who.auth });
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe('NOT_FOUND');
    }
    expect(await unread(org.admin.auth)).toBe(2);

    const all = await api(t, 'POST', '/v1/me/notifications/read-all', { auth: org.admin.auth });
    expect(all.json).toEqual({ count: 2 });
    expect(await unread(org.admin.auth)).toBe(0);
  });

  it('muting: a muted category makes no 站内信 and no mail; critical categories cannot be muted', async () => {
    const o = await createOrg(t);
    const muter = await addMember(t, o.id, 'org_admin');
    const get = await api(t, 'GET', '/v1/me/notification-settings', { auth: muter.auth });
    expect(get.json.muted).toEqual([]);
    expect(get.json.critical).toEqual(
      expect.arrayContaining(['balance_low', 'cluster_expiring_soon', 'bill_overdue', 'auto_renew_failed']),
    );
    const refused = await api(t, 'PUT', '/v1/me/notification-settings', {
      auth: muter.auth,
      body: { muted: ['order_created', 'balance_low'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('VALIDATION_FAILED');
    expect(refused.json.error.details.issues).toEqual([
      { field: 'muted[1]', message: 'balance_low is critical and cannot be muted' },
    ]);
    for (const critical of [
      'cluster_expiring_soon',
      'bill_overdue',
      'auto_renew_failed',
      'cluster_expired',
    ]) {
      const r = await api(t, 'PUT', '/v1/me/notification-settings', {
        auth: muter.auth,
        body: { muted: [critical] },
      });
      expect(r.status, critical).toBe(400);
    }
    const put = await api(t, 'PUT', '/v1/me/notification-settings', {
      auth: muter.auth,
      body: { muted: ['order_created', 'cluster_expiring'] },
    });
    expect(put.status).toBe(200);
    expect(put.json.muted).toEqual(['cluster_expiring', 'order_created']);

    const { order } = await buyCluster(t, o);
    await topUp(t, o, 5_000);
    await runJobs(t);
    const told = (await inbox(t, muter)).map((n) => n.category).sort();
    expect(told).toEqual(['balance_low', 'topup_credited']);
    expect((await inbox(t, o.admin)).map((n) => n.category).sort()).toEqual([
      'balance_low',
      'order_created',
      'topup_credited',
    ]);
    const mails = await api(t, 'GET', `/v1/internal/mail?to=${encodeURIComponent(muter.email)}`, {
      auth: t.op,
    });
    expect(mails.json.items.map((m: { category: string }) => m.category).sort()).toEqual([
      'balance_low',
      'topup_credited',
    ]);
    const adminMails = await api(t, 'GET', `/v1/internal/mail?to=${encodeURIComponent(o.admin.email)}`, {
      auth: t.op,
    });
    expect(adminMails.json.items.some((m: { subject: string }) => m.subject.includes(order.id))).toBe(true);
  });

  it('without SMTP the mail is kept and the operator reads it, newest first, filtered by address', async () => {
    const o = await createOrg(t);
    const { billingAdmin } = await addRoleMembers(t, o, ['billingAdmin']);
    await topUp(t, o, 100_000);
    t.clock.advance(1000);
    await topUp(t, o, 200_000);
    await runJobs(t);
    const r = await api(t, 'GET', `/v1/internal/mail?to=${encodeURIComponent(billingAdmin.email)}`, {
      auth: t.op,
    });
    expect(r.status).toBe(200);
    expect(r.json.items.map((m: { subject: string }) => m.subject)).toEqual([
      '充值成功：¥2,000.00',
      '充值成功：¥1,000.00',
    ]);
    expect(r.json.items[0]).toMatchObject({
      to: billingAdmin.email,
      orgId: o.id,
      category: 'topup_credited',
      status: 'kept',
      attempts: 0,
      locale: 'zh-CN',
    });
    expect(r.json.items[0].text).toContain('当前现金余额：¥3,000.00');
    expect(r.json.items[0].html).toContain('<html');
    const page = await api(t, 'GET', '/v1/internal/mail?limit=1', { auth: t.op });
    expect(page.json.items).toHaveLength(1);
    expect(page.json.nextCursor).toEqual(expect.any(String));
    expect((await api(t, 'GET', '/v1/internal/mail', { auth: o.admin.auth })).status).toBe(403);
  });
});
