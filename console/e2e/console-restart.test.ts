import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mark, marked, openNav, SIZES } from './console-pass.js';
import {
  type Browser,
  createOrg,
  type Fixture,
  launchBrowser,
  type RestartableServer,
  screenshot,
  screenshotPrefix,
  signIn,
  signOut,
  startRestartableServer,
} from './harness.js';

/**
 * The server stopped and started again while a page is open, at 1440×900 and 390×844: the page says so in the
 * user's words, and recovers without a reload once the server is back.
 */
describe('the server stopped and started again mid-session', () => {
  let s: RestartableServer;
  let g: Fixture;
  let browser: Browser;
  beforeAll(async () => {
    screenshotPrefix('restart');
    s = await startRestartableServer();
    g = await createOrg(s, { name: '重启科技', projects: ['p'] });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  test.each(SIZES)('at $name size the page says so and recovers without a reload', async (size) => {
    const page = browser.page;
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.context().clearCookies();
    await signIn(page, s.url, g.admin);
    await page.waitForURL(`**/orgs/${g.org.id}/orders`);
    await page.getByTestId('orders-page').waitFor();
    // the clusters page's code is downloaded while the server is up; the bills page's is not
    await openNav(page, size, '集群');
    await page.getByTestId('clusters-page').waitFor();
    await openNav(page, size, '订单');
    await page.getByTestId('orders-page').waitFor();
    await mark(page);
    await s.halt();
    await openNav(page, size, '集群');
    await page.getByTestId('error-state').waitFor();
    expect((await page.getByTestId('error-text').textContent())?.trim()).toBe(
      '网络连接失败，请检查网络后重试',
    );
    expect(await page.getByTestId('error-state').textContent()).not.toMatch(/[A-Za-z]/);
    await screenshot(page, `${size.name}-server-down`);
    // The bills page's code: 页面加载失败 when it was never downloaded; from the browser's cache (a second run
    // in this browser), its data fails as above.
    await openNav(page, size, '账单');
    await page.waitForURL(`**/orgs/${g.org.id}/bills`);
    const failed = page.locator(
      '[data-testid="chunk-error"], [data-testid="bills-page"] [data-testid="error-state"]',
    );
    await failed.waitFor();
    const chunk = (await page.getByTestId('chunk-error').count()) === 1;
    await screenshot(page, `${size.name}-server-down-bills`);
    await s.resume();
    await page.getByTestId(chunk ? 'chunk-reload' : 'retry').click();
    await page.getByTestId('bills-page').waitFor();
    await openNav(page, size, '集群');
    await page.getByTestId('clusters-page').waitFor();
    expect(await marked(page)).toBe(true);
    await signOut(page);
  });
});
