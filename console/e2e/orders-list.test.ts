import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseCsv } from '../../test/csv.js';
import {
  axeViolations,
  buyCluster,
  createOrg,
  e2eFile,
  type Fixture,
  screenshot,
  signIn,
  topUp,
} from './harness.js';

/**
 * The 订单 list (SPEC §10.1, §7.5): 合并支付 of the orders chosen with their checkboxes (the total, the cash
 * balance, the shortfall with 去充值 that comes back to the list with its filters, one payment for both), 共 N
 * 条 with the page jumper, and 导出 CSV with the list's filters; at 1440×900 in Chinese and 390×844 in English.
 */
const e2e = e2eFile('orders-list');
const ORDER_FEN = 90_000; // 1 CU × 1 replica × 1 month: ¥900.00
const page = (): Page => e2e.page;
const row = (id: string) => page().locator(`tr[data-row-key="${id}"]`);
const text = async (testId: string) => (await page().getByTestId(testId).first().textContent())?.trim();
let f: Fixture;
/** The orders, newest first (as the list shows them). */
let orders: { id: string; amount: number }[] = [];
/** The two orders of the second project (among the oldest). */
let secondProject: string[] = [];

// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
const apiGet = async (path: string): Promise<any> => {
  const r = await e2e.server.call('GET', `/v1/orgs/${f.org.id}${path}`, undefined, f.admin.apiKey);
  expect(r.status, path).toBe(200);
  return r.json;
};

const axe = () => axeViolations(page());

/** The elements of the page wider than the window (none, or it scrolls sideways), named by test id or class. */
const overflowing = () =>
  page().evaluate(() =>
    [...document.querySelectorAll('[data-testid="orders-page"] *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .filter((el) => !el.closest('.ant-table-content, .ant-select-dropdown, .ant-message'))
      .slice(0, 5)
      .map((el) => el.getAttribute('data-testid') ?? `${el.tagName.toLowerCase()}.${el.className}`),
  );

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '合并支付科技', projects: ['向量检索', '推荐系统'] });
  // 44 unpaid orders: three pages of 20. Two of the oldest four are in the second project.
  const made: { id: string; amount: number }[] = [];
  for (let i = 0; i < 44; i += 4) {
    // four at a time; each batch is newer than the one before
    const batch = await Promise.all(
      [0, 1, 2, 3].map((j) =>
        buyCluster(e2e.server, f, (i < 4 && j < 2 ? f.projects[1] : f.projects[0])!.id, `list-${i + j}`),
      ),
    );
    made.push(...batch.map((r) => r.order));
  }
  // Newest first, as the list shows them (created_at, then id, descending).
  orders = (await apiGet('/orders?limit=100')).items.map((o: { id: string; amount: number }) => ({
    id: o.id,
    amount: o.amount,
  }));
  expect(orders.map((o) => o.id).sort()).toEqual(made.map((o) => o.id).sort());
  secondProject = made.slice(0, 2).map((o) => o.id);
  expect(orders.every((o) => o.amount === ORDER_FEN)).toBe(true);
  // ¥1,000.00: enough for one order, short of two.
  await topUp(e2e.server, f.org.remittanceCode, 100_000);
});

describe('the orders list at 1440×900 in Chinese', () => {
  test('合并支付 of two orders: short, then topped up and paid once, the rows paid and the balance down by the total', async () => {
    await signIn(page(), e2e.server.url, f.admin);
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/orders?status=unpaid`);
    const [a, b] = [orders[0]!, orders[1]!];
    await row(a.id).waitFor();
    await expect.poll(() => text('orders-total')).toBe('共 44 条');
    expect(await text('selected-count')).toBe('已选 0 个订单');
    expect(await page().getByTestId('merge-pay').isDisabled()).toBe(true);

    // One by the pointer, one by the keyboard; each checkbox is named after its order.
    await row(a.id)
      .getByRole('checkbox', { name: `选择订单 ${a.id}` })
      .check();
    await row(b.id)
      .getByRole('checkbox', { name: `选择订单 ${b.id}` })
      .focus();
    await page().keyboard.press('Space');
    expect(await text('selected-count')).toBe('已选 2 个订单');
    expect(await text('selected-total')).toBe('合计 ¥1,800.00');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'selected');

    await page().getByTestId('merge-pay').click();
    await page().getByTestId('merge-pay-dialog').waitFor();
    await expect.poll(() => text('merge-pay-cash')).toBe('¥1,000.00');
    expect(await page().getByTestId('merge-pay-order').count()).toBe(2);
    expect(await text('merge-pay-total')).toBe('¥1,800.00');
    expect(await text('merge-pay-shortfall')).toBe('¥800.00');
    expect(await page().getByTestId('merge-pay-confirm').isDisabled()).toBe(true);
    const topupLink = page().getByTestId('merge-pay-topup-link');
    expect(await topupLink.textContent()).toBe('去充值');
    const href = new URL((await topupLink.getAttribute('href'))!, e2e.server.url);
    expect(href.pathname).toBe(`/orgs/${f.org.id}/topup`);
    expect(href.searchParams.get('returnTo')).toBe(`/orgs/${f.org.id}/orders?status=unpaid`);
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'merge-pay-short');
    await page().getByRole('button', { name: '暂不支付' }).click();
    await page().getByTestId('merge-pay-dialog').waitFor({ state: 'detached' });

    // Topped up to ¥2,000.00: the same selection is paid in one request, however often the button is clicked.
    await topUp(e2e.server, f.org.remittanceCode, 100_000);
    const payRequests: string[] = [];
    page().on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/orders/pay')) payRequests.push(r.postData() ?? '');
    });
    await page().getByTestId('merge-pay').click();
    await expect.poll(() => text('merge-pay-cash')).toBe('¥2,000.00');
    expect(await page().getByTestId('merge-pay-shortfall').count()).toBe(0);
    await screenshot(page(), 'merge-pay');
    await page().getByTestId('merge-pay-confirm').dblclick();
    await page().getByTestId('merge-pay-dialog').waitFor({ state: 'detached' });
    for (const o of [a, b]) {
      await expect.poll(() => row(o.id).getByTestId('order-status').textContent()).toBe('已支付');
      expect(await row(o.id).getByTestId('select-order').count()).toBe(0);
    }
    expect(payRequests).toHaveLength(1);
    expect(JSON.parse(payRequests[0]!).orderIds.sort()).toEqual([a.id, b.id].sort());
    expect(await text('selected-count')).toBe('已选 0 个订单');
    expect((await apiGet('/balance')).cash).toBe(200_000 - 2 * ORDER_FEN);
    for (const o of [a, b]) expect((await apiGet(`/orders/${o.id}`)).status).toBe('paid');
    // The count follows: two fewer unpaid orders.
    await expect.poll(() => text('orders-total')).toBe('共 42 条');
    await screenshot(page(), 'merge-paid');
  });

  test('the jumper goes to page 3 by offset, whose rows are the API’s', async () => {
    const unpaid = orders.slice(2);
    const [request] = await Promise.all([
      page().waitForRequest((r) => /\/orders\?.*offset=40/.test(r.url())),
      (async () => {
        const jumper = page().locator('.ant-pagination-options-quick-jumper input');
        await jumper.fill('3');
        await jumper.press('Enter');
      })(),
    ]);
    expect(new URL(request.url()).searchParams.get('status')).toBe('unpaid');
    await row(unpaid[40]!.id).waitFor();
    const shown = await page()
      .locator('tr[data-row-key]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row-key')));
    expect(shown).toEqual(unpaid.slice(40).map((o) => o.id));
    expect(await page().locator('.ant-pagination-item-active').textContent()).toBe('3');
    expect(await text('orders-total')).toBe('共 42 条');
    await screenshot(page(), 'page-3');
  });

  test('导出 CSV exports the orders of the current filters', async () => {
    await page().goto(
      `${e2e.server.url}/orgs/${f.org.id}/orders?status=unpaid&projectId=${f.projects[1]!.id}`,
    );
    await row(secondProject[0]!).waitFor();
    await expect.poll(() => text('orders-total')).toBe('共 2 条');
    await page().getByTestId('export').click();
    const [download, request] = await Promise.all([
      page().waitForEvent('download'),
      page().waitForRequest('**/orders/export**'),
      page().getByTestId('export-csv').click(),
    ]);
    const q = new URL(request.url()).searchParams;
    expect(q.get('format')).toBe('csv');
    expect(q.get('status')).toBe('unpaid');
    expect(q.get('projectId')).toBe(f.projects[1]!.id);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const records = parseCsv(readFileSync((await download.path())!, 'utf8')).filter((r) => r.length > 1);
    const [header, ...rows] = records;
    expect(header![0]).toBe('订单号');
    expect(rows.map((r) => r[0]).sort()).toEqual([...secondProject].sort());
    expect(rows.every((r) => r[2] === '未支付' && r[3] === f.projects[1]!.id)).toBe(true);
    await screenshot(page(), 'exported');
  });
});

describe('the orders list at 390×844 in English', () => {
  test('cards can be chosen and paid together; the total and the pages fit the phone', async () => {
    await page().setViewportSize({ width: 390, height: 844 });
    await page().evaluate(() => localStorage.setItem('tally.locale', 'en-US'));
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
    const c = orders[2]!;
    await row(c.id).waitFor();
    await expect.poll(() => text('orders-total')).toBe('44 in total');
    await row(c.id)
      .getByRole('checkbox', { name: `Select order ${c.id}` })
      .check();
    expect(await text('selected-count')).toBe('1 orders selected');
    expect(await text('selected-total')).toBe('Total ¥900.00');
    // The page's own checkbox (the table's header is hidden on a phone) chooses every payable card of the page.
    await page().getByRole('checkbox', { name: 'Select the payable orders on this page' }).check();
    expect(await text('selected-count')).toBe('18 orders selected');
    expect(await overflowing(), 'no horizontal scroll').toEqual([]);
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'phone-selected');

    await page().getByTestId('merge-pay').click();
    await page().getByTestId('merge-pay-dialog').waitFor();
    await expect.poll(() => text('merge-pay-cash')).toBe('¥200.00');
    expect(await text('merge-pay-total')).toBe('¥16,200.00');
    expect(await text('merge-pay-shortfall')).toBe('¥16,000.00');
    expect(await page().getByTestId('merge-pay-topup-link').textContent()).toBe('Top up');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'phone-merge-pay');
    await page().getByRole('button', { name: 'Not now' }).click();
    await page().getByTestId('merge-pay-dialog').waitFor({ state: 'detached' });
    await page().getByTestId('clear-selection').click();
    expect(await text('selected-count')).toBe('0 orders selected');
    await page().evaluate(() => localStorage.setItem('tally.locale', 'zh-CN'));
  });
});
