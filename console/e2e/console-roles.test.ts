import { beforeAll, describe, expect, test } from 'vitest';
import { login, menuLabels, noSidewaysScroll, SIZES, setUpSecondPass } from './console-pass.js';
import { e2eFile, type Fixture, type Member, screenshot, signOut } from './harness.js';

/**
 * Each role's menu and start page in a real browser at 1440×900 and 390×844: only what the role may use is
 * offered, and it lands on its first useful page.
 */
const e2e = e2eFile('roles');
let f: Fixture;
let m: Record<string, Member>;

beforeAll(async () => {
  ({ f, m } = await setUpSecondPass(e2e.server));
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
    await login(page, e2e.server.url, who);
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
