import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  addMember,
  buyCluster,
  createOrg,
  e2eFile,
  type Fixture,
  type Member,
  type RestartableServer,
  screenshot,
  signIn,
  signOut,
  startRestartableServer,
  topUp,
} from './harness.js';

/**
 * The console's second pass in a real browser, at 1440×900 and 390×844, in zh-CN and en: the network failing
 * mid-session (an inline message with 重试 that recovers without a reload), a page's code failing to download
 * (重新加载), a failed 下载, each role's menu and start page, and no sideways scrolling on a phone.
 */
const e2e = e2eFile('pass');
let f: Fixture;
const m: Record<string, Member> = {};
let orderId = '';

const SIZES = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
type Size = (typeof SIZES)[number];
const LOCALES = ['zh-CN', 'en-US'] as const;
type Locale = (typeof LOCALES)[number];

const WORDS = {
  'zh-CN': {
    bills: '账单',
    clusters: '集群',
    orders: '订单',
    network: '网络连接失败，请检查网络后重试',
    retry: '重试',
    reload: '重新加载',
    chunk: '页面加载失败',
    download: '下载',
    downloadFailed: '下载失败',
  },
  'en-US': {
    bills: 'Bills',
    clusters: 'Clusters',
    orders: 'Orders',
    network: 'Network connection failed. Check your network and try again.',
    retry: 'Retry',
    reload: 'Reload',
    chunk: 'The page failed to load',
    download: 'Download',
    downloadFailed: 'Download failed',
  },
} as const;

async function setLocale(page: Page, locale: Locale): Promise<void> {
  await page.evaluate((l) => localStorage.setItem('tally.locale', l), locale);
}

/** A menu link, through the drawer on a phone. */
async function openNav(page: Page, size: Size, label: string): Promise<void> {
  if (size.width < 768) {
    await page.getByTestId('menu-button').click();
    await page.locator('.ant-drawer .tally-nav').waitFor();
    await page.locator('.ant-drawer .tally-nav').getByRole('link', { name: label, exact: true }).click();
    await page.locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
  } else {
    await page.locator('.tally-nav').getByRole('link', { name: label, exact: true }).click();
  }
}

/** The visible menu's labels (opening the drawer on a phone, and closing it again). */
async function menuLabels(page: Page, size: Size): Promise<string[]> {
  if (size.width < 768) {
    await page.getByTestId('menu-button').click();
    const nav = page.locator('.ant-drawer .tally-nav');
    await nav.waitFor();
    const labels = (await nav.locator('a').allTextContents()).map((s) => s.trim());
    await page.keyboard.press('Escape');
    await page.locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
    return labels;
  }
  return (await page.locator('.tally-nav a').allTextContents()).map((s) => s.trim());
}

async function noSidewaysScroll(page: Page, size: Size, what: string): Promise<void> {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(w, `${what}: page width at ${size.width} px`).toBeLessThanOrEqual(size.width);
}

/** A mark on the window: gone after a reload, so its presence proves the page recovered in place. */
const mark = (page: Page) => page.evaluate(() => Object.assign(window, { __tallyMark: 1 }));
const marked = (page: Page) =>
  page.evaluate(() => (window as unknown as { __tallyMark?: number }).__tallyMark === 1);

/** Signs in afresh (a test that failed may have left a session behind). */
async function login(page: Page, who: Member): Promise<void> {
  await page.context().clearCookies();
  await signIn(page, e2e.server.url, who);
}

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '第二轮科技', projects: ['alpha', 'beta'] });
  const alpha = f.projects[0]!.id;
  m.finance = await addMember(e2e.server, f.org.id, 'org_billing_admin');
  m.member = await addMember(e2e.server, f.org.id, 'org_member');
  m.projectAdmin = await addMember(e2e.server, f.org.id, 'org_member', [
    { projectId: alpha, role: 'project_admin' },
  ]);
  m.editor = await addMember(e2e.server, f.org.id, 'org_member', [
    { projectId: alpha, role: 'project_editor' },
  ]);
  m.viewer = await addMember(e2e.server, f.org.id, 'org_member', [
    { projectId: alpha, role: 'project_viewer' },
  ]);
  await topUp(e2e.server, f.org.remittanceCode, 500_000);
  orderId = (await buyCluster(e2e.server, f, alpha, 'alpha-cluster')).order.id;
});

describe.each(SIZES)('failures at $name size', (size) => {
  describe.each(LOCALES)('in %s', (locale) => {
    const w = WORDS[locale];
    test('the network failing mid-session shows its message with 重试, which recovers without a reload', async () => {
      const page = e2e.page;
      await page.setViewportSize({ width: size.width, height: size.height });
      await login(page, f.admin);
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
      // A retry while still offline keeps the message.
      await page.getByTestId('retry').click();
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

describe.each(SIZES)('each role’s menu and start page at $name size', (size) => {
  const ROLES = [
    {
      who: 'admin',
      landing: 'orders',
      menu: [
        '订单',
        '账单',
        '余额',
        '收支明细',
        '充值',
        '发票',
        '集群',
        '消息',
        '设置',
        'Webhook',
        'API 密钥',
      ],
      refused: [] as string[],
    },
    {
      who: 'finance',
      landing: 'balance',
      menu: ['账单', '余额', '收支明细', '充值', '发票', '消息', '设置', 'API 密钥'],
      refused: ['orders', 'clusters', 'webhooks'],
    },
    {
      who: 'member',
      landing: 'home',
      menu: ['消息', '设置', 'API 密钥'],
      refused: ['orders', 'balance', 'bills', 'clusters', 'ledger', 'invoices', 'webhooks'],
    },
    {
      who: 'projectAdmin',
      landing: 'orders',
      menu: ['订单', '余额', '充值', '集群', '消息', '设置', 'API 密钥'],
      refused: ['bills', 'ledger', 'invoices'],
    },
    {
      who: 'editor',
      landing: 'clusters',
      menu: ['集群', '消息', '设置', 'API 密钥'],
      refused: ['orders', 'balance', 'clusters/new'],
    },
    {
      who: 'viewer',
      landing: 'clusters',
      menu: ['集群', '消息', '设置', 'API 密钥'],
      refused: ['orders', 'topup', 'clusters/new'],
    },
  ];
  test.each(ROLES)('$who', async (r) => {
    const page = e2e.page;
    await page.setViewportSize({ width: size.width, height: size.height });
    const who = r.who === 'admin' ? f.admin : m[r.who]!;
    await login(page, who);
    await page.waitForURL(`**/orgs/${f.org.id}/${r.landing}`);
    if (r.landing === 'home') {
      await page.getByTestId('no-billing-access').waitFor();
      expect(await page.getByTestId('no-billing-access').textContent()).toContain('联系组织管理员');
    } else {
      await page.getByTestId(`${r.landing}-page`).waitFor();
    }
    expect(await menuLabels(page, size)).toEqual(r.menu);
    await noSidewaysScroll(page, size, `${r.who} start page`);
    await screenshot(page, `${size.name}-role-${r.who}-${r.landing}`);
    const canCreate = r.who === 'admin' || r.who === 'projectAdmin';
    if (r.landing === 'clusters' || r.menu.includes('集群')) {
      await page.goto(`${e2e.server.url}/orgs/${f.org.id}/clusters`);
      await page.getByTestId('clusters-page').waitFor();
      expect(await page.getByTestId('create-cluster').count()).toBe(canCreate ? 1 : 0);
    }
    if (r.menu.includes('充值')) {
      // the account to pay into for whoever sees the balance; the org's top-up history only for the org roles
      await page.goto(`${e2e.server.url}/orgs/${f.org.id}/topup`);
      await page.getByTestId('account-number').waitFor();
      const orgWide = r.who === 'admin' || r.who === 'finance';
      // the page renders the account and the history's card together
      expect((await page.getByTestId('topup-page').textContent())?.includes('充值记录')).toBe(orgWide);
      if (orgWide) await page.getByTestId('topup-history').waitFor();
      await noSidewaysScroll(page, size, `${r.who} topup`);
    }
    for (const path of r.refused) {
      await page.goto(`${e2e.server.url}/orgs/${f.org.id}/${path}`);
      await page.getByTestId('forbidden').waitFor();
      await noSidewaysScroll(page, size, `${r.who} forbidden ${path}`);
    }
    if (r.refused.length > 0) {
      await screenshot(page, `${size.name}-role-${r.who}-forbidden`);
      await page.getByTestId('forbidden-back').click();
      await page.waitForURL(`**/orgs/${f.org.id}/${r.landing}`);
    }
    await signOut(page);
  });
});

describe.each(SIZES)('every page at $name size', (size) => {
  test.each(LOCALES)('in %s: no sideways scrolling, tables as cards on a phone', async (locale) => {
    const page = e2e.page;
    await page.setViewportSize({ width: size.width, height: size.height });
    await login(page, f.admin);
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
    await login(page, empty.admin);
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
    await login(page, f.admin);
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

describe('the server stopped and started again mid-session', () => {
  let s: RestartableServer;
  let g: Fixture;
  beforeAll(async () => {
    s = await startRestartableServer();
    g = await createOrg(s, { name: '重启科技', projects: ['p'] });
  });
  afterAll(async () => {
    await s?.stop();
  });

  test.each(SIZES)('at $name size the page says so and recovers without a reload', async (size) => {
    const page = e2e.page;
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
