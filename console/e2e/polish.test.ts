import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseCsv } from '../../test/csv.js';
import { formatInstant, zoneOffsetMs } from '../src/lib/time.js';
import {
  advanceClock,
  axeViolations,
  buyCluster,
  createOrg,
  e2eFile,
  type Fixture,
  payOrder,
  pickOption,
  screenshot,
  serverNow,
  signIn,
  topUp,
} from './harness.js';

/**
 * The console's rough edges: 收支明细 (filters, export), 充值 with the balance and the way back to the order that
 * sent the user there, the history's emails, and countdowns on the server's clock when the browser's is 3 hours
 * fast. 1440×900 in zh-CN, 390×844 in en-US.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const e2e = e2eFile('polish', { TALLY_TEST_CLOCK: '1' });
const TZ = 'Asia/Shanghai';
const H = 3_600_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
let f: Fixture;
const ids = { paidOrder: '', unpaidOrder: '', unpaidExpiresAt: '', secondDay: '' };

const page = () => e2e.page;
const ymdIn = (at: Date) => formatInstant(at.toISOString(), TZ, { zone: false }).slice(0, 10);
const amounts = async () =>
  (
    await page()
      .getByTestId('ledger-amount')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-amount')))
  ).map(Number);

/** Nothing of the page (the console's header aside) reaches past the phone's width. */
async function noSidewaysScroll(testId: string): Promise<void> {
  const out = await page().evaluate(
    ([w, id]) => {
      const found: string[] = [];
      const root = document.querySelector(`[data-testid="${id}"]`);
      if (!root) return [`no ${id}`];
      for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
        const r = el.getBoundingClientRect();
        if (r.right > w + 0.5 && r.width > 0)
          found.push(
            `${el.tagName} "${(el.textContent ?? '').slice(0, 30)}" in ${el.closest('[data-testid]')?.getAttribute('data-testid')} ${Math.round(r.left)}-${Math.round(r.right)}`,
          );
      }
      return found.slice(-8);
    },
    [PHONE.width, testId] as const,
  );
  expect(out).toEqual([]);
}

/** axe-core injected through the debugging protocol (the console's CSP refuses an inline script tag). */
async function axe() {
  if (!(await page().evaluate(() => 'axe' in window))) await page().evaluate(AXE_SOURCE);
  return axeViolations(page());
}

// A top-up and a paid order on the first day (10:00 in the org's zone), a second top-up the next day, and an
// unpaid order the cash cannot pay; then the server's clock moves to 2 hours before that order's deadline.
beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '收支明细测试', projects: ['向量检索'], timeZone: TZ });
  const now = await serverNow(e2e.server);
  const local = now.getTime() + zoneOffsetMs(now, TZ);
  const nextTen = Math.ceil((local - 10 * H) / (24 * H)) * 24 * H + 10 * H + 24 * H;
  await advanceClock(e2e.server, Math.round((nextTen - local) / 1000));
  await topUp(e2e.server, f.org.remittanceCode, 100_000);
  const paid = await buyCluster(e2e.server, f, f.projects[0]!.id, 'ledger-paid');
  await payOrder(e2e.server, f, paid.order.id);
  ids.paidOrder = paid.order.id;
  ids.secondDay = ymdIn(await advanceClock(e2e.server, 86_400));
  await topUp(e2e.server, f.org.remittanceCode, 5_000);
  const unpaid = await buyCluster(e2e.server, f, f.projects[0]!.id, 'ledger-unpaid');
  ids.unpaidOrder = unpaid.order.id;
  const detail = await e2e.server.call(
    'GET',
    `/v1/orgs/${f.org.id}/orders/${unpaid.order.id}`,
    undefined,
    f.admin.apiKey,
  );
  ids.unpaidExpiresAt = detail.json.expiresAt;
  const at = await serverNow(e2e.server);
  await advanceClock(e2e.server, Math.round((Date.parse(ids.unpaidExpiresAt) - 2 * H - at.getTime()) / 1000));
});

describe('1440×900, zh-CN', () => {
  test('收支明细: from 余额, the entries signed, filtered by kind and days, exported as the list shows them', async () => {
    await page().setViewportSize(DESKTOP);
    await signIn(page(), e2e.server.url, f.admin);
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/balance`);
    await page().getByTestId('balance-ledger-link').click();
    await page().getByTestId('ledger-page').waitFor();
    await page().getByTestId('ledger-amount').nth(2).waitFor();
    expect(await amounts()).toEqual([5_000, -90_000, 100_000]);
    expect(await page().getByTestId('ledger-page').textContent()).toContain(`时间 (${TZ})`);
    await expect
      .poll(() => page().getByTestId('ledger-order-link').getAttribute('href'))
      .toBe(`/orgs/${f.org.id}/orders/${ids.paidOrder}`);
    expect(await page().getByTestId('ledger-amount').nth(1).textContent()).toBe('−¥900.00');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'ledger-desktop-zh');

    await pickOption(page(), 'ledger-filter-kind', '充值');
    await expect.poll(amounts).toEqual([5_000, 100_000]);
    expect(new URL(page().url()).searchParams.get('kind')).toBe('topup');

    // the days are the org's: the second day alone holds the second top-up only
    // the picker (loaded after the first rows), not the read-only box that stands in for it until then
    const picker = page().getByTestId('ledger-filter-range').locator('.ant-picker-range');
    await picker.waitFor();
    const inputs = picker.locator('input');
    await inputs.first().click();
    await inputs.first().fill(ids.secondDay);
    await inputs.first().press('Enter');
    await inputs.nth(1).fill(ids.secondDay);
    await inputs.nth(1).press('Enter');
    await expect.poll(amounts).toEqual([5_000]);
    expect(new URL(page().url()).searchParams.get('from')).toBe(ids.secondDay);
    await screenshot(page(), 'ledger-filtered-desktop-zh');

    await page().getByTestId('ledger-filter-reset').click();
    await expect.poll(amounts).toEqual([5_000, -90_000, 100_000]);
    await pickOption(page(), 'ledger-filter-kind', '充值');
    await expect.poll(amounts).toEqual([5_000, 100_000]);
    const times = await page().getByTestId('ledger-time').allTextContents();
    await page().getByTestId('ledger-export').click();
    const [download, request] = await Promise.all([
      page().waitForEvent('download'),
      page().waitForRequest('**/ledger/export**'),
      page().getByTestId('ledger-export-csv').click(),
    ]);
    const q = new URL(request.url()).searchParams;
    expect([q.get('format'), q.get('kind'), q.get('lang')]).toEqual(['csv', 'topup', 'zh-CN']);
    const [header, ...rows] = parseCsv(readFileSync((await download.path())!, 'utf8'));
    expect(header?.slice(0, 4)).toEqual([`时间 (${TZ})`, '类型', '收支', '金额 (CNY)']);
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      [times[0], '充值', '收入', '50.00'],
      [times[1], '充值', '收入', '1000.00'],
    ]);
  });

  test('history by email; a browser 3 hours fast still counts down on the server’s clock and keeps 支付', async () => {
    const server = await serverNow(e2e.server);
    await e2e.browser.context.clock.setSystemTime(new Date(server.getTime() + 3 * H));
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/orders/${ids.unpaidOrder}`);
    await page().getByTestId('order-detail').waitFor();
    await expect.poll(() => page().getByTestId('history-by').first().textContent()).toBe(f.admin.email);
    expect(await page().getByTestId('detail-created-by').textContent()).toBe(f.admin.email);
    expect(await page().getByTestId('detail-project').textContent()).toBe('向量检索');
    // 2 hours left on the server's clock (on the browser's own, the deadline passed an hour ago)
    await expect.poll(() => page().getByTestId('time-left').textContent()).toMatch(/^剩余 1小时5\d分\d+秒$/);
    await page().getByTestId('pay').waitFor();
    await screenshot(page(), 'order-countdown-wrong-clock-desktop-zh');

    // 支付 → not enough cash → 去充值 → 充值 shows the balance, and 返回订单 leads back
    await page().getByTestId('pay').click();
    await page().getByTestId('pay-topup-link').click();
    await page().getByTestId('topup-page').waitFor();
    expect(new URL(page().url()).searchParams.get('returnTo')).toBe(
      `/orgs/${f.org.id}/orders/${ids.unpaidOrder}`,
    );
    await expect.poll(() => page().getByTestId('topup-balance').textContent()).toContain('¥150.00');
    expect(await page().getByTestId('topup-back').textContent()).toContain('返回订单');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'topup-desktop-zh');
    await page().getByTestId('topup-back').click();
    await page().getByTestId('order-detail').waitFor();
    expect(new URL(page().url()).pathname).toBe(`/orgs/${f.org.id}/orders/${ids.unpaidOrder}`);

    // a returnTo outside the org gives no way back
    await page().goto(
      `${e2e.server.url}/orgs/${f.org.id}/topup?returnTo=${encodeURIComponent('//evil.example/x')}`,
    );
    await page()
      .getByTestId('topup-balance')
      .waitFor()
      .catch(async (e) => {
        throw new Error(`${e}\n${page().url()}\n${await page().locator('body').textContent()}`);
      });
    expect(await page().getByTestId('topup-back').count()).toBe(0);
  });
});

describe('390×844, en-US', () => {
  test('the ledger as cards and 充值 with its way back, no sideways scroll, accessible', async () => {
    await page().setViewportSize(PHONE);
    await page().evaluate(() => localStorage.setItem('tally.locale', 'en-US'));
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/ledger`);
    await page()
      .getByTestId('ledger-amount')
      .nth(2)
      .waitFor()
      .catch(async (e) => {
        throw new Error(`${e}\n${page().url()}\n${await page().locator('body').textContent()}`);
      });
    expect(await amounts()).toEqual([5_000, -90_000, 100_000]);
    expect(await page().getByTestId('ledger-kind').allTextContents()).toEqual([
      'Top-up',
      'Order payment',
      'Top-up',
    ]);
    await noSidewaysScroll('ledger-page');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'ledger-phone-en');

    await page().goto(
      `${e2e.server.url}/orgs/${f.org.id}/topup?returnTo=${encodeURIComponent(`/orgs/${f.org.id}/orders/${ids.unpaidOrder}`)}`,
    );
    await page().getByTestId('topup-balance').waitFor();
    expect(await page().getByTestId('topup-back').textContent()).toContain('Back to the order');
    await noSidewaysScroll('topup-page');
    expect(await axe()).toEqual([]);
    await screenshot(page(), 'topup-phone-en');

    await page().getByTestId('topup-back').click();
    await page().getByTestId('order-detail').waitFor();
    await expect.poll(() => page().getByTestId('time-left').textContent()).toMatch(/^1h 5\dm \d+s left$/);
    await page().getByTestId('pay').waitFor();
    await noSidewaysScroll('order-detail');
    await screenshot(page(), 'order-countdown-wrong-clock-phone-en');
  });
});
