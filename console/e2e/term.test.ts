import { beforeAll, describe, expect, test } from 'vitest';
import { formatInstant } from '../src/lib/time.js';
import {
  addMember,
  advanceClock,
  buyClusterOf,
  createOrg,
  e2eFile,
  type Fixture,
  type Member,
  nav,
  payOrder,
  pickOption,
  screenshot,
  serverNow,
  signIn,
  signOut as signOutOf,
  topUp,
} from './harness.js';

/**
 * The subscription term in the console (SPEC §8): 续订 with its live quote, the 自动续订 switch (Org Admin only,
 * after a confirmation), 升配 that also extends the term with its credit, and the expiry timeline's tags as the
 * test clock moves: 即将过期, 已过期, 回收站, and the orders the system cancels or makes on its way.
 */
const e2e = e2eFile('term', { TALLY_TEST_CLOCK: '1' });
const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;
const TZ = 'Asia/Shanghai';
let f: Fixture;
let projectAdmin: Member;
// A: 4 CU × 1, 1 year (running); B: 2 CU × 1, 1 month (expiring at once); C: 1 CU × 1, 2 months (running).
const ids = { a: '', b: '', c: '', upgradeOrder: '', renewalB: '' };

const page = () => e2e.page;
const row = (id: string) => page().locator(`tr[data-row-key="${id}"]`);
// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
const apiGet = async (path: string): Promise<any> => {
  const r = await e2e.server.call('GET', `/v1/orgs/${f.org.id}${path}`, undefined, f.admin.apiKey);
  expect(r.status, path).toBe(200);
  return r.json;
};
const text = async (testId: string) => (await page().getByTestId(testId).first().textContent())?.trim();

/** The browser's clock follows the server's test clock, so that "N 天后到期" counts from the same now. */
async function syncBrowserClock(): Promise<void> {
  await e2e.browser.context.clock.setSystemTime(await serverNow(e2e.server));
}

/** Moves both clocks; the console session has ended by then (it lasts less than the days moved): sign in again. */
async function moveClock(days: number): Promise<void> {
  await advanceClock(e2e.server, days * DAY_S);
  await syncBrowserClock();
  await signIn(page(), e2e.server.url, f.admin);
}

async function openClusters(): Promise<void> {
  await page().goto(`${e2e.server.url}/orgs/${f.org.id}/clusters`);
  await page().getByTestId('clusters-page').waitFor();
  await row(ids.a).waitFor();
}

const signOut = () => signOutOf(page());

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '续订测试科技', projects: ['向量检索'], timeZone: TZ });
  projectAdmin = await addMember(e2e.server, f.org.id, 'org_member', [
    { projectId: f.projects[0]!.id, role: 'project_admin' },
  ]);
  await topUp(e2e.server, f.org.remittanceCode, 10_000_000);
  const buy = async (name: string, cuSize: number, term: { unit: 'month' | 'year'; count: number }) => {
    const r = await buyClusterOf(e2e.server, f, f.projects[0]!.id, name, { cuSize, replicas: 1, term });
    await payOrder(e2e.server, f, r.order.id);
    return r.cluster.id;
  };
  ids.a = await buy('term-year', 4, { unit: 'year', count: 1 });
  ids.b = await buy('term-month', 2, { unit: 'month', count: 1 });
  ids.c = await buy('term-two-months', 1, { unit: 'month', count: 2 });
  // Provisioning takes 0 s here: wait until the three are created.
  for (let tries = 0; ; tries++) {
    const states = await Promise.all([ids.a, ids.b, ids.c].map((id) => apiGet(`/clusters/${id}`)));
    if (states.map((c) => c.state).join(',') === 'running,expiring,running') break;
    if (tries > 60) throw new Error(`clusters not created: ${states.map((c) => c.state).join(',')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await e2e.browser.context.clock.install({ time: await serverNow(e2e.server) });
});

describe('the subscription term in the console', () => {
  test('续订: a live quote per term, the new term end, and the unpaid renewal order', async () => {
    await signIn(page(), e2e.server.url, f.admin);
    await openClusters();
    const a = await apiGet(`/clusters/${ids.a}`);
    expect(await row(ids.a).getByTestId('cluster-state').textContent()).toBe('运行中');
    expect(await row(ids.a).getByTestId('cluster-state-next').count()).toBe(0);
    expect(await row(ids.a).textContent()).toContain(formatInstant(a.termEndsAt, TZ));
    expect(await row(ids.a).getByTestId('renew').textContent()).toBe('续订');
    expect(await row(ids.a).getByTestId('upgrade').textContent()).toBe('升配');
    await screenshot(page(), 'clusters');

    await row(ids.a).getByTestId('renew').click();
    await page().getByTestId('renew-dialog').waitFor();
    const end = (days: number) =>
      formatInstant(new Date(Date.parse(a.termEndsAt) + days * DAY_MS).toISOString(), TZ);
    expect(await text('renew-current-end')).toBe(formatInstant(a.termEndsAt, TZ));
    // The cluster's own term (1 year, 7折) first: 4 CU × ¥900 × 12 × 0.7.
    await expect.poll(() => text('quote-amount')).toBe('¥30,240.00');
    await pickOption(page(), 'renew-term', '1个月');
    await expect.poll(() => text('quote-amount')).toBe('¥3,600.00');
    expect(await text('renew-new-end')).toBe(end(30));
    await pickOption(page(), 'renew-term', '1年');
    await expect.poll(() => text('quote-amount')).toBe('¥30,240.00');
    expect(await text('renew-new-end')).toBe(end(360));
    const dialog = await page().getByTestId('renew-dialog').textContent();
    expect(dialog).toContain('¥43,200.00'); // list price
    expect(dialog).toContain('7折');
    await screenshot(page(), 'renew-dialog');

    await page().getByTestId('renew-confirm').click();
    await page().waitForURL(/\/orders\/ord_[A-Z0-9]+$/);
    await page().getByTestId('order-detail').waitFor();
    const orderId = page().url().split('/').pop()!;
    const order = await apiGet(`/orders/${orderId}`);
    expect(order.type).toBe('renewal');
    expect(order.status).toBe('unpaid');
    expect(order.amount).toBe(3_024_000);
    expect(order.config.termEndsAt).toBe(new Date(Date.parse(a.termEndsAt) + 360 * DAY_MS).toISOString());
    const detail = await page().getByTestId('order-detail').textContent();
    expect(detail).toContain('续订前');
    expect(detail).toContain('续订后');
    expect(await page().getByTestId('order-status').first().textContent()).toBe('未支付');
    expect(await text('detail-amount')).toBe('¥30,240.00');
    expect(await page().getByTestId('config-term-ends-at').last().textContent()).toBe(end(360));
    expect(await text('detail-created-by')).toBe(f.admin.email);
    await screenshot(page(), 'renewal-order');

    // The cluster now links to its unpaid order instead of offering 续订 or 升配.
    await openClusters();
    const pending = row(ids.a).getByTestId('pending-order');
    expect(await pending.textContent()).toBe('有未支付的订单');
    expect(await row(ids.a).getByTestId('renew').count()).toBe(0);
    expect(await row(ids.a).getByTestId('upgrade').count()).toBe(0);
    await pending.click();
    await page().waitForURL(`**/orders/${orderId}`);
    await page().getByTestId('order-detail').waitFor();
  });

  test('自动续订: an Org Admin turns it on and off, each after a confirmation that says what it does', async () => {
    await nav(page(), '订单').click();
    await page().getByTestId('auto-renew-switch').waitFor();
    expect(await text('auto-renew-state')).toBe('未开启');
    expect(await page().getByTestId('auto-renew-switch').isDisabled()).toBe(false);
    await page().getByTestId('auto-renew-switch').click();
    await page().getByTestId('auto-renew-dialog').waitFor();
    expect(await text('auto-renew-dialog')).toBe(
      '开启后，每个包年包月集群到期前 7 天起每天尝试自动续订一次（与当前订购周期相同），现金余额足够时自动扣款；开启本身不产生订单或扣费。',
    );
    await screenshot(page(), 'auto-renew-confirm');
    // Dismissed: nothing changes.
    await page().getByRole('button', { name: '取消' }).click();
    await page().getByTestId('auto-renew-dialog').waitFor({ state: 'detached' });
    expect(await text('auto-renew-state')).toBe('未开启');
    expect((await apiGet('/settings/auto-renew')).enabled).toBe(false);

    await page().getByTestId('auto-renew-switch').click();
    await page().getByTestId('auto-renew-confirm').click();
    await page().getByTestId('auto-renew-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => text('auto-renew-state')).toBe('已开启');
    const on = await apiGet('/settings/auto-renew');
    expect(on.enabled).toBe(true);
    expect(on.updatedBy).toBe(f.admin.id);
    // Turning it on made no order and charged nothing.
    expect((await apiGet('/orders?type=renewal')).items).toHaveLength(1);
    await screenshot(page(), 'auto-renew-on');

    await page().getByTestId('auto-renew-switch').click();
    await page().getByTestId('auto-renew-dialog').waitFor();
    expect(await text('auto-renew-dialog')).toContain('关闭后，系统不再自动续订');
    await page().getByTestId('auto-renew-confirm').click();
    await page().getByTestId('auto-renew-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => text('auto-renew-state')).toBe('未开启');
    expect((await apiGet('/settings/auto-renew')).enabled).toBe(false);
  });

  test('自动续订: a Project Admin sees the switch, disabled, and why', async () => {
    await signOut();
    await signIn(page(), e2e.server.url, projectAdmin);
    await page().waitForURL(`**/orgs/${f.org.id}/orders`);
    await page().getByTestId('auto-renew-switch').waitFor();
    expect(await text('auto-renew-state')).toBe('未开启');
    expect(await page().getByTestId('auto-renew-switch').isDisabled()).toBe(true);
    await page().getByTestId('auto-renew-locked').hover();
    await page().locator('.ant-tooltip', { hasText: '仅组织管理员可以更改自动续订设置' }).waitFor();
    await screenshot(page(), 'auto-renew-project-admin');
    const put = await e2e.server.call(
      'PUT',
      `/v1/orgs/${f.org.id}/settings/auto-renew`,
      { enabled: true },
      projectAdmin.apiKey,
    );
    expect(put.status).toBe(403);
    await signOut();
    await signIn(page(), e2e.server.url, f.admin);
  });

  test('moving the test clock 24 days: 即将过期 counts down the days to the term end', async () => {
    await openClusters();
    expect(await row(ids.b).getByTestId('cluster-state').textContent()).toBe('即将过期');
    expect(await row(ids.b).getByTestId('cluster-state-next').textContent()).toBe('30 天后到期');
    expect(await row(ids.c).getByTestId('cluster-state').textContent()).toBe('运行中');
    expect(await row(ids.c).getByTestId('cluster-state-next').count()).toBe(0);

    await moveClock(24);
    await openClusters();
    expect(await row(ids.b).getByTestId('cluster-state').textContent()).toBe('即将过期');
    expect(await row(ids.b).getByTestId('cluster-state-next').textContent()).toBe('6 天后到期');
    // C (2 months) has 36 days left: not yet in the last 30.
    expect(await row(ids.c).getByTestId('cluster-state').textContent()).toBe('运行中');
    // A's renewal order of day 0 timed out after its 7 days: A offers 续订 again.
    expect(await row(ids.a).getByTestId('renew').count()).toBe(1);
    await screenshot(page(), 'clusters-after-24-days');
  });

  test('in English: 升配 that also extends the term shows the new term, the credit and the amount due', async () => {
    await openClusters();
    const b = await apiGet(`/clusters/${ids.b}`);
    await page().getByTestId('lang-switch').click();
    await page().getByRole('columnheader', { name: 'Term ends' }).waitFor();
    expect(await row(ids.b).getByTestId('cluster-state').textContent()).toBe('Expiring');
    expect(await row(ids.b).getByTestId('cluster-state-next').textContent()).toBe('Expires in 6 days');
    await row(ids.b).getByTestId('upgrade').click();
    await page().getByTestId('upgrade-dialog').waitFor();
    await pickOption(page(), 'upgrade-cusize', '4 CU');
    await expect.poll(() => text('quote-amount')).toMatch(/^¥\d[\d,]*\.\d\d$/);
    expect(await page().getByTestId('quote-credit').count()).toBe(0);
    await page().getByTestId('upgrade-extend').click();
    await pickOption(page(), 'upgrade-term', '1 yr');
    // 4 CU × ¥900 × 12 × 0.7 for the new year, less 2 CU × ¥30 × 6 days left at the 1-month term's list price.
    await expect.poll(() => text('quote-amount')).toBe('¥29,880.00');
    expect(await text('quote-new-term')).toBe('¥30,240.00');
    expect(await text('quote-credit')).toBe('-¥360.00 (6 days left)');
    const dialog = await page().getByTestId('upgrade-dialog').textContent();
    expect(dialog).toContain('Also extend the term');
    expect(dialog).toContain('Credit for the remaining time');
    expect(dialog).not.toMatch(/[\u3400-\u9fff]/);
    await screenshot(page(), 'upgrade-extend-english');

    await page().getByTestId('upgrade-confirm').click();
    await page().waitForURL(/\/orders\/ord_[A-Z0-9]+$/);
    await page().getByTestId('order-detail').waitFor();
    ids.upgradeOrder = page().url().split('/').pop()!;
    const order = await apiGet(`/orders/${ids.upgradeOrder}`);
    expect(order.amount).toBe(2_988_000);
    expect(order.pricing.credit.amount).toBe(36_000);
    expect(order.config.term).toEqual({ unit: 'year', count: 1 });
    // Unpaid at the cluster's expiry (in 6 days, before the 7-day deadline), the system cancels it.
    expect(order.cancelsAt).toBe(b.termEndsAt);
    expect(await text('detail-deadline')).toBe(formatInstant(b.termEndsAt, TZ));
    expect(await text('detail-cancels-at')).toContain('the system cancels this upgrade');
    expect(await text('detail-credit')).toBe('-¥360.00 (6 days left)');
    expect(await page().getByTestId('config-term-ends-at').last().textContent()).toBe(
      'Payment time + the new term',
    );
    const detail = await page().getByTestId('order-detail').textContent();
    expect(detail).toContain('Upgrade');
    expect(detail).toContain('Unpaid');
    // only the project's own name (向量检索) stays Chinese
    expect(detail?.replace('向量检索', '')).not.toMatch(/[\u3400-\u9fff]/);
    await screenshot(page(), 'upgrade-extend-order-english');
    await page().getByTestId('lang-switch').click();
    await page().getByText('订单详情').first().waitFor();
  });

  test('7 days later: 即将过期 and 已过期 with the days left; the system cancelled the unpaid upgrade at expiry', async () => {
    await openClusters();
    expect(await row(ids.b).getByTestId('pending-order').textContent()).toBe('有未支付的订单');

    await moveClock(7);
    await openClusters();
    // C (2 months) has 29 days left; B (1 month) ended a day ago: 6 days until the recycle bin.
    expect(await row(ids.c).getByTestId('cluster-state').textContent()).toBe('即将过期');
    expect(await row(ids.c).getByTestId('cluster-state-next').textContent()).toBe('29 天后到期');
    expect(await row(ids.b).getByTestId('cluster-state').textContent()).toBe('已过期');
    expect(await row(ids.b).getByTestId('cluster-state-next').textContent()).toBe('6 天后进入回收站');
    // Expired: renewable, not upgradable; its unpaid upgrade is gone.
    expect(await row(ids.b).getByTestId('renew').count()).toBe(1);
    expect(await row(ids.b).getByTestId('upgrade').count()).toBe(0);
    expect(await row(ids.b).getByTestId('pending-order').count()).toBe(0);
    await screenshot(page(), 'clusters-after-31-days');

    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/orders/${ids.upgradeOrder}`);
    await page().getByTestId('order-detail').waitFor();
    expect(await page().getByTestId('order-status').first().textContent()).toBe('已取消');
    expect(await text('history-reason')).toBe('集群已过期，系统取消');
    expect(await page().getByTestId('order-detail').textContent()).toContain('未支付 → 已取消');
    await screenshot(page(), 'upgrade-cancelled-at-expiry');
  });

  test('an expired cluster’s renewal: payable until the recycle bin, then cancelled by the system', async () => {
    await openClusters();
    const b = await apiGet(`/clusters/${ids.b}`);
    await row(ids.b).getByTestId('renew').click();
    await page().getByTestId('renew-dialog').waitFor();
    // B's own term (1 month) first: 2 CU × ¥900; the renewal starts at the original end, not now.
    await expect.poll(() => text('quote-amount')).toBe('¥1,800.00');
    expect(await text('renew-new-end')).toBe(
      formatInstant(new Date(Date.parse(b.termEndsAt) + 30 * DAY_MS).toISOString(), TZ),
    );
    await page().getByTestId('renew-confirm').click();
    await page().waitForURL(/\/orders\/ord_[A-Z0-9]+$/);
    await page().getByTestId('order-detail').waitFor();
    ids.renewalB = page().url().split('/').pop()!;
    const order = await apiGet(`/orders/${ids.renewalB}`);
    expect(order.cancelsAt).toBe(b.recycleAt);
    // The deadline is the recycle instant (6 days away), not the 7-day payment deadline.
    expect(await text('detail-deadline')).toBe(formatInstant(b.recycleAt, TZ));
    expect(await text('detail-cancels-at')).toContain('集群进入回收站时');
    expect(await text('time-left')).toMatch(/^剩余 5天23小时5\d分$/);
    await screenshot(page(), 'renewal-of-expired');
    await nav(page(), '订单').click();
    await row(ids.renewalB).waitFor();
    expect(await row(ids.renewalB).getByTestId('order-type').textContent()).toBe('续订');
    expect(await row(ids.renewalB).getByTestId('time-left').textContent()).toMatch(/^剩余 5天23小时5\d分$/);

    await moveClock(7);
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/orders/${ids.renewalB}`);
    await page().getByTestId('order-detail').waitFor();
    expect(await page().getByTestId('order-status').first().textContent()).toBe('已取消');
    expect(await text('history-reason')).toBe('集群进入回收站，系统取消');
    await openClusters();
    expect(await row(ids.b).getByTestId('cluster-state').textContent()).toBe('回收站');
    expect(await row(ids.b).getByTestId('cluster-state-next').textContent()).toBe('29 天后删除');
    expect(await row(ids.b).getByTestId('renew').count()).toBe(0);
    await screenshot(page(), 'clusters-recycled');
  });

  test('自动续订 renews by itself: the order reads 系统 (自动续订) and the filter finds it as 续订', async () => {
    const put = await e2e.server.call(
      'PUT',
      `/v1/orgs/${f.org.id}/settings/auto-renew`,
      { enabled: true },
      f.admin.apiKey,
    );
    expect(put.status).toBe(200);
    // C ends at day 60; its attempts start 7 days before. Now is day 38: go to day 54.
    await moveClock(16);
    // The auto-renew job runs every 30 s: its order, made by the system, is paid from the cash balance.
    const systemRenewal = async () =>
      (await apiGet(`/orders?type=renewal&clusterId=${ids.c}`)).items.find(
        (o: { createdBy: string | null }) => o.createdBy === null,
      );
    await expect.poll(systemRenewal, { timeout: 60_000, interval: 1000 }).toBeTruthy();
    const renewal = await systemRenewal();
    expect(renewal.status).toBe('paid');
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/orders`);
    await page().getByTestId('orders-page').waitFor();
    await pickOption(page(), 'filter-type', '续订');
    await expect.poll(() => page().url()).toContain('type=renewal');
    await row(renewal.id).waitFor();
    // The filtered list replaces the whole one when its answer arrives: wait for that, not for the row.
    await expect
      .poll(async () => [...new Set(await page().getByTestId('order-type').allTextContents())], {
        timeout: 15_000,
      })
      .toEqual(['续订']);
    expect(await row(renewal.id).getByTestId('order-by-system').textContent()).toBe('系统 (自动续订)');
    expect(await row(renewal.id).getByTestId('order-status').textContent()).toBe('已支付');
    expect(await text('auto-renew-state')).toBe('已开启');
    await screenshot(page(), 'orders-auto-renewed');
    await row(renewal.id).getByTestId('order-link').click();
    await page().getByTestId('order-detail').waitFor();
    expect(await text('detail-created-by')).toBe('系统 (自动续订)');
  });
});
