import { beforeAll, describe, expect, test } from 'vitest';
import { createOrg, e2eFile, type Fixture, nav, screenshot } from './harness.js';

/**
 * A new member's path (SPEC §11): the invitation link sets their password (typed twice) and signs them in;
 * on API 密钥 they create a key (its secret shown once, with a copy button), see it listed without the
 * secret, and revoke it after a confirmation — from then on the API refuses it.
 */
const e2e = e2eFile('api-keys');
let f: Fixture;
let invitationUrl = '';
const email = `invited-${process.pid}@e2e.tally`;
const password = 'my-own-password-42';

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '密钥测试科技', projects: ['智能检索'] });
  const added = await e2e.server.call('POST', `/v1/internal/orgs/${f.org.id}/members`, {
    email,
    orgRole: 'org_member',
  });
  expect(added.status).toBe(201);
  invitationUrl = added.json.invitation.url;
  await e2e.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: e2e.server.url,
  });
});

describe('API 密钥 and invitations', () => {
  test('the invitation link sets a password (typed twice) and signs the member in', async () => {
    // The link is absolute (TALLY_PUBLIC_URL); the browser opens its path on the server under test.
    await e2e.page.goto(`${e2e.server.url}${new URL(invitationUrl).pathname}`);
    await e2e.page.getByTestId('invitation-page').waitFor();
    expect(await e2e.page.getByTestId('invitation-page').textContent()).toContain(email);
    await e2e.page.getByTestId('invite-password').fill(password);
    await e2e.page.getByTestId('invite-password-again').fill('something else');
    await e2e.page.getByTestId('invite-submit').click();
    await e2e.page.getByText('两次输入的密码不一致').waitFor();
    await screenshot(e2e.page, 'invitation-mismatch');
    await e2e.page.getByTestId('invite-password-again').fill(password);
    await e2e.page.getByTestId('invite-submit').click();
    await e2e.page.waitForURL(`**/orgs/${f.org.id}/**`);
    // The password now signs in over the API too, and the link is spent.
    const login = await fetch(`${e2e.server.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);
  });

  let secret = '';
  test('creates a key: the secret is shown once, with a copy button', async () => {
    await nav(e2e.page, 'API 密钥').click();
    await e2e.page.getByTestId('api-keys-page').waitFor();
    // the key issued when the member was added
    await expect.poll(() => e2e.page.getByTestId('api-keys-page').textContent()).toContain('default');
    await screenshot(e2e.page, 'list');
    await e2e.page.getByTestId('api-key-create').click();
    await e2e.page.getByTestId('api-key-name').fill('部署脚本');
    await e2e.page.getByTestId('api-key-create-confirm').click();
    await e2e.page.getByTestId('api-key-secret').waitFor();
    secret = await e2e.page.getByTestId('api-key-secret').inputValue();
    expect(secret).toMatch(/^tly_/);
    await e2e.page.getByTestId('api-key-copy').click();
    await expect.poll(() => e2e.page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(e2e.page, 'created');
    await e2e.page.getByTestId('api-key-done').click();
    const pageText = await e2e.page.getByTestId('api-keys-page').textContent();
    expect(pageText).toContain('部署脚本');
    expect(pageText).toContain(secret.slice(0, 8));
    expect(pageText).not.toContain(secret);
    expect((await e2e.server.call('GET', '/v1/me', undefined, secret)).status).toBe(200);
  });

  test('revokes it after a confirmation: the API refuses it at once', async () => {
    const list = await e2e.server.call('GET', `/v1/orgs/${f.org.id}/api-keys`, undefined, secret);
    const id = list.json.items.find((k: { name: string }) => k.name === '部署脚本').id;
    await e2e.page.getByTestId(`api-key-revoke-${id}`).click();
    await e2e.page.getByTestId('api-key-revoke-confirm').waitFor();
    await screenshot(e2e.page, 'revoke-confirm');
    await e2e.page.getByTestId('api-key-revoke-confirm').click();
    await expect.poll(() => e2e.page.getByTestId(`api-key-revoke-${id}`).count()).toBe(0);
    expect(await e2e.page.locator(`tr[data-row-key="${id}"]`).textContent()).toContain('已撤销');
    await screenshot(e2e.page, 'revoked');
    const refused = await e2e.server.call('GET', '/v1/me', undefined, secret);
    expect(refused.status).toBe(401);
  });

  test('a spent invitation link says so', async () => {
    // The link is absolute (TALLY_PUBLIC_URL); the browser opens its path on the server under test.
    await e2e.page.goto(`${e2e.server.url}${new URL(invitationUrl).pathname}`);
    await e2e.page.getByTestId('invitation-error').waitFor();
    expect(await e2e.page.getByTestId('invitation-error').textContent()).toContain('邀请链接无效');
    await screenshot(e2e.page, 'invitation-spent');
  });
});
