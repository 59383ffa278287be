import { beforeAll, describe, expect, test } from 'vitest';
import {
  addMember,
  buyCluster,
  createOrg,
  e2eFile,
  type Fixture,
  type Member,
  nav,
  screenshot,
  signIn,
  signOut as signOutOf,
} from './harness.js';

/**
 * What each role sees: a Project Admin only their project's orders, an Org Member a clear 无权限 page, a
 * Billing Admin the balance but no orders; another org's ids are not found; a member of two orgs switches.
 */
const e2e = e2eFile('roles');
let f: Fixture;
let other: Fixture;
let alphaAdmin: Member;
let member: Member;
let finance: Member;
const orders: Record<string, string> = {};

const signOut = () => signOutOf(e2e.page);

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '角色测试科技', projects: ['alpha', 'beta'] });
  other = await createOrg(e2e.server, { name: '另一家公司', projects: ['gamma'] });
  alphaAdmin = await addMember(e2e.server, f.org.id, 'org_member', [
    { projectId: f.projects[0]!.id, role: 'project_admin' },
  ]);
  member = await addMember(e2e.server, f.org.id, 'org_member');
  finance = await addMember(e2e.server, f.org.id, 'org_billing_admin');
  orders.alpha = (await buyCluster(e2e.server, f, f.projects[0]!.id, 'alpha-cluster')).order.id;
  orders.beta = (await buyCluster(e2e.server, f, f.projects[1]!.id, 'beta-cluster')).order.id;
  orders.gamma = (await buyCluster(e2e.server, other, other.projects[0]!.id, 'gamma-cluster')).order.id;
});

describe('roles in the console', () => {
  test('a Project Admin sees only their project’s orders, and may pay them', async () => {
    await signIn(e2e.page, e2e.server.url, alphaAdmin);
    await e2e.page.waitForURL(`**/orgs/${f.org.id}/orders`);
    await e2e.page.locator(`tr[data-row-key="${orders.alpha}"]`).waitFor();
    expect(await e2e.page.locator('tr[data-row-key]').count()).toBe(1);
    expect(await e2e.page.locator(`tr[data-row-key="${orders.beta}"]`).count()).toBe(0);
    const row = e2e.page.locator(`tr[data-row-key="${orders.alpha}"]`);
    expect(await row.textContent()).toContain('alpha');
    expect(await row.getByTestId('pay').count()).toBe(1);
    await screenshot(e2e.page, 'project-admin-orders');
    // Another project's order by its id: not found, not forbidden.
    await e2e.page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders/${orders.beta}`);
    await e2e.page.getByTestId('not-found').waitFor();
    await screenshot(e2e.page, 'project-admin-other-project-order');
    await signOut();
  });

  test('an Org Member lands on a page saying whom to ask; the orders page by its address is 无权限', async () => {
    await signIn(e2e.page, e2e.server.url, member);
    await e2e.page.waitForURL(`**/orgs/${f.org.id}/home`);
    await e2e.page.getByTestId('no-billing-access').waitFor();
    expect(await nav(e2e.page, '订单').count()).toBe(0);
    expect(await nav(e2e.page, '余额').count()).toBe(0);
    await e2e.page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
    await e2e.page.getByTestId('forbidden').waitFor();
    expect(await e2e.page.getByTestId('forbidden').textContent()).toContain('无权限');
    expect(await e2e.page.locator('.ant-table').count()).toBe(0);
    await screenshot(e2e.page, 'org-member-forbidden');
    await signOut();
  });

  test('a Billing Admin lands on the balance and gets 无权限 for orders', async () => {
    await signIn(e2e.page, e2e.server.url, finance);
    await e2e.page.waitForURL(`**/orgs/${f.org.id}/balance`);
    await e2e.page.getByTestId('balance-page').waitFor();
    await screenshot(e2e.page, 'billing-admin-balance');
    expect(await nav(e2e.page, '订单').count()).toBe(0);
    await e2e.page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
    await e2e.page.getByTestId('forbidden').waitFor();
    await signOut();
  });

  test('another org’s ids give a not-found page', async () => {
    await signIn(e2e.page, e2e.server.url, f.admin);
    await e2e.page.goto(`${e2e.server.url}/orgs/${other.org.id}/orders`);
    await e2e.page.getByTestId('not-found').waitFor();
    expect(await e2e.page.getByTestId('not-found').textContent()).toContain('未找到');
    await screenshot(e2e.page, 'foreign-org');
    await e2e.page.goto(`${e2e.server.url}/orgs/${f.org.id}/orders/${orders.gamma}`);
    await e2e.page.getByTestId('not-found').waitFor();
    await screenshot(e2e.page, 'foreign-order');
    await signOut();
  });

  test('a member of two orgs switches between them', async () => {
    const both = await addMember(e2e.server, f.org.id, 'org_admin');
    await addMember(e2e.server, other.org.id, 'org_admin', [], both.email);
    await signIn(e2e.page, e2e.server.url, both);
    await e2e.page.locator(`tr[data-row-key="${orders.alpha}"]`).waitFor();
    const switcher = e2e.page.getByTestId('org-switcher');
    await switcher.click();
    await e2e.page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '另一家公司' })
      .click();
    await e2e.page.waitForURL(`**/orgs/${other.org.id}/orders`);
    await e2e.page.locator(`tr[data-row-key="${orders.gamma}"]`).waitFor();
    expect(await e2e.page.locator('tr[data-row-key]').count()).toBe(1);
    await screenshot(e2e.page, 'org-switched');
    await signOut();
  });

  test('a wrong password shows the error and stays on the sign-in page', async () => {
    await e2e.page.goto(`${e2e.server.url}/login`);
    await e2e.page.getByTestId('login-email').fill(f.admin.email);
    await e2e.page.getByTestId('login-password').fill('not-the-password');
    await e2e.page.getByTestId('login-submit').click();
    await e2e.page.getByTestId('login-error').waitFor();
    // the code's words only: never the server's own (English) text in zh-CN
    expect((await e2e.page.getByTestId('login-error').textContent())?.trim()).toBe('邮箱或密码错误');
    await screenshot(e2e.page, 'login-error');
  });
});
