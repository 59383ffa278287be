import { beforeAll, describe, expect, test } from 'vitest';
import { LOCALES, login, noSidewaysScroll, SIZES, setLocale, setUpSecondPass } from './console-pass.js';
import { createOrg, e2eFile, type Fixture, screenshot, signOut } from './harness.js';

/**
 * Every page at 1440×900 and 390×844 in zh-CN and en: no sideways scrolling on a phone, tables as cards; and the
 * rough edges (an empty org's next step, no zero discount, times with their zone).
 */
const e2e = e2eFile('pages');
let f: Fixture;
let orderId = '';

beforeAll(async () => {
  ({ f, orderId } = await setUpSecondPass(e2e.server));
});

describe.each(SIZES)('every page at $name size', (size) => {
  test.each(LOCALES)('in %s: no sideways scrolling, tables as cards on a phone', async (locale) => {
    const page = e2e.page;
    await page.setViewportSize({ width: size.width, height: size.height });
    await login(page, e2e.server.url, f.admin);
    await setLocale(page, locale);
    const base = `${e2e.server.url}/orgs/${f.org.id}`;
    const PAGES = [
      { path: 'orders', ready: 'orders-page' },
      { path: `orders/${orderId}`, ready: 'order-detail' },
      { path: 'clusters', ready: 'clusters-page' },
      { path: 'clusters/new', ready: 'create-cluster-page' },
      { path: 'balance', ready: 'balance-page' },
      { path: 'topup', ready: 'topup-page' },
      { path: 'bills', ready: 'bills-page' },
      { path: 'api-keys', ready: 'api-keys-page' },
    ];
    for (const p of PAGES) {
      await page.goto(`${base}/${p.path}`);
      await page.getByTestId(p.ready).waitFor();
      await page.getByTestId('loading').waitFor({ state: 'detached' });
      await noSidewaysScroll(page, size, p.path);
      if (p.path === 'orders') {
        // one order: its row, a table row on a wide screen and a card with the column titles on a phone
        const row = page.locator(`[data-row-key="${orderId}"]`);
        await row.waitFor();
        const box = await row.boundingBox();
        if (size.width < 768) {
          expect(await page.locator('.ant-table-thead').isVisible()).toBe(false);
          expect(box!.width).toBeLessThanOrEqual(size.width);
          // each cell a labelled line of the card (after the 选择 box of payable orders)
          const labels = await row
            .locator('td[data-label]')
            .evaluateAll((tds) => tds.map((td) => td.getAttribute('data-label')));
          expect(labels).toContain(locale === 'zh-CN' ? '订单号' : 'Order ID');
        } else {
          expect(await page.locator('.ant-table-thead').isVisible()).toBe(true);
          // drawn with antd's table styles (its CSS variables registered): the grey header, padded cells
          const look = await page.evaluate(() => {
            const th = getComputedStyle(document.querySelector('.ant-table-thead th')!);
            const td = getComputedStyle(document.querySelector('tr[data-row-key] td')!);
            return { headerBg: th.backgroundColor, padding: td.paddingLeft };
          });
          expect(look).toEqual({ headerBg: 'rgb(250, 250, 250)', padding: '8px' });
          // nothing wider than its cell in either language (an ellipsis cell cuts its text on purpose)
          const clipped = await page.evaluate(() =>
            [...document.querySelectorAll('tr[data-row-key] td:not(.ant-table-cell-ellipsis)')]
              .filter((td) => td.scrollWidth > td.clientWidth + 1)
              .map((td) => td.getAttribute('data-label')),
          );
          expect(clipped, `${locale}: cells wider than their column`).toEqual([]);
        }
      }
      if (p.path === 'topup') {
        const number = (await page.getByTestId('account-number').textContent()) ?? '';
        const groups = await page.locator('.tally-account-group').allTextContents();
        expect(groups.join('')).toBe(number);
        expect(groups.length).toBe(Math.ceil(number.length / 4));
        expect(groups.slice(0, -1).every((g) => g.length === 4)).toBe(true);
        expect(number.endsWith(f.org.remittanceCode)).toBe(true);
        expect(await page.getByTestId('copy-account').isVisible()).toBe(true);
      }
      await screenshot(page, `${size.name}-${locale}-page-${p.path.replace(/\//g, '-')}`);
    }
    await setLocale(page, 'zh-CN');
    await signOut(page);
    await noSidewaysScroll(page, size, 'login');
    await screenshot(page, `${size.name}-${locale}-login`);
  });
});

describe('rough edges', () => {
  test('an empty org’s orders page links to creating a cluster', async () => {
    const page = e2e.page;
    await page.setViewportSize({ width: 1440, height: 900 });
    const empty = await createOrg(e2e.server, { name: '空组织', projects: ['only'] });
    await login(page, e2e.server.url, empty.admin);
    await page.waitForURL(`**/orgs/${empty.org.id}/orders`);
    await page.getByTestId('orders-empty').waitFor();
    expect(await page.getByTestId('orders-empty').textContent()).toContain(
      '创建集群后，它的订单会显示在这里。',
    );
    await screenshot(page, 'orders-empty-next-step');
    await page.getByTestId('orders-empty-create').click();
    await page.getByTestId('create-cluster-page').waitFor();
    await signOut(page);
  });

  test('no zero discount line, and times carry their zone', async () => {
    const page = e2e.page;
    await login(page, e2e.server.url, f.admin);
    await page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders/${orderId}`);
    await page.getByTestId('order-detail').waitFor();
    // a 1-month cluster has no discount: no "优惠 -¥0.00"
    expect(await page.getByTestId('detail-discount').count()).toBe(0);
    expect(await page.getByTestId('order-detail').textContent()).not.toContain('-¥0.00');
    expect(await page.getByTestId('detail-deadline').textContent()).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(Asia\/Shanghai\)$/,
    );
    await page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
    await page.locator(`tr[data-row-key="${orderId}"]`).waitFor();
    expect(await page.locator(`tr[data-row-key="${orderId}"]`).textContent()).toContain('(Asia/Shanghai)');
    await signOut(page);
  });
});
