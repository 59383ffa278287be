import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  addMember,
  advanceClock,
  axeViolations,
  buyCluster,
  buyClusterOf,
  createOrg,
  e2eFile,
  type Fixture,
  type Member,
  payOrder,
  screenshot,
  signIn,
  signOut,
  topUp,
} from './harness.js';

/**
 * The console by keyboard and for assistive technology (WCAG 2.0/2.1 A and AA): axe-core finds no serious or
 * critical violation on any page or key dialog, at 1440×900 and 390×844 (a screenshot of each); signing in,
 * the 创建时间 filter, 更多 → 取消订单 and 支付 work with the keyboard alone, and closing a dialog puts the
 * focus back on what opened it.
 */
const e2e = e2eFile('a11y', { TALLY_TEST_CLOCK: '1' });
const DESKTOP = { name: 'desktop', width: 1440, height: 900 };
const PHONE = { name: 'phone', width: 390, height: 844 };
let f: Fixture;
let member: Member;
const ids = {
  running: '',
  paidOrder: '',
  unpaidPay: '',
  unpaidCancel: '',
  cancelled: '',
  timedOut: '',
  unpaidKeep: '',
  second: '',
};

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const page = (): Page => e2e.page;
const at = (path: string) => `${e2e.server.url}/orgs/${f.org.id}${path}`;
const row = (id: string) => page().locator(`tr[data-row-key="${id}"]`);
// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> => {
  const r = await e2e.server.call(method, `/v1/orgs/${f.org.id}${path}`, body, f.admin.apiKey);
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
  return r.json;
};

/** The test id of the element that has the focus (or of its nearest ancestor with one), and its text. */
const focused = () =>
  page().evaluate(() => {
    const el = document.activeElement;
    const withId = el?.closest('[data-testid]');
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      testId: withId?.getAttribute('data-testid') ?? '',
      text: (el?.textContent ?? '').trim(),
      row: el?.closest('tr[data-row-key]')?.getAttribute('data-row-key') ?? '',
    };
  });

/** axe-core on the page as it is: no serious or critical violation; and a screenshot named after it. */
async function check(size: { name: string }, name: string): Promise<void> {
  await page().waitForTimeout(300);
  // The console's Content-Security-Policy refuses an inline <script>: axe-core is evaluated instead.
  if (!(await page().evaluate(() => 'axe' in window))) await page().evaluate(AXE_SOURCE);
  expect.soft(await axeViolations(page()), `${size.name} ${name}`).toEqual([]);
  await screenshot(page(), `${size.name}-${name}`);
}

async function waitClusters(states: Record<string, string>): Promise<void> {
  for (let tries = 0; ; tries++) {
    const now = await Promise.all(Object.keys(states).map((id) => api('GET', `/clusters/${id}`)));
    if (now.every((c) => c.state === states[c.id])) return;
    if (tries > 60) throw new Error(`clusters not ready: ${now.map((c) => c.state).join(',')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '无障碍测试科技', projects: ['向量检索', '推荐系统'] });
  member = await addMember(e2e.server, f.org.id, 'org_member');
  await topUp(e2e.server, f.org.remittanceCode, 5_000_000);
  const project = f.projects[0]!.id;
  // An order left unpaid for 8 days times out (the payment window is 7 days).
  ids.timedOut = (await buyCluster(e2e.server, f, project, 'a11y-timed-out')).order.id;
  await advanceClock(e2e.server, 8 * 86_400);
  const running = await buyClusterOf(e2e.server, f, f.projects[1]!.id, 'a11y-running', {
    cuSize: 1,
    replicas: 1,
    term: { unit: 'year', count: 1 },
  });
  await payOrder(e2e.server, f, running.order.id);
  ids.running = running.cluster.id;
  ids.paidOrder = running.order.id;
  const second = await buyClusterOf(e2e.server, f, project, 'a11y-second', {
    cuSize: 1,
    replicas: 1,
    term: { unit: 'year', count: 1 },
  });
  await payOrder(e2e.server, f, second.order.id);
  ids.second = second.cluster.id;
  ids.unpaidKeep = (await buyCluster(e2e.server, f, project, 'a11y-unpaid')).order.id;
  ids.cancelled = (await buyCluster(e2e.server, f, project, 'a11y-cancelled')).order.id;
  await api('POST', `/orders/${ids.cancelled}/cancel`, {});
  ids.unpaidCancel = (await buyCluster(e2e.server, f, project, 'a11y-to-cancel')).order.id;
  ids.unpaidPay = (await buyCluster(e2e.server, f, project, 'a11y-to-pay')).order.id;
  await waitClusters({ [ids.running]: 'running', [ids.second]: 'running' });
  for (let tries = 0; (await api('GET', `/orders/${ids.timedOut}`)).status !== 'timed_out'; tries++) {
    if (tries > 40) throw new Error('the order did not time out');
    await new Promise((r) => setTimeout(r, 250));
  }
});

describe('accessibility of the console', () => {
  test('sign in by keyboard alone; the sign-in page has no violation at either size', async () => {
    await page().goto(`${e2e.server.url}/login`);
    await page().getByTestId('login-email').waitFor();
    await page().setViewportSize(PHONE);
    await check(PHONE, 'login');
    await page().setViewportSize(DESKTOP);
    await check(DESKTOP, 'login');
    for (let i = 0; i < 10 && (await focused()).testId !== 'login-email'; i++)
      await page().keyboard.press('Tab');
    expect((await focused()).testId).toBe('login-email');
    await page().keyboard.type(f.admin.email);
    await page().keyboard.press('Tab');
    expect((await focused()).testId).toBe('login-password');
    await page().keyboard.type(f.admin.password);
    await page().keyboard.press('Enter');
    await page().waitForURL(`**/orgs/${f.org.id}/orders`);
    await row(ids.unpaidPay).waitFor();
  });

  test('订单: the 创建时间 range by keyboard, released by Esc and Tab', async () => {
    const start = page().getByLabel('创建时间：开始日期');
    await start.waitFor();
    expect(await page().getByLabel('创建时间：结束日期').count()).toBe(1);
    const inRange = () => page().evaluate(() => Boolean(document.activeElement?.closest('fieldset')));
    // Empty: Esc, then Tab to the end date and Tab again out of the filter (it used to send the focus back).
    await start.focus();
    await page().keyboard.press('Escape');
    await page().keyboard.press('Tab');
    expect(await page().evaluate(() => document.activeElement?.id)).toBe('orders-created-to');
    await page().keyboard.press('Tab');
    expect(await inRange()).toBe(false);
    // A range typed in, then Esc and Tab leave it.
    await start.focus();
    await page().keyboard.type('2020-01-01');
    await page().keyboard.press('Enter');
    await page().keyboard.type('2030-12-31');
    await page().keyboard.press('Enter');
    await page().waitForURL(/from=2020-01-01&to=2030-12-31/);
    await page().keyboard.press('Escape');
    // at most: start date → end date → its clear button → out
    for (let i = 0; i < 3 && (await inRange()); i++) await page().keyboard.press('Tab');
    expect(await inRange()).toBe(false);
    await expect.poll(() => page().locator('.ant-picker-dropdown:visible').count()).toBe(0);
    await row(ids.unpaidPay).waitFor();
    await check(DESKTOP, 'orders-filtered');
  });

  test('支付 by keyboard; closing its dialog puts the focus back on 支付', async () => {
    await page().goto(at('/orders'));
    await row(ids.unpaidPay).waitFor();
    // 支付 → Esc: back on 支付.
    await row(ids.unpaidPay).getByTestId('pay').focus();
    await page().keyboard.press('Enter');
    await page().getByTestId('pay-dialog').waitFor();
    await page().getByTestId('pay-amount').waitFor();
    await page().keyboard.press('Escape');
    await page().getByTestId('pay-dialog').waitFor({ state: 'detached' });
    await expect.poll(focused).toMatchObject({ testId: 'pay', row: ids.unpaidPay });

    // 支付 → 确认支付 by keyboard.
    await row(ids.unpaidPay).getByTestId('pay').focus();
    await page().keyboard.press('Enter');
    await page().getByTestId('pay-amount').waitFor();
    await tabTo('pay-confirm');
    await page().keyboard.press('Enter');
    await page().getByTestId('pay-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => row(ids.unpaidPay).getByTestId('order-status').textContent()).toBe('已支付');
    expect((await api('GET', `/orders/${ids.unpaidPay}`)).status).toBe('paid');
    await expect.poll(async () => (await focused()).row).toBe(ids.unpaidPay);
  });

  test('更多 → 取消订单 → 确定取消 by keyboard; Esc returns the focus to 更多', async () => {
    await row(ids.unpaidCancel).getByTestId('more').focus();
    await page().keyboard.press('Enter');
    const menuItem = page().locator('.ant-dropdown:visible [role="menuitem"]');
    await menuItem.waitFor();
    await expect.poll(async () => (await focused()).text).toBe('取消订单');
    await page().keyboard.press('Enter');
    await page().getByTestId('cancel-dialog').waitFor();
    await page().keyboard.press('Escape');
    await page().getByTestId('cancel-dialog').waitFor({ state: 'detached' });
    await expect.poll(focused).toMatchObject({ testId: 'more', row: ids.unpaidCancel });
    // Again, through to 确定取消: the order is cancelled and the focus stays on its row.
    await page().keyboard.press('Enter');
    await menuItem.waitFor();
    await expect.poll(async () => (await focused()).text).toBe('取消订单');
    await page().keyboard.press('Enter');
    await page().getByTestId('cancel-dialog').waitFor();
    await tabTo('cancel-confirm');
    await page().keyboard.press('Enter');
    await page().getByTestId('cancel-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => row(ids.unpaidCancel).getByTestId('order-status').textContent()).toBe('已取消');
    expect((await api('GET', `/orders/${ids.unpaidCancel}`)).status).toBe('cancelled');
    await expect.poll(async () => (await focused()).row).toBe(ids.unpaidCancel);
  });

  test('升配 and 续订: labelled controls, focus back on the opener, and an unpaid order said up front', async () => {
    await page().goto(at('/clusters'));
    await row(ids.running).waitFor();
    for (const kind of ['upgrade', 'renew'] as const) {
      await row(ids.running).getByTestId(kind).focus();
      await page().keyboard.press('Enter');
      await page().getByTestId(`${kind}-dialog`).waitFor();
      await page()
        .getByTestId(kind === 'renew' ? 'quote-amount' : 'upgrade-cusize')
        .waitFor();
      await page().keyboard.press('Escape');
      await page().getByTestId(`${kind}-dialog`).waitFor({ state: 'detached' });
      await expect.poll(focused).toMatchObject({ testId: kind, row: ids.running });
    }
    await row(ids.running).getByTestId('upgrade').click();
    await page().getByTestId('upgrade-dialog').waitFor();
    // The labels name their controls.
    expect(await page().getByLabel('CU 规格', { exact: true }).getAttribute('role')).toBe('combobox');
    expect(await page().getByLabel('副本数', { exact: true }).getAttribute('role')).toBe('spinbutton');
    await page().keyboard.press('Escape');
    await page().getByTestId('upgrade-dialog').waitFor({ state: 'detached' });

    // An upgrade placed elsewhere (the API) while this list is on screen: both dialogs say so when opened.
    const pending = await api('POST', `/clusters/${ids.running}/upgrade`, { cuSize: 2 });
    for (const kind of ['renew', 'upgrade'] as const) {
      await row(ids.running).getByTestId(kind).click();
      const notice = page().getByTestId(`${kind}-pending`);
      await notice.waitFor();
      expect(await notice.textContent()).toContain('未支付');
      expect(await page().getByTestId(`${kind}-confirm`).isDisabled()).toBe(true);
      await check(DESKTOP, `${kind}-dialog-pending`);
      if (kind === 'renew') {
        await page().keyboard.press('Escape');
        await page().getByTestId(`${kind}-dialog`).waitFor({ state: 'detached' });
      }
    }
    await page().getByTestId('upgrade-pending-link').click();
    await page().waitForURL(`**/orders/${pending.order.id}`);
    await page().getByTestId('order-detail').waitFor();
  });

  test.each([DESKTOP, PHONE])(
    'every page and key dialog at $width×$height: no serious or critical violation',
    async (size) => {
      const pages: [string, string, string][] = [
        ['orders', '/orders', 'orders-page'],
        ['order-detail', `/orders/${ids.paidOrder}`, 'order-detail'],
        ['clusters', '/clusters', 'clusters-page'],
        ['create-cluster', '/clusters/new', 'quote-amount'],
        ['balance', '/balance', 'balance-page'],
        ['ledger', '/ledger', 'ledger-page'],
        ['topup', '/topup', 'topup-page'],
        ['bills', '/bills', 'bills-page'],
        ['invoices', '/invoices', 'invoices-page'],
        ['notifications', '/notifications', 'notifications-page'],
        ['settings', '/settings', 'settings-page'],
        ['webhooks', '/webhooks', 'webhooks-page'],
        ['api-keys', '/api-keys', 'api-keys-page'],
        ['not-found', '/no-such-page', 'not-found'],
      ];
      await page().setViewportSize(size);
      for (const [name, path, testId] of pages) {
        await page().goto(at(path));
        const shown = await page()
          .getByTestId(testId)
          .first()
          .waitFor()
          .then(() => true)
          .catch(() => false);
        if (!shown) {
          // This page did not render: say what it shows instead, and go on with the others.
          const says = (await page().locator('body').innerText()).replace(/\s+/g, ' ').slice(0, 400);
          expect.soft(shown, `${size.name} ${name}: ${testId} not shown; the page says: ${says}`).toBe(true);
          continue;
        }
        await page()
          .locator('.ant-spin-spinning')
          .first()
          .waitFor({ state: 'detached' })
          .catch(() => {});
        await check(size, name);
      }
      // The key dialogs at this size.
      await page().goto(at('/orders'));
      await row(ids.unpaidKeep).getByTestId('pay').click();
      await page().getByTestId('pay-amount').waitFor();
      await check(size, 'pay-dialog');
      await page().keyboard.press('Escape');
      await page().getByTestId('pay-dialog').waitFor({ state: 'detached' });
      await row(ids.unpaidKeep).getByTestId('more').click();
      await page().locator('.ant-dropdown:visible [role="menuitem"]').click();
      await page().getByTestId('cancel-dialog').waitFor();
      await check(size, 'cancel-dialog');
      await page().keyboard.press('Escape');
      await page().getByTestId('cancel-dialog').waitFor({ state: 'detached' });
      await page().goto(at('/clusters'));
      for (const kind of ['upgrade', 'renew'] as const) {
        await row(ids.second).getByTestId(kind).click();
        await page().getByTestId(`${kind}-dialog`).waitFor();
        await page()
          .getByTestId(kind === 'renew' ? 'quote-amount' : 'upgrade-cusize')
          .waitFor();
        await check(size, `${kind}-dialog`);
        await page().keyboard.press('Escape');
        await page().getByTestId(`${kind}-dialog`).waitFor({ state: 'detached' });
      }
      await page().setViewportSize(DESKTOP);
    },
  );

  test('the 无权限 page (an Org Member at the orders page) at both sizes', async () => {
    await page().goto(at('/orders'));
    await signOut(page());
    await signIn(page(), e2e.server.url, member);
    await page().goto(at('/orders'));
    await page().getByTestId('forbidden').waitFor();
    await check(DESKTOP, 'forbidden');
    await page().setViewportSize(PHONE);
    await check(PHONE, 'forbidden');
    await page().setViewportSize(DESKTOP);
  });
});

/** Presses Tab until the element with the test id has the focus (a dialog's buttons come after its content). */
async function tabTo(testId: string): Promise<void> {
  for (let i = 0; i < 20 && (await focused()).testId !== testId; i++) await page().keyboard.press('Tab');
  expect((await focused()).testId).toBe(testId);
}
