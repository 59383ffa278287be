import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import {
  addMember,
  buyCluster,
  createOrg,
  type Fixture,
  type Member,
  signIn,
  type TestServer,
  topUp,
} from './harness.js';

/**
 * The console's second pass in a real browser, at 1440×900 and 390×844, in zh-CN and en (console-failures,
 * console-roles, console-pages and console-restart): what those files share.
 */
export const SIZES = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
export type Size = (typeof SIZES)[number];
export const LOCALES = ['zh-CN', 'en-US'] as const;
export type Locale = (typeof LOCALES)[number];

export const WORDS = {
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

export async function setLocale(page: Page, locale: Locale): Promise<void> {
  await page.evaluate((l) => localStorage.setItem('tally.locale', l), locale);
}

/** A menu link, through the drawer on a phone. */
export async function openNav(page: Page, size: Size, label: string): Promise<void> {
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
export async function menuLabels(page: Page, size: Size): Promise<string[]> {
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

export async function noSidewaysScroll(page: Page, size: Size, what: string): Promise<void> {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(w, `${what}: page width at ${size.width} px`).toBeLessThanOrEqual(size.width);
}

/** A mark on the window: gone after a reload, so its presence proves the page recovered in place. */
export const mark = (page: Page) => page.evaluate(() => Object.assign(window, { __tallyMark: 1 }));
export const marked = (page: Page) =>
  page.evaluate(() => (window as unknown as { __tallyMark?: number }).__tallyMark === 1);

/** Signs in afresh (a test that failed may have left a session behind). */
export async function login(page: Page, url: string, who: Member): Promise<void> {
  await page.context().clearCookies();
  await signIn(page, url, who);
}

export interface SecondPass {
  f: Fixture;
  /** Members by role: finance, member, projectAdmin, editor, viewer (f.admin is the Org Admin). */
  m: Record<string, Member>;
  /** An unpaid order of project alpha's cluster. */
  orderId: string;
}

/** An org with two projects, a member of each role, ¥5,000.00 of cash and an unpaid order. */
export async function setUpSecondPass(server: TestServer): Promise<SecondPass> {
  const m: Record<string, Member> = {};
  const f = await createOrg(server, { name: '第二轮科技', projects: ['alpha', 'beta'] });
  const alpha = f.projects[0]!.id;
  m.finance = await addMember(server, f.org.id, 'org_billing_admin');
  m.member = await addMember(server, f.org.id, 'org_member');
  m.projectAdmin = await addMember(server, f.org.id, 'org_member', [
    { projectId: alpha, role: 'project_admin' },
  ]);
  m.editor = await addMember(server, f.org.id, 'org_member', [{ projectId: alpha, role: 'project_editor' }]);
  m.viewer = await addMember(server, f.org.id, 'org_member', [{ projectId: alpha, role: 'project_viewer' }]);
  await topUp(server, f.org.remittanceCode, 500_000);
  const orderId = (await buyCluster(server, f, alpha, 'alpha-cluster')).order.id;

  return { f, m, orderId };
}
