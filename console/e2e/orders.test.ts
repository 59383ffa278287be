import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Browser,
  buyCluster,
  createOrg,
  type Fixture,
  launchBrowser,
  nav,
  pickOption,
  ROOT,
  screenshot,
  screenshotPrefix,
  signIn,
  startServer,
  type TestServer,
  topUp,
} from './harness.js';

/**
 * The Org Admin's path through 费用中心 in a real browser: sign in, buy a cluster and land on its unpaid
 * order, fail to pay on an empty balance (shortfall), top up, pay (a double click pays once), cancel another
 * order, download, read the detail, switch to English.
 */
let server: TestServer;
let browser: Browser;
let page: Page;
let f: Fixture;
let firstOrderId = '';

const row = (id: string) => page.locator(`tr[data-row-key="${id}"]`);

beforeAll(async () => {
  screenshotPrefix('admin');
  server = await startServer();
  f = await createOrg(server, { name: '端到端测试科技', projects: ['智能检索', '推荐系统'] });
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('费用中心 as the Org Admin', () => {
  test('signs in and sees the empty orders page in Chinese', async () => {
    await page.goto(`${server.url}/orgs/${f.org.id}/orders`);
    // not signed in: the sign-in page, which returns to the orders page afterwards
    await page.waitForURL('**/login?next=**');
    await page.getByTestId('login-email').waitFor();
    await screenshot(page, 'login');
    await signIn(page, server.url, f.admin);
    await page.waitForURL(`**/orgs/${f.org.id}/orders`);
    await page.getByTestId('orders-empty').waitFor();
    expect(await page.getByTestId('orders-page').textContent()).toContain('订单状态');
    expect(await page.getByTestId('orders-empty').textContent()).toContain('暂无订单');
    await screenshot(page, 'orders-empty');
  });

  test('creates a cluster with a live quote and lands on its unpaid order', async () => {
    await nav(page, '集群').click();
    await page.getByTestId('clusters-page').waitFor();
    await screenshot(page, 'clusters-empty');
    await page.getByTestId('create-cluster').click();
    await page.getByTestId('create-cluster-page').waitFor();
    await pickOption(page, 'create-project', '智能检索');
    await page.getByTestId('create-name').fill('e2e-search');
    // 1 CU × 1 replica × 1 month at ¥1.25 per CU-hour = ¥900.00
    await expect.poll(() => page.getByTestId('quote-amount').textContent()).toBe('¥900.00');
    // The 1-year term is 7折: the quote follows the form.
    await page.getByTestId('create-term').locator('label', { hasText: /^1年/ }).click();
    await expect.poll(() => page.getByTestId('quote-amount').textContent()).toBe('¥7,560.00');
    expect(await page.getByTestId('create-term').textContent()).toContain('5折');
    await screenshot(page, 'create-cluster');
    await page
      .getByTestId('create-term')
      .locator('label', { hasText: /^1个月$/ })
      .click();
    await expect.poll(() => page.getByTestId('quote-amount').textContent()).toBe('¥900.00');
    await page.getByTestId('create-submit').click();
    await page.waitForURL(/\/orders\/ord_[A-Z0-9]+$/);
    firstOrderId = page.url().split('/').pop()!;
    await page.getByTestId('order-detail').waitFor();
    expect(await page.getByTestId('order-status').first().textContent()).toBe('未支付');
    expect(await page.getByTestId('detail-amount').textContent()).toBe('¥900.00');
    expect(await page.getByTestId('pay').textContent()).toBe('支付');
    await screenshot(page, 'new-order-detail');
  });

  test('支付 with an empty balance shows the shortfall and a link to 充值', async () => {
    await nav(page, '订单').click();
    await row(firstOrderId).waitFor();
    expect(await row(firstOrderId).getByTestId('order-status').textContent()).toBe('未支付');
    expect(await row(firstOrderId).getByTestId('time-left').textContent()).toMatch(/^剩余 6天23小时5\d分$/);
    expect(await row(firstOrderId).getByTestId('order-amount').textContent()).toBe('¥900.00');
    await screenshot(page, 'orders-unpaid');
    await row(firstOrderId).getByTestId('pay').click();
    await page.getByTestId('pay-shortfall').waitFor();
    expect(await page.getByTestId('pay-cash').textContent()).toBe('¥0.00');
    expect(await page.getByTestId('pay-shortfall').textContent()).toBe('¥900.00');
    expect(await page.getByTestId('pay-confirm').isDisabled()).toBe(true);
    expect(await page.getByTestId('pay-topup-link').textContent()).toBe('去充值');
    await screenshot(page, 'pay-shortfall');
    await page.getByRole('button', { name: '暂不支付' }).click();
    await page.getByTestId('pay-dialog').waitFor({ state: 'detached' });
  });

  test('after a top-up through the internal API, 支付 succeeds once and the row says 已支付', async () => {
    await topUp(server, f.org.remittanceCode, 100_000);
    await row(firstOrderId).getByTestId('pay').click();
    await expect.poll(() => page.getByTestId('pay-cash').textContent()).toBe('¥1,000.00');
    expect(await page.getByTestId('pay-shortfall').count()).toBe(0);
    await screenshot(page, 'pay-dialog');
    // A double click must never pay twice.
    await page.getByTestId('pay-confirm').dblclick();
    await page.getByTestId('pay-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => row(firstOrderId).getByTestId('order-status').textContent()).toBe('已支付');
    expect(await row(firstOrderId).getByTestId('pay').count()).toBe(0);
    const balance = await server.call('GET', `/v1/orgs/${f.org.id}/balance`, undefined, f.admin.apiKey);
    expect(balance.json.cash).toBe(10_000);
    await screenshot(page, 'orders-paid');
  });

  test('取消订单 → 确定取消 cancels another order', async () => {
    const { order } = await buyCluster(server, f, f.projects[1]!.id, 'e2e-reco');
    await page.reload();
    await row(order.id).waitFor();
    await row(order.id).getByTestId('more').click();
    await page.getByTestId('cancel-order').click();
    await page.getByTestId('cancel-dialog').waitFor();
    expect(await page.getByTestId('cancel-dialog').textContent()).toContain(
      '订单取消后将无法恢复，也无法再支付',
    );
    await screenshot(page, 'cancel-dialog');
    await page.getByTestId('cancel-confirm').click();
    await page.getByTestId('cancel-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => row(order.id).getByTestId('order-status').textContent()).toBe('已取消');
    expect(await row(order.id).getByTestId('more').count()).toBe(0);
    const o = await server.call('GET', `/v1/orgs/${f.org.id}/orders/${order.id}`, undefined, f.admin.apiKey);
    expect(o.json.status).toBe('cancelled');
    await screenshot(page, 'orders-cancelled');
  });

  test('filters by status and searches', async () => {
    await pickOption(page, 'filter-status', '已支付');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('tr[data-row-key]').count()).toBe(1);
    expect(page.url()).toContain('status=paid');
    await page.getByRole('button', { name: '重置' }).click();
    await expect.poll(() => page.locator('tr[data-row-key]').count()).toBe(2);
    await page.getByTestId('filter-search').locator('input').fill('nothing-like-this');
    await page.getByTestId('filter-search').locator('input').press('Enter');
    await page.getByTestId('orders-empty').waitFor();
    expect(await page.getByTestId('orders-empty').textContent()).toContain('没有符合条件的订单');
    await screenshot(page, 'orders-filtered-empty');
    await page.getByRole('button', { name: '重置' }).click();
    await row(firstOrderId).waitFor();
    // The created-time range is read as calendar days in the org's time zone (Asia/Shanghai here).
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await page.goto(`${server.url}/orgs/${f.org.id}/orders?from=${today}&to=${today}&type=new_purchase`);
    await expect.poll(() => page.locator('tr[data-row-key]').count()).toBe(2);
    await page.locator('.ant-picker-range').waitFor();
    await screenshot(page, 'orders-date-filter');
    await page.goto(`${server.url}/orgs/${f.org.id}/orders?from=2020-01-01&to=2020-01-31`);
    await page.getByTestId('orders-empty').waitFor();
    await page.goto(`${server.url}/orgs/${f.org.id}/orders`);
    await row(firstOrderId).waitFor();
  });

  test('下载 delivers the order document as a file', async () => {
    const downloading = page.waitForEvent('download');
    await row(firstOrderId).getByTestId('download').click();
    const download = await downloading;
    const path = join(ROOT, 'test-output', 'downloads', download.suggestedFilename());
    await download.saveAs(path);
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(500);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  test('the order id opens its detail: configuration, prices, deadline and history', async () => {
    await row(firstOrderId).getByTestId('order-link').click();
    await page.getByTestId('order-detail').waitFor();
    const text = await page.getByTestId('order-detail').textContent();
    expect(text).toContain(firstOrderId);
    expect(text).toContain('已支付');
    expect(text).toContain('阿里云 华东1（杭州）');
    expect(text).toContain('性能型');
    expect(text).toContain('¥900.00');
    expect(text).toContain('创建订单');
    expect(text).toContain('未支付 → 已支付');
    await screenshot(page, 'order-detail-paid');
  });

  test('balance and top-up pages show the balances, the remittance account and the history', async () => {
    await nav(page, '余额').click();
    await page.getByTestId('balance-page').waitFor();
    expect(await page.getByTestId('balance-cash').textContent()).toContain('¥100.00');
    expect(await page.getByTestId('balance-page').textContent()).toContain('不能用于支付包年包月订单');
    await screenshot(page, 'balance');
    await nav(page, '充值').click();
    await page.getByTestId('topup-page').waitFor();
    expect(await page.getByTestId('account-number').textContent()).toMatch(
      new RegExp(`${f.org.remittanceCode}$`),
    );
    expect(await page.getByTestId('topup-note').textContent()).toContain('充值不会支付订单');
    await page.getByTestId('topup-history').getByText('¥1,000.00').waitFor();
    await screenshot(page, 'topup');
  });

  test('the bills page shows the open month with the paid order in its lines, and its PDF', async () => {
    await nav(page, '账单').click();
    await page.getByTestId('bills-page').waitFor();
    await page.getByTestId('bill-status-open').waitFor();
    const text = await page.getByTestId('bills-page').textContent();
    expect(text).toContain('账单月份');
    expect(text).toContain('未出账');
    expect(text).toContain('包年包月（已预付）');
    expect(text).toContain('¥900.00');
    await screenshot(page, 'bills');
    await page.locator('[data-testid="bills-page"] .ant-table-row-expand-icon').first().click();
    const lines = page.locator('[data-testid^="bill-lines-"]');
    await lines.getByText(firstOrderId).waitFor();
    const linesText = await lines.textContent();
    expect(linesText).toContain('新购');
    expect(linesText).toContain('已预付结清');
    expect(linesText).toContain('本月尚未出账');
    await screenshot(page, 'bill-lines');
    const downloading = page.waitForEvent('download');
    await page.locator('[data-testid^="bill-pdf-"]').first().click();
    const download = await downloading;
    const path = join(ROOT, 'test-output', 'downloads', download.suggestedFilename());
    await download.saveAs(path);
    expect(readFileSync(path).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  test('upgrades the running cluster with a live prorated quote', async () => {
    await nav(page, '集群').click();
    await page.getByTestId('clusters-page').waitFor();
    // Provisioning takes 0 s here; the page shows the cluster as running once the job has run.
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByTestId('clusters-page').waitFor();
          return page.getByTestId('upgrade').count();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(1);
    await screenshot(page, 'clusters');
    await page.getByTestId('upgrade').click();
    await page.getByTestId('upgrade-dialog').waitFor();
    await pickOption(page, 'upgrade-cusize', '2 CU');
    await expect.poll(() => page.getByTestId('quote-amount').textContent()).toMatch(/^¥\d[\d,]*\.\d\d$/);
    await screenshot(page, 'upgrade-dialog');
    await page.getByTestId('upgrade-confirm').click();
    await page.waitForURL(/\/orders\/ord_[A-Z0-9]+$/);
    await page.getByTestId('order-detail').waitFor();
    const text = await page.getByTestId('order-detail').textContent();
    expect(text).toContain('升配');
    expect(text).toContain('升配前');
    expect(text).toContain('未支付');
    await screenshot(page, 'upgrade-order-detail');
  });

  test('the English switch translates the page', async () => {
    await nav(page, '订单').click();
    await row(firstOrderId).waitFor();
    await page.getByTestId('lang-switch').click();
    await page.getByRole('columnheader', { name: 'Order ID' }).waitFor();
    const text = await page.getByTestId('orders-page').textContent();
    expect(text).toContain('Status');
    expect(text).toContain('Paid');
    expect(text).toContain('Cancelled');
    expect(text).toContain('New purchase');
    expect(text).not.toMatch(/订单号|已支付|已取消|新购/);
    await screenshot(page, 'orders-english');
    await nav(page, 'Bills').click();
    await page.getByTestId('bill-status-open').waitFor();
    const bills = await page.getByTestId('bills-page').textContent();
    expect(bills).toContain('Subscription (prepaid)');
    expect(bills).toContain('Open');
    expect(bills).not.toMatch(/账单|未出账|包年包月/);
    await nav(page, 'Orders').click();
    await row(firstOrderId).waitFor();
    await page.getByTestId('lang-switch').click();
    await page.getByRole('columnheader', { name: '订单号' }).waitFor();
  });
});
