import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  buyCluster,
  createOrg,
  e2eFile,
  type Fixture,
  nav,
  pickOption,
  ROOT,
  screenshot,
  signIn,
  topUp,
} from './harness.js';

/**
 * The Org Admin's path through 费用中心 in a real browser: sign in, buy a cluster and land on its unpaid
 * order, fail to pay on an empty balance (shortfall), top up, pay (a double click pays once), cancel another
 * order, download, read the detail, switch to English.
 */
// The seed's flows on the embedded database, as `npm start` runs it (the other files use PostgreSQL when it is there).
const e2e = e2eFile('admin', {}, { embedded: true });
let f: Fixture;
let firstOrderId = '';

const row = (id: string) => e2e.page.locator(`tr[data-row-key="${id}"]`);

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '端到端测试科技', projects: ['智能检索', '推荐系统'] });
});

describe('费用中心 as the Org Admin', () => {
  test('signs in and sees the empty orders page in Chinese', async () => {
    await e2e.page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
    // not signed in: the sign-in page, which returns to the orders page afterwards
    await e2e.page.waitForURL('**/login?next=**');
    await e2e.page.getByTestId('login-email').waitFor();
    await screenshot(e2e.page, 'login');
    await signIn(e2e.page, e2e.server.url, f.admin);
    await e2e.page.waitForURL(`**/orgs/${f.org.id}/orders`);
    await e2e.page.getByTestId('orders-empty').waitFor();
    expect(await e2e.page.getByTestId('orders-page').textContent()).toContain('订单状态');
    expect(await e2e.page.getByTestId('orders-empty').textContent()).toContain('暂无订单');
    await screenshot(e2e.page, 'orders-empty');
  });

  test('creates a cluster with a live quote and lands on its unpaid order', async () => {
    await nav(e2e.page, '集群').click();
    await e2e.page.getByTestId('clusters-page').waitFor();
    await screenshot(e2e.page, 'clusters-empty');
    await e2e.page.getByTestId('create-cluster').click();
    await e2e.page.getByTestId('create-cluster-page').waitFor();
    await pickOption(e2e.page, 'create-project', '智能检索');
    await e2e.page.getByTestId('create-name').fill('e2e-search');
    // 1 CU × 1 replica × 1 month at ¥1.25 per CU-hour = ¥900.00
    await expect.poll(() => e2e.page.getByTestId('quote-amount').textContent()).toBe('¥900.00');
    // The 1-year term is 7折: the quote follows the form.
    await e2e.page.getByTestId('create-term').locator('label', { hasText: /^1年/ }).click();
    await expect.poll(() => e2e.page.getByTestId('quote-amount').textContent()).toBe('¥7,560.00');
    expect(await e2e.page.getByTestId('create-term').textContent()).toContain('5折');
    await screenshot(e2e.page, 'create-cluster');
    await e2e.page
      .getByTestId('create-term')
      .locator('label', { hasText: /^1个月$/ })
      .click();
    await expect.poll(() => e2e.page.getByTestId('quote-amount').textContent()).toBe('¥900.00');
    await e2e.page.getByTestId('create-submit').click();
    await e2e.page.waitForURL(/\/orders\/ord_[A-Z0-9]+$/);
    firstOrderId = e2e.page.url().split('/').pop()!;
    await e2e.page.getByTestId('order-detail').waitFor();
    expect(await e2e.page.getByTestId('order-status').first().textContent()).toBe('未支付');
    expect(await e2e.page.getByTestId('detail-amount').textContent()).toBe('¥900.00');
    expect(await e2e.page.getByTestId('pay').textContent()).toBe('支付');
    await screenshot(e2e.page, 'new-order-detail');
  });

  test('支付 with an empty balance shows the shortfall and a link to 充值', async () => {
    await nav(e2e.page, '订单').click();
    await row(firstOrderId).waitFor();
    expect(await row(firstOrderId).getByTestId('order-status').textContent()).toBe('未支付');
    expect(await row(firstOrderId).getByTestId('time-left').textContent()).toMatch(/^剩余 6天23小时5\d分$/);
    expect(await row(firstOrderId).getByTestId('order-amount').textContent()).toBe('¥900.00');
    await screenshot(e2e.page, 'orders-unpaid');
    await row(firstOrderId).getByTestId('pay').click();
    await e2e.page.getByTestId('pay-shortfall').waitFor();
    expect(await e2e.page.getByTestId('pay-cash').textContent()).toBe('¥0.00');
    expect(await e2e.page.getByTestId('pay-shortfall').textContent()).toBe('¥900.00');
    expect(await e2e.page.getByTestId('pay-confirm').isDisabled()).toBe(true);
    expect(await e2e.page.getByTestId('pay-topup-link').textContent()).toBe('去充值');
    await screenshot(e2e.page, 'pay-shortfall');
    await e2e.page.getByRole('button', { name: '暂不支付' }).click();
    await e2e.page.getByTestId('pay-dialog').waitFor({ state: 'detached' });
  });

  test('after a top-up through the internal API, 支付 succeeds once and the row says 已支付', async () => {
    await topUp(e2e.server, f.org.remittanceCode, 100_000);
    await row(firstOrderId).getByTestId('pay').click();
    await expect.poll(() => e2e.page.getByTestId('pay-cash').textContent()).toBe('¥1,000.00');
    expect(await e2e.page.getByTestId('pay-shortfall').count()).toBe(0);
    await screenshot(e2e.page, 'pay-dialog');
    // A double click must never pay twice.
    await e2e.page.getByTestId('pay-confirm').dblclick();
    await e2e.page.getByTestId('pay-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => row(firstOrderId).getByTestId('order-status').textContent()).toBe('已支付');
    expect(await row(firstOrderId).getByTestId('pay').count()).toBe(0);
    const balance = await e2e.server.call('GET', `/v1/orgs/${f.org.id}/balance`, undefined, f.admin.apiKey);
    expect(balance.json.cash).toBe(10_000);
    await screenshot(e2e.page, 'orders-paid');
  });

  test('取消订单 → 确定取消 cancels another order', async () => {
    const { order } = await buyCluster(e2e.server, f, f.projects[1]!.id, 'e2e-reco');
    await e2e.page.reload();
    await row(order.id).waitFor();
    await row(order.id).getByTestId('more').click();
    await e2e.page.getByTestId('cancel-order').click();
    await e2e.page.getByTestId('cancel-dialog').waitFor();
    expect(await e2e.page.getByTestId('cancel-dialog').textContent()).toContain(
      '订单取消后将无法恢复，也无法再支付',
    );
    await screenshot(e2e.page, 'cancel-dialog');
    await e2e.page.getByTestId('cancel-confirm').click();
    await e2e.page.getByTestId('cancel-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => row(order.id).getByTestId('order-status').textContent()).toBe('已取消');
    expect(await row(order.id).getByTestId('more').count()).toBe(0);
    const o = await e2e.server.call(
      'GET',
      `/v1/orgs/${f.org.id}/orders/${order.id}`,
      undefined,
      f.admin.apiKey,
    );
    expect(o.json.status).toBe('cancelled');
    await screenshot(e2e.page, 'orders-cancelled');
  });

  test('filters by status and searches', async () => {
    await pickOption(e2e.page, 'filter-status', '已支付');
    await e2e.page.keyboard.press('Escape');
    await expect.poll(() => e2e.page.locator('tr[data-row-key]').count()).toBe(1);
    expect(e2e.page.url()).toContain('status=paid');
    await e2e.page.getByRole('button', { name: '重置' }).click();
    await expect.poll(() => e2e.page.locator('tr[data-row-key]').count()).toBe(2);
    await e2e.page.getByTestId('filter-search').locator('input').fill('nothing-like-this');
    await e2e.page.getByTestId('filter-search').locator('input').press('Enter');
    await e2e.page.getByTestId('orders-empty').waitFor();
    expect(await e2e.page.getByTestId('orders-empty').textContent()).toContain('没有符合条件的订单');
    await screenshot(e2e.page, 'orders-filtered-empty');
    await e2e.page.getByRole('button', { name: '重置' }).click();
    await row(firstOrderId).waitFor();
    // The created-time range is read as calendar days in the org's time zone (Asia/Shanghai here).
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await e2e.page.goto(
      `${e2e.server.url}/orgs/${f.org.id}/orders?from=${today}&to=${today}&type=new_purchase`,
    );
    await expect.poll(() => e2e.page.locator('tr[data-row-key]').count()).toBe(2);
    await e2e.page.locator('.ant-picker-range').waitFor();
    await screenshot(e2e.page, 'orders-date-filter');
    await e2e.page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders?from=2020-01-01&to=2020-01-31`);
    await e2e.page.getByTestId('orders-empty').waitFor();
    await e2e.page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
    await row(firstOrderId).waitFor();
  });

  test('下载 delivers the order document as a file', async () => {
    const downloading = e2e.page.waitForEvent('download');
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
    await e2e.page.getByTestId('order-detail').waitFor();
    const text = await e2e.page.getByTestId('order-detail').textContent();
    expect(text).toContain(firstOrderId);
    expect(text).toContain('已支付');
    expect(text).toContain('阿里云 华东1（杭州）');
    expect(text).toContain('性能型');
    expect(text).toContain('¥900.00');
    expect(text).toContain('创建订单');
    expect(text).toContain('未支付 → 已支付');
    await screenshot(e2e.page, 'order-detail-paid');
  });

  test('balance and top-up pages show the balances, the remittance account and the history', async () => {
    await nav(e2e.page, '余额').click();
    await e2e.page.getByTestId('balance-page').waitFor();
    expect(await e2e.page.getByTestId('balance-cash').textContent()).toContain('¥100.00');
    expect(await e2e.page.getByTestId('balance-page').textContent()).toContain('不能用于支付包年包月订单');
    await screenshot(e2e.page, 'balance');
    await nav(e2e.page, '充值').click();
    await e2e.page.getByTestId('topup-page').waitFor();
    expect(await e2e.page.getByTestId('account-number').textContent()).toMatch(
      new RegExp(`${f.org.remittanceCode}$`),
    );
    expect(await e2e.page.getByTestId('topup-note').textContent()).toContain('充值不会支付订单');
    await e2e.page.getByTestId('topup-history').getByText('¥1,000.00').waitFor();
    await screenshot(e2e.page, 'topup');
  });

  test('the bills page shows the open month with the paid order in its lines, and its PDF', async () => {
    await nav(e2e.page, '账单').click();
    await e2e.page.getByTestId('bills-page').waitFor();
    await e2e.page.getByTestId('bill-status-open').waitFor();
    const text = await e2e.page.getByTestId('bills-page').textContent();
    expect(text).toContain('账单月份');
    expect(text).toContain('未出账');
    expect(text).toContain('包年包月（已预付）');
    expect(text).toContain('¥900.00');
    await screenshot(e2e.page, 'bills');
    await e2e.page.locator('[data-testid="bills-page"] .ant-table-row-expand-icon').first().click();
    const lines = e2e.page.locator('[data-testid^="bill-lines-"]');
    await lines.getByText(firstOrderId).waitFor();
    const linesText = await lines.textContent();
    expect(linesText).toContain('新购');
    expect(linesText).toContain('已预付结清');
    expect(linesText).toContain('本月尚未出账');
    await screenshot(e2e.page, 'bill-lines');
    const downloading = e2e.page.waitForEvent('download');
    await e2e.page.locator('[data-testid^="bill-pdf-"]').first().click();
    const download = await downloading;
    const path = join(ROOT, 'test-output', 'downloads', download.suggestedFilename());
    await download.saveAs(path);
    expect(readFileSync(path).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  test('upgrades the running cluster with a live prorated quote', async () => {
    await nav(e2e.page, '集群').click();
    await e2e.page.getByTestId('clusters-page').waitFor();
    // Provisioning takes 0 s here; the page shows the cluster as running once the job has run.
    await expect
      .poll(
        async () => {
          await e2e.page.reload();
          await e2e.page.getByTestId('clusters-page').waitFor();
          return e2e.page.getByTestId('upgrade').count();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(1);
    await screenshot(e2e.page, 'clusters');
    await e2e.page.getByTestId('upgrade').click();
    await e2e.page.getByTestId('upgrade-dialog').waitFor();
    await pickOption(e2e.page, 'upgrade-cusize', '2 CU');
    await expect.poll(() => e2e.page.getByTestId('quote-amount').textContent()).toMatch(/^¥\d[\d,]*\.\d\d$/);
    await screenshot(e2e.page, 'upgrade-dialog');
    await e2e.page.getByTestId('upgrade-confirm').click();
    await e2e.page.waitForURL(/\/orders\/ord_[A-Z0-9]+$/);
    await e2e.page.getByTestId('order-detail').waitFor();
    const text = await e2e.page.getByTestId('order-detail').textContent();
    expect(text).toContain('升配');
    expect(text).toContain('升配前');
    expect(text).toContain('未支付');
    await screenshot(e2e.page, 'upgrade-order-detail');
  });

  test('the English switch translates the page', async () => {
    await nav(e2e.page, '订单').click();
    await row(firstOrderId).waitFor();
    await e2e.page.getByTestId('lang-switch').click();
    await e2e.page.getByRole('columnheader', { name: 'Order ID' }).waitFor();
    const text = await e2e.page.getByTestId('orders-page').textContent();
    expect(text).toContain('Status');
    expect(text).toContain('Paid');
    expect(text).toContain('Cancelled');
    expect(text).toContain('New purchase');
    expect(text).not.toMatch(/订单号|已支付|已取消|新购/);
    await screenshot(e2e.page, 'orders-english');
    await nav(e2e.page, 'Bills').click();
    await e2e.page.getByTestId('bill-status-open').waitFor();
    const bills = await e2e.page.getByTestId('bills-page').textContent();
    expect(bills).toContain('Subscription (prepaid)');
    expect(bills).toContain('Open');
    expect(bills).not.toMatch(/账单|未出账|包年包月/);
    await nav(e2e.page, 'Orders').click();
    await row(firstOrderId).waitFor();
    await e2e.page.getByTestId('lang-switch').click();
    await e2e.page.getByRole('columnheader', { name: '订单号' }).waitFor();
  });
});
