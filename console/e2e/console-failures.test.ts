import { beforeAll, describe, expect, test } from 'vitest';
import {
  LOCALES,
  login,
  mark,
  marked,
  noSidewaysScroll,
  openNav,
  SIZES,
  setLocale,
  setUpSecondPass,
  WORDS,
} from './console-pass.js';
import { e2eFile, type Fixture, screenshot, signOut } from './harness.js';

/**
 * The console when things fail, in a real browser at 1440×900 and 390×844, in zh-CN and en: the network
 * failing mid-session (an inline message with 重试 that recovers without a reload), a page's code failing to
 * download (重新加载), a failed 下载.
 */
const e2e = e2eFile('failures');
let f: Fixture;
let orderId = '';

beforeAll(async () => {
  ({ f, orderId } = await setUpSecondPass(e2e.server));
});

describe.each(SIZES)('failures at $name size', (size) => {
  describe.each(LOCALES)('in %s', (locale) => {
    const w = WORDS[locale];
    test('the network failing mid-session shows its message with 重试, which recovers without a reload', async () => {
      const page = e2e.page;
      await page.setViewportSize({ width: size.width, height: size.height });
      await login(page, e2e.server.url, f.admin);
      await setLocale(page, locale);
      await page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
      await page.getByTestId('orders-page').waitFor();
      await mark(page);
      // The server goes away: every API call fails at the network level.
      await page.route('**/v1/**', (r) => r.abort('internetdisconnected'));
      await openNav(page, size, w.clusters);
      await page.getByTestId('error-state').waitFor();
      expect((await page.getByTestId('error-text').textContent())?.trim()).toBe(w.network);
      if (locale === 'zh-CN')
        expect(await page.getByTestId('error-state').textContent()).not.toMatch(/[A-Za-z]/);
      expect((await page.getByTestId('retry').textContent())?.trim()).toBe(w.retry);
      await noSidewaysScroll(page, size, 'network error');
      await screenshot(page, `${size.name}-${locale}-network-error`);
      // A retry while still offline keeps the message (its request has failed before the server comes back: on
      // a loaded machine the message still on screen is no sign that the retry's request was made).
      const retried = page.waitForEvent('requestfailed', (r) => /\/v1\/orgs\/[^/]+\/clusters/.test(r.url()));
      await page.getByTestId('retry').click();
      await retried;
      await page.getByTestId('error-state').waitFor();
      // The server is back: 重试 loads the page, in place.
      await page.unroute('**/v1/**');
      await page.getByTestId('retry').click();
      await page.getByTestId('clusters-page').waitFor();
      expect(await marked(page)).toBe(true);
      // And navigation works too.
      await openNav(page, size, w.orders);
      await page.getByTestId('orders-page').waitFor();
      expect(await marked(page)).toBe(true);
    });

    test('a page whose code fails to download offers 重新加载, which recovers', async () => {
      const page = e2e.page;
      await page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
      await page.getByTestId('orders-page').waitFor();
      await mark(page);
      await page.route('**/assets/BillsPage-*.js', (r) => r.abort('internetdisconnected'));
      await openNav(page, size, w.bills);
      await page.getByTestId('chunk-error').waitFor();
      expect(await page.getByTestId('chunk-error').textContent()).toContain(w.chunk);
      expect((await page.getByTestId('chunk-reload').textContent())?.trim()).toBe(w.reload);
      if (locale === 'zh-CN')
        expect(await page.getByTestId('chunk-error').textContent()).not.toMatch(/[A-Za-z]/);
      // the menu stays usable around it
      expect(await page.getByTestId('sign-out').isVisible()).toBe(true);
      await noSidewaysScroll(page, size, 'chunk error');
      await screenshot(page, `${size.name}-${locale}-chunk-error`);
      await page.unroute('**/assets/BillsPage-*.js');
      await page.getByTestId('chunk-reload').click();
      await page.getByTestId('bills-page').waitFor();
      // Chromium downloads a failed module again: no page reload was needed.
      expect(await marked(page)).toBe(true);
    });

    test('a failed 下载 says so in the user’s language', async () => {
      const page = e2e.page;
      await page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders/${orderId}`);
      await page.getByTestId('order-detail').waitFor();
      await page.route('**/document**', (r) => r.abort('internetdisconnected'));
      await page.getByTestId('download').first().click();
      const msg = page.locator('.ant-message-notice', { hasText: w.downloadFailed });
      await msg.waitFor();
      expect((await msg.textContent())?.trim()).toBe(`${w.downloadFailed}: ${w.network}`);
      await screenshot(page, `${size.name}-${locale}-download-failed`);
      await page.unroute('**/document**');
      // Back online, 下载 gives the PDF in the console's language.
      const [download, request] = await Promise.all([
        page.waitForEvent('download'),
        page.waitForRequest('**/document**'),
        page.getByTestId('download').first().click(),
      ]);
      expect(new URL(request.url()).searchParams.get('lang')).toBe(locale === 'en-US' ? 'en' : 'zh-CN');
      expect(download.suggestedFilename()).toMatch(/\.pdf$/);
      await setLocale(page, 'zh-CN');
      await signOut(page);
    });
  });
});
