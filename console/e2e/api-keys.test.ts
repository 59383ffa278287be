import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Browser,
  createOrg,
  type Fixture,
  launchBrowser,
  nav,
  screenshot,
  screenshotPrefix,
  startServer,
  type TestServer,
} from './harness.js';

/**
 * A new member's path (SPEC §11): the invitation link sets their password (typed twice) and signs them in;
 * on API 密钥 they create a key (its secret shown once, with a copy button), see it listed without the
 * secret, and revoke it after a confirmation — from then on the API refuses it.
 */
let server: TestServer;
let browser: Browser;
let page: Page;
let f: Fixture;
let invitationUrl = '';
const email = `invited-${process.pid}@e2e.tally`;
const password = 'my-own-password-42';

beforeAll(async () => {
  screenshotPrefix('api-keys');
  server = await startServer();
  f = await createOrg(server, { name: '密钥测试科技', projects: ['智能检索'] });
  const added = await server.call('POST', `/v1/internal/orgs/${f.org.id}/members`, {
    email,
    orgRole: 'org_member',
  });
  expect(added.status).toBe(201);
  invitationUrl = added.json.invitation.url;
  browser = await launchBrowser();
  page = browser.page;
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('API 密钥 and invitations', () => {
  test('the invitation link sets a password (typed twice) and signs the member in', async () => {
    await page.goto(`${server.url}${invitationUrl}`);
    await page.getByTestId('invitation-page').waitFor();
    expect(await page.getByTestId('invitation-page').textContent()).toContain(email);
    await page.getByTestId('invite-password').fill(password);
    await page.getByTestId('invite-password-again').fill('something else');
    await page.getByTestId('invite-submit').click();
    await page.getByText('两次输入的密码不一致').waitFor();
    await screenshot(page, 'invitation-mismatch');
    await page.getByTestId('invite-password-again').fill(password);
    await page.getByTestId('invite-submit').click();
    await page.waitForURL(`**/orgs/${f.org.id}/**`);
    // The password now signs in over the API too, and the link is spent.
    const login = await fetch(`${server.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);
  });

  let secret = '';
  test('creates a key: the secret is shown once, with a copy button', async () => {
    await nav(page, 'API 密钥').click();
    await page.getByTestId('api-keys-page').waitFor();
    // the key issued when the member was added
    await expect.poll(() => page.getByTestId('api-keys-page').textContent()).toContain('default');
    await screenshot(page, 'list');
    await page.getByTestId('api-key-create').click();
    await page.getByTestId('api-key-name').fill('部署脚本');
    await page.getByTestId('api-key-create-confirm').click();
    await page.getByTestId('api-key-secret').waitFor();
    secret = await page.getByTestId('api-key-secret').inputValue();
    expect(secret).toMatch(/^tly_/);
    await page.getByTestId('api-key-copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(page, 'created');
    await page.getByTestId('api-key-done').click();
    const pageText = await page.getByTestId('api-keys-page').textContent();
    expect(pageText).toContain('部署脚本');
    expect(pageText).toContain(secret.slice(0, 8));
    expect(pageText).not.toContain(secret);
    expect((await server.call('GET', '/v1/me', undefined, secret)).status).toBe(200);
  });

  test('revokes it after a confirmation: the API refuses it at once', async () => {
    const list = await server.call('GET', `/v1/orgs/${f.org.id}/api-keys`, undefined, secret);
    const id = list.json.items.find((k: { name: string }) => k.name === '部署脚本').id;
    await page.getByTestId(`api-key-revoke-${id}`).click();
    await page.getByTestId('api-key-revoke-confirm').waitFor();
    await screenshot(page, 'revoke-confirm');
    await page.getByTestId('api-key-revoke-confirm').click();
    await expect.poll(() => page.getByTestId(`api-key-revoke-${id}`).count()).toBe(0);
    expect(await page.locator(`tr[data-row-key="${id}"]`).textContent()).toContain('已撤销');
    await screenshot(page, 'revoked');
    const refused = await server.call('GET', '/v1/me', undefined, secret);
    expect(refused.status).toBe(401);
  });

  test('a spent invitation link says so', async () => {
    await page.goto(`${server.url}${invitationUrl}`);
    await page.getByTestId('invitation-error').waitFor();
    expect(await page.getByTestId('invitation-error').textContent()).toContain('邀请链接无效');
    await screenshot(page, 'invitation-spent');
  });
});
