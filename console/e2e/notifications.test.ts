import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatInstant } from '../src/lib/time.js';
import {
  addMember,
  axeViolations,
  createOrg,
  e2eFile,
  type Fixture,
  focusedTestId,
  type Member,
  nav,
  screenshot,
  signIn,
  signOut,
  topUp,
} from './harness.js';

/**
 * Notifications in the console (SPEC §9): a real top-up makes a 站内信 and a webhook delivery; the header's 消息
 * shows the unread count and follows 标为已读 and 全部标为已读; 设置 mutes a category (the critical ones stay
 * on), changes the mail language and the low-balance threshold (a Billing Admin may, a Project Admin only
 * reads); Webhook adds an endpoint at a local receiver (the secret shown once), which gets the event signed
 * with it, shows the delivery with its status code, delivers again, rotates the secret and deletes the endpoint.
 * At 1440×900 in zh-CN and at 390×844 in en-US, with axe on each page.
 */
const e2e = e2eFile('notifications', { TALLY_WEBHOOK_ALLOW_PRIVATE: '1' });
const TZ = 'Asia/Shanghai';
let f: Fixture;
let billingAdmin: Member;
let projectAdmin: Member;

const page = () => e2e.page;
// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
async function apiAs(m: Member, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<any> {
  const r = await e2e.server.call(method, path, body, m.apiKey);
  expect(r.status, `${method} ${path}`).toBe(200);
  return r.json;
}
const unreadOf = async (m: Member): Promise<number> =>
  (await apiAs(m, 'GET', '/v1/me/notifications/unread-count')).count;

const axe = () => axeViolations(page());
const bellLabel = () => page().getByTestId('notification-bell').getAttribute('aria-label');

/** Waits until the notifications job has told `m` of `n` messages of a category; answers them. */
async function notificationsOf(m: Member, category: string, n: number) {
  let found: { id: string; category: string; createdAt: string; title: string }[] = [];
  await expect
    .poll(
      async () => {
        const list = await apiAs(m, 'GET', '/v1/me/notifications?limit=100');
        found = list.items.filter((x: { category: string }) => x.category === category);
        return found.length;
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(n);
  return found;
}

// ——— a local webhook receiver ———
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
let receiver: Server;
let hookUrl = '';

/** README's verification: HMAC-SHA256(secret, "<t>.<raw body>") in `Tally-Signature: t=…,v1=…`. */
function verifies(secret: string, r: Received): boolean {
  const header = String(r.headers['tally-signature'] ?? '');
  const parts = new Map(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = parts.get('t') ?? '';
  const v1 = parts.get('v1') ?? '';
  if (!/^\d+$/.test(t) || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${r.body}`).digest('hex');
  return v1.length === expected.length && timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
}

async function listenInRange(server: Server): Promise<number> {
  const [first, last] = (process.env.TALLY_E2E_PORTS ?? '18100-18199').split('-').map(Number) as [
    number,
    number,
  ];
  for (let i = 0; i < 20; i++) {
    const port = first + Math.floor(Math.random() * (last - first + 1));
    const ok = await new Promise<boolean>((done) => {
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => done(true));
    });
    if (ok) return port;
  }
  throw new Error('no free port for the webhook receiver');
}

const waitForDeliveries = (n: number) =>
  expect.poll(() => received.length, { timeout: 20_000, interval: 250 }).toBeGreaterThanOrEqual(n);

/**
 * A page of the menu on a phone, through the drawer. In-app navigation rather than a reload: the pages' code
 * is already in the browser, so the test does not depend on the built files staying the same meanwhile.
 */
async function phoneNav(label: string): Promise<void> {
  await page().getByTestId('menu-button').click();
  const menu = page().locator('.ant-drawer .tally-nav');
  await menu.waitFor();
  await menu.getByRole('link', { name: label, exact: true }).click();
  await page().locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
}

async function noSidewaysScroll(what: string): Promise<void> {
  const w = await page().evaluate(() => document.documentElement.scrollWidth);
  expect(w, `${what}: page width`).toBeLessThanOrEqual(page().viewportSize()?.width ?? 0);
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  hookUrl = `http://127.0.0.1:${await listenInRange(receiver)}/tally-hook`;
  f = await createOrg(e2e.server, { name: '消息测试科技', projects: ['语义检索'], timeZone: TZ });
  billingAdmin = await addMember(e2e.server, f.org.id, 'org_billing_admin');
  projectAdmin = await addMember(e2e.server, f.org.id, 'org_member', [
    { projectId: f.projects[0]!.id, role: 'project_admin' },
  ]);
  await e2e.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: e2e.server.url,
  });
});

afterAll(async () => {
  await new Promise((done) => receiver?.close(done));
});

describe('notifications at 1440×900 in zh-CN', () => {
  let secret = '';
  let webhookId = '';

  test('Webhook: an endpoint is added and its signing secret is shown once', async () => {
    await page().setViewportSize({ width: 1440, height: 900 });
    await signIn(page(), e2e.server.url, f.admin);
    await nav(page(), 'Webhook').click();
    await page().getByTestId('webhooks-page').waitFor();
    await page().getByText('尚未添加 Webhook').waitFor();
    expect(await axe()).toEqual([]);

    await page().getByTestId('webhook-add').click();
    // nothing chosen: both fields say what is missing, and nothing is created
    await page().getByTestId('webhook-create-confirm').click();
    await page().getByText('请输入接收地址').waitFor();
    await page().getByText('请至少选择一个事件').waitFor();
    await page().getByTestId('webhook-url').fill('ftp://example.com/hook');
    await page().getByTestId('webhook-event-topup.credited').click();
    await page().getByTestId('webhook-create-confirm').click();
    await page().getByText('请输入以 https:// 开头的完整地址').waitFor();
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'webhook-add');
    await page().getByTestId('webhook-url').fill(hookUrl);
    await page().getByTestId('webhook-create-confirm').click();

    await page().getByTestId('webhook-secret').waitFor();
    secret = await page().getByTestId('webhook-secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(await page().locator('.ant-modal').textContent()).toContain('只显示这一次');
    await page().getByTestId('webhook-secret-copy').click();
    await expect.poll(() => page().evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'webhook-secret');
    await page().getByTestId('webhook-secret-done').click();
    await page().locator('.ant-modal').waitFor({ state: 'detached' });
    // focus is back on the button that opened the dialog (moved there after the dialog's close)
    await expect.poll(() => focusedTestId(page())).toBe('webhook-add');

    const hooks = await apiAs(f.admin, 'GET', `/v1/orgs/${f.org.id}/webhooks`);
    expect(hooks.items).toHaveLength(1);
    expect(hooks.items[0]).toMatchObject({ url: hookUrl, events: ['topup.credited'] });
    webhookId = hooks.items[0].id;
    const row = page().getByTestId(`webhook-row-${webhookId}`);
    expect(await row.textContent()).toContain('充值到账');
    expect(await page().getByTestId('webhooks-page').textContent()).not.toContain(secret);
    await screenshot(page(), 'webhooks');
  });

  test('a top-up: the receiver gets the signed event, the bell counts the message, 标为已读 lowers it', async () => {
    await topUp(e2e.server, f.org.remittanceCode, 100_000);
    const [topupMsg] = await notificationsOf(f.admin, 'topup_credited', 1);
    await waitForDeliveries(1);
    const first = received[0]!;
    expect(JSON.parse(first.body)).toMatchObject({ type: 'topup.credited', orgId: f.org.id });
    expect(verifies(secret, first)).toBe(true);
    expect(verifies(`${secret}x`, first)).toBe(false);

    // the bell asks again on navigation
    const before = await unreadOf(f.admin);
    expect(before).toBeGreaterThanOrEqual(1);
    await nav(page(), '消息').click();
    await page().getByTestId('notifications-page').waitFor();
    await expect.poll(bellLabel).toBe(`消息，${before} 条未读`);
    expect(await page().getByTestId('notification-bell-count').textContent()).toBe(String(before));

    const item = page().getByTestId(`notification-${topupMsg!.id}`);
    await item.waitFor();
    expect(await item.getAttribute('data-unread')).toBe('true');
    expect(await item.getByTestId('notification-category').textContent()).toBe('充值成功');
    expect(await item.getByTestId('notification-time').textContent()).toBe(
      formatInstant(topupMsg!.createdAt, TZ),
    );
    expect(await item.getByTestId('notification-title').textContent()).toBe(topupMsg!.title);
    // unread first
    const unreadFlags = await page()
      .locator('[data-testid^="notification-"][data-unread]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-unread')));
    expect(
      unreadFlags.indexOf('false') === -1 || unreadFlags.lastIndexOf('true') < unreadFlags.indexOf('false'),
    ).toBe(true);
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'notifications');

    await item.getByTestId('notification-mark-read').click();
    await expect.poll(() => item.getAttribute('data-unread')).toBe('false');
    const after = before - 1;
    await expect.poll(bellLabel).toBe(after > 0 ? `消息，${after} 条未读` : '消息');
    expect(await unreadOf(f.admin)).toBe(after);
    const read = (await apiAs(f.admin, 'GET', '/v1/me/notifications?limit=100')).items.find(
      (x: { id: string }) => x.id === topupMsg!.id,
    );
    expect(read.readAt).not.toBeNull();
    await screenshot(page(), 'notifications-read');
  });

  test('Webhook: the delivery log shows the event with its status code; 重新投递, then rotate the secret', async () => {
    await nav(page(), 'Webhook').click();
    const row = page().getByTestId(`webhook-row-${webhookId}`);
    await expect
      .poll(() => row.getByTestId('webhook-status').textContent(), { timeout: 10_000 })
      .toContain('成功');
    await row.getByTestId('webhook-deliveries').click();
    const drawer = page().getByTestId('deliveries');
    await drawer.waitFor();
    const delivery = drawer.locator('tr[data-testid^="delivery-"]').first();
    await delivery.waitFor();
    expect(await delivery.getByTestId('delivery-status').textContent()).toBe('成功');
    expect(await delivery.getByTestId('delivery-code').textContent()).toBe('200');
    expect(await delivery.getByTestId('delivery-attempts').textContent()).toBe('1');
    expect(await delivery.textContent()).toContain('充值到账');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'webhook-deliveries');

    await delivery.getByTestId('delivery-redeliver').click();
    await waitForDeliveries(2);
    expect(JSON.parse(received[1]!.body).id).toBe(JSON.parse(received[0]!.body).id);
    expect(verifies(secret, received[1]!)).toBe(true);
    // the log refreshes itself while the delivery is pending
    await expect
      .poll(() => delivery.getByTestId('delivery-attempts').textContent(), { timeout: 15_000 })
      .toBe('2');
    expect(await delivery.getByTestId('delivery-status').textContent()).toBe('成功');
    await page().keyboard.press('Escape');
    await page().locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
    await expect.poll(() => focusedTestId(page())).toBe('webhook-deliveries');

    await row.getByTestId('webhook-rotate').click();
    expect(await page().locator('.ant-modal').textContent()).toContain('旧密钥立即失效');
    await page().getByTestId('webhook-rotate-confirm').click();
    await page().getByTestId('webhook-secret').waitFor();
    const rotated = await page().getByTestId('webhook-secret').inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await screenshot(page(), 'webhook-rotated');
    await page().getByTestId('webhook-secret-done').click();
    await page().locator('.ant-modal').waitFor({ state: 'detached' });
    await row.getByTestId('webhook-rotated-at').waitFor();

    // the next attempt is signed with the new secret, not the old one
    await row.getByTestId('webhook-deliveries').click();
    await page()
      .getByTestId('deliveries')
      .locator('tr[data-testid^="delivery-"]')
      .first()
      .getByTestId('delivery-redeliver')
      .click();
    await waitForDeliveries(3);
    expect(verifies(rotated, received[2]!)).toBe(true);
    expect(verifies(secret, received[2]!)).toBe(false);
    await page().keyboard.press('Escape');
    await page().locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
  });

  test('设置: a category muted (and no longer told), the critical ones locked on, mail language, threshold', async () => {
    await nav(page(), '设置').click();
    await page().getByTestId('settings-page').waitFor();
    const topupSwitch = page().getByTestId('category-switch-topup_credited');
    await topupSwitch.waitFor();
    expect(await topupSwitch.getAttribute('aria-checked')).toBe('true');
    const critical = page().getByTestId('category-switch-balance_low');
    expect(await critical.getAttribute('aria-checked')).toBe('true');
    expect(await critical.isDisabled()).toBe(true);
    expect(await page().getByTestId('category-balance_low').textContent()).toContain('不可关闭');
    expect(await page().getByTestId('category-bill_overdue').getByTestId('category-locked').count()).toBe(1);
    expect(await page().getByTestId('category-topup_credited').getByTestId('category-locked').count()).toBe(
      0,
    );

    await topupSwitch.click();
    expect(await topupSwitch.getAttribute('aria-checked')).toBe('false');
    await page().getByTestId('notification-settings-save').click();
    await page().getByText('通知设置已保存').waitFor();
    expect((await apiAs(f.admin, 'GET', '/v1/me/notification-settings')).muted).toEqual(['topup_credited']);

    await page().getByTestId('mail-language-en').click();
    await page().getByTestId('mail-language-save').click();
    await page().getByText('邮件语言已保存').waitFor();
    expect((await apiAs(f.admin, 'GET', '/v1/me/settings')).locale).toBe('en');

    expect(await page().getByTestId('low-balance-current').textContent()).toBe('¥100.00');
    await page().getByTestId('low-balance-input').fill('12.345');
    await page().getByTestId('low-balance-save').click();
    await page().getByTestId('low-balance-invalid').waitFor();
    expect(await page().getByTestId('low-balance-invalid').textContent()).toContain('最多两位小数');
    expect((await apiAs(f.admin, 'GET', `/v1/orgs/${f.org.id}/settings/low-balance`)).threshold).toBe(10_000);
    await page().getByTestId('low-balance-input').fill('200.50');
    await page().getByTestId('low-balance-save').click();
    await page().getByText('余额预警阈值已保存').waitFor();
    expect((await apiAs(f.admin, 'GET', `/v1/orgs/${f.org.id}/settings/low-balance`)).threshold).toBe(20_050);
    expect(await page().getByTestId('low-balance-current').textContent()).toBe('¥200.50');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'settings');

    // muted: the next top-up tells the Billing Admin, not the Org Admin
    await topUp(e2e.server, f.org.remittanceCode, 50_000);
    await notificationsOf(billingAdmin, 'topup_credited', 2);
    await notificationsOf(f.admin, 'topup_credited', 1);
  });
});

describe('notifications at 390×844 in en-US', () => {
  test('the three pages on a phone: no sideways scrolling; the endpoint is deleted after a confirmation', async () => {
    await page().setViewportSize({ width: 390, height: 844 });
    await page().getByTestId('lang-switch').click();
    await expect.poll(() => page().evaluate(() => document.documentElement.lang)).toBe('en-US');
    const bell = page().getByTestId('notification-bell');
    expect(await bell.isVisible()).toBe(true);
    const unread = await unreadOf(f.admin);
    await expect.poll(bellLabel).toBe(unread > 0 ? `Messages, ${unread} unread` : 'Messages');

    await bell.click();
    await page().getByTestId('notifications-page').waitFor();
    await page().getByTestId('notifications-list').waitFor();
    expect(await page().getByTestId('notifications-page').textContent()).toContain('Top-up credited');
    await noSidewaysScroll('notifications');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'phone-notifications');

    await phoneNav('Settings');
    await page().getByTestId('category-switch-topup_credited').waitFor();
    expect(await page().getByTestId('category-switch-topup_credited').getAttribute('aria-checked')).toBe(
      'false',
    );
    expect(await page().getByTestId('category-balance_low').textContent()).toContain('Always on');
    await noSidewaysScroll('settings');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'phone-settings');

    await phoneNav('Webhooks');
    const row = page().locator('[data-testid^="webhook-row-"]');
    await row.waitFor();
    await noSidewaysScroll('webhooks');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'phone-webhooks');
    await row.getByTestId('webhook-deliveries').click();
    await page().getByTestId('deliveries').locator('tr[data-testid^="delivery-"]').first().waitFor();
    expect(await page().getByTestId('deliveries').textContent()).toContain('Succeeded');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'phone-webhook-deliveries');
    await page().keyboard.press('Escape');
    await page().locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });

    await row.getByTestId('webhook-delete').click();
    expect(await page().locator('.ant-modal').textContent()).toContain(hookUrl);
    await screenshot(page(), 'phone-webhook-delete');
    await page().getByTestId('webhook-delete-confirm').click();
    await page().getByText('No webhooks yet').waitFor();
    expect((await apiAs(f.admin, 'GET', `/v1/orgs/${f.org.id}/webhooks`)).items).toEqual([]);
  });

  test('a Billing Admin marks all read and sets the threshold; a Project Admin only reads it', async () => {
    await signOut(page());
    await signIn(page(), e2e.server.url, billingAdmin);
    const unread = await unreadOf(billingAdmin);
    expect(unread).toBeGreaterThanOrEqual(2); // the two top-ups
    await page().getByTestId('notification-bell').click();
    await page().getByTestId('notifications-list').waitFor();
    await expect.poll(bellLabel).toBe(`Messages, ${unread} unread`);
    await page().getByTestId('notifications-mark-all').click();
    await expect.poll(bellLabel).toBe('Messages');
    expect(await page().getByTestId('notification-bell-count').count()).toBe(0);
    expect(await page().locator('[data-unread="true"]').count()).toBe(0);
    expect(await unreadOf(billingAdmin)).toBe(0);
    await screenshot(page(), 'phone-notifications-all-read');

    await phoneNav('Settings');
    await page().getByTestId('low-balance-input').waitFor();
    expect(await page().getByTestId('low-balance-current').textContent()).toBe('¥200.50');
    await page().getByTestId('low-balance-input').fill('300');
    await page().getByTestId('low-balance-save').click();
    await page().getByText('Low-balance threshold saved').waitFor();
    expect((await apiAs(billingAdmin, 'GET', `/v1/orgs/${f.org.id}/settings/low-balance`)).threshold).toBe(
      30_000,
    );

    await signOut(page());
    await signIn(page(), e2e.server.url, projectAdmin);
    // no Webhooks in a Project Admin's menu (webhook.manage is the Org Admin's)
    await page().getByTestId('menu-button').click();
    const menu = page().locator('.ant-drawer .tally-nav');
    await menu.waitFor();
    expect(await menu.getByRole('link', { name: 'Webhooks', exact: true }).count()).toBe(0);
    await page().keyboard.press('Escape');
    await page().locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
    await phoneNav('Settings');
    await page().getByTestId('low-balance-readonly').waitFor();
    expect(await page().getByTestId('low-balance-current').textContent()).toBe('¥300.00');
    expect(await page().getByTestId('low-balance-input').count()).toBe(0);
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'phone-settings-project-admin');
  });
});
