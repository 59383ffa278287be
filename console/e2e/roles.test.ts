import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  addMember,
  type Browser,
  buyCluster,
  createOrg,
  type Fixture,
  launchBrowser,
  type Member,
  nav,
  screenshot,
  screenshotPrefix,
  signIn,
  startServer,
  type TestServer,
} from './harness.js';

/**
 * What each role sees: a Project Admin only their project's orders, an Org Member a clear 无权限 page, a
 * Billing Admin the balance but no orders; another org's ids are not found; a member of two orgs switches.
 */
let server: TestServer;
let browser: Browser;
let page: Page;
let f: Fixture;
let other: Fixture;
let alphaAdmin: Member;
let member: Member;
let finance: Member;
const orders: Record<string, string> = {};

async function signOut() {
  await page.getByTestId('sign-out').click();
  await page.waitForURL('**/login**');
}

beforeAll(async () => {
  screenshotPrefix('roles');
  server = await startServer();
  f = await createOrg(server, { name: '角色测试科技', projects: ['alpha', 'beta'] });
  other = await createOrg(server, { name: '另一家公司', projects: ['gamma'] });
  alphaAdmin = await addMember(server, f.org.id, 'org_member', [
    { projectId: f.projects[0]!.id, role: 'project_admin' },
  ]);
  member = await addMember(server, f.org.id, 'org_member');
  finance = await addMember(server, f.org.id, 'org_billing_admin');
  orders.alpha = (await buyCluster(server, f, f.projects[0]!.id, 'alpha-cluster')).order.id;
  orders.beta = (await buyCluster(server, f, f.projects[1]!.id, 'beta-cluster')).order.id;
  orders.gamma = (await buyCluster(server, other, other.projects[0]!.id, 'gamma-cluster')).order.id;
  browser = await launchBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('roles in the console', () => {
  test('a Project Admin sees only their project’s orders, and may pay them', async () => {
    await signIn(page, server.url, alphaAdmin);
    await page.waitForURL(`**/orgs/${f.org.id}/orders`);
    await page.locator(`tr[data-row-key="${orders.alpha}"]`).waitFor();
    expect(await page.locator('tr[data-row-key]').count()).toBe(1);
    expect(await page.locator(`tr[data-row-key="${orders.beta}"]`).count()).toBe(0);
    const row = page.locator(`tr[data-row-key="${orders.alpha}"]`);
    expect(await row.textContent()).toContain('alpha');
    expect(await row.getByTestId('pay').count()).toBe(1);
    await screenshot(page, 'project-admin-orders');
    // Another project's order by its id: not found, not forbidden.
    await page.goto(`${server.url}/orgs/${f.org.id}/orders/${orders.beta}`);
    await page.getByTestId('not-found').waitFor();
    await screenshot(page, 'project-admin-other-project-order');
    await signOut();
  });

  test('an Org Member sees 无权限 on the orders page, never a broken table', async () => {
    await signIn(page, server.url, member);
    await page.waitForURL(`**/orgs/${f.org.id}/orders`);
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByTestId('forbidden').textContent()).toContain('无权限');
    expect(await page.locator('.ant-table').count()).toBe(0);
    await screenshot(page, 'org-member-forbidden');
    await nav(page, '余额').click();
    await page.getByTestId('forbidden').waitFor();
    await signOut();
  });

  test('a Billing Admin lands on the balance and gets 无权限 for orders', async () => {
    await signIn(page, server.url, finance);
    await page.waitForURL(`**/orgs/${f.org.id}/balance`);
    await page.getByTestId('balance-page').waitFor();
    await screenshot(page, 'billing-admin-balance');
    await nav(page, '订单').click();
    await page.getByTestId('forbidden').waitFor();
    await signOut();
  });

  test('another org’s ids give a not-found page', async () => {
    await signIn(page, server.url, f.admin);
    await page.goto(`${server.url}/orgs/${other.org.id}/orders`);
    await page.getByTestId('not-found').waitFor();
    expect(await page.getByTestId('not-found').textContent()).toContain('未找到');
    await screenshot(page, 'foreign-org');
    await page.goto(`${server.url}/orgs/${f.org.id}/orders/${orders.gamma}`);
    await page.getByTestId('not-found').waitFor();
    await screenshot(page, 'foreign-order');
    await signOut();
  });

  test('a member of two orgs switches between them', async () => {
    const both = await addMember(server, f.org.id, 'org_admin');
    await addMember(server, other.org.id, 'org_admin', [], both.email);
    await signIn(page, server.url, both);
    await page.locator(`tr[data-row-key="${orders.alpha}"]`).waitFor();
    const switcher = page.getByTestId('org-switcher');
    await switcher.click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '另一家公司' })
      .click();
    await page.waitForURL(`**/orgs/${other.org.id}/orders`);
    await page.locator(`tr[data-row-key="${orders.gamma}"]`).waitFor();
    expect(await page.locator('tr[data-row-key]').count()).toBe(1);
    await screenshot(page, 'org-switched');
    await signOut();
  });

  test('a wrong password shows the error and stays on the sign-in page', async () => {
    await page.goto(`${server.url}/login`);
    await page.getByTestId('login-email').fill(f.admin.email);
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    // the code's words only: never the server's own (English) text in zh-CN
    expect((await page.getByTestId('login-error').textContent())?.trim()).toBe('邮箱或密码错误');
    await screenshot(page, 'login-error');
  });
});
