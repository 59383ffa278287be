import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { formatMoney } from '../src/lib/money.js';
import { formatInstant } from '../src/lib/time.js';
import {
  addMember,
  advanceClock,
  axeViolations,
  buyCluster,
  createOrg,
  e2eFile,
  type Fixture,
  type Member,
  payOrder,
  ROOT,
  screenshot,
  serverNow,
  signIn,
  topUp,
} from './harness.js';

/**
 * The finance screens (SPEC §10): 发票 — eligible items, 申请开票, the operator issuing one (its PDF downloads)
 * and failing another (its reason shows); bills — 待确认 with its automatic confirmation time, 确认账单 and
 * 质疑账单; the arrears banner — an amount due, then a frozen org, gone after a top-up. Desktop in Chinese,
 * phone in English, axe on each page and dialog.
 */
const e2e = e2eFile('finance', { TALLY_TEST_CLOCK: '1' });
const TZ = 'Asia/Shanghai';
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const ENTERPRISE = {
  kind: 'enterprise',
  title: '杭州向量数据科技有限公司',
  taxId: '91330100MA2XXXXX1K',
  address: '杭州市西湖区文三路 1 号',
  phone: '0571-88888888',
  bank: '招商银行杭州分行',
  bankAccount: '5719 0000 0000 001',
};

let f: Fixture;
let billingAdmin: Member;
const orders = { first: '', second: '', third: '' };

const page = () => e2e.page;
// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
async function ok(r: Promise<{ status: number; json: any }>, status: number, what: string): Promise<any> {
  const a = await r;
  expect(a.status, `${what}: ${JSON.stringify(a.json)}`).toBe(status);
  return a.json;
}
const asAdmin = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, fx: Fixture = f) =>
  e2e.server.call(method, `/v1/orgs/${fx.org.id}${path}`, body, fx.admin.apiKey);
const asOperator = (path: string, body: unknown) => e2e.server.call('POST', path, body);

/** A paid 1-month cluster order of the org (bought and paid through the API). */
async function paidOrder(fx: Fixture, name: string): Promise<string> {
  const r = await buyCluster(e2e.server, fx, fx.projects[0]!.id, name);
  await payOrder(e2e.server, fx, r.order.id);
  return r.order.id;
}

/** axe-core's serious and critical findings on the page as it is: none. */
async function noAxe(p: Page, where: string): Promise<void> {
  expect(await axeViolations(p), where).toEqual([]);
}

async function setLocale(p: Page, locale: 'zh-CN' | 'en-US'): Promise<void> {
  await p.evaluate((l) => localStorage.setItem('tally.locale', l), locale);
  await p.reload();
}

/** The bytes of a real PDF the server made: an order's document. */
async function somePdf(orderId: string): Promise<Buffer> {
  const r = await fetch(`${e2e.server.url}/v1/orgs/${f.org.id}/orders/${orderId}/document`, {
    headers: { authorization: `Bearer ${f.admin.apiKey}` },
  });
  expect(r.status).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

/** Ticks an order in 可开票 by its checkbox's accessible name (选择 订单 ord_… / Select Order ord_…). */
async function select(orderId: string, word: string): Promise<void> {
  const row = page().locator(`tr[data-row-key="order:${orderId}"]`);
  await row.getByRole('checkbox', { name: `${word} ${orderId}` }).check();
}

const invoiceRow = (id: string) => page().locator(`tr[data-row-key="${id}"]`);

beforeAll(async () => {
  f = await createOrg(e2e.server, { name: '向量数据科技', projects: ['检索'], timeZone: TZ });
  billingAdmin = await addMember(e2e.server, f.org.id, 'org_billing_admin');
  await topUp(e2e.server, f.org.remittanceCode, 50_000_000);
  orders.first = await paidOrder(f, 'inv-a');
  orders.second = await paidOrder(f, 'inv-b');
  orders.third = await paidOrder(f, 'inv-c');
  // the operator keeps the org's certification data: the buyer of its invoices
  await ok(
    asOperator(`/v1/internal/orgs/${f.org.id}/certification`, { certified: true, ...ENTERPRISE }),
    200,
    'certify',
  );
});

// a failing step leaves the page it saw
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshot(page(), `failed-${ctx.task.name.slice(0, 12)}`);
});

describe('发票', () => {
  test('申请开票 for a paid order: 开票中, then issued by the operator with its PDF (已开票, 下载)', async () => {
    await signIn(page(), e2e.server.url, billingAdmin);
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/invoices`);
    await page().getByTestId('invoiceable-tab').waitFor();
    const first = page().locator(`tr[data-row-key="order:${orders.first}"]`);
    await first.waitFor();
    const amount = (await ok(asAdmin('GET', `/orders/${orders.first}`), 200, 'order')).amount as number;
    expect(await first.textContent()).toContain(formatMoney(amount));
    await expect.poll(() => page().locator('tr[data-row-key^="order:"]').count()).toBe(3);
    expect(await page().getByTestId('invoice-request').isDisabled()).toBe(true);
    await noAxe(page(), 'invoiceable');
    await screenshot(page(), 'invoiceable-desktop-zh');

    await select(orders.first, '订单');
    expect(await page().getByTestId('invoiceable-selected').textContent()).toBe(
      `已选 1 项，合计 ${formatMoney(amount)}`,
    );
    await page().getByTestId('invoice-request').click();
    const dialog = page().getByRole('dialog');
    await dialog.waitFor();
    expect(await page().getByTestId('invoice-request-total').textContent()).toBe(formatMoney(amount));
    expect(await dialog.textContent()).toContain('组织已认证');
    // nothing is sent without an address
    await page().getByTestId('invoice-request-submit').click();
    await dialog.getByText('请填写至少一个接收邮箱').waitFor();
    await page().getByTestId('invoice-emails').fill('finance@example.com, bad-address');
    await page().getByTestId('invoice-request-submit').click();
    await dialog.getByText('邮箱格式不正确：bad-address').waitFor();
    await page().getByTestId('invoice-type-special').check();
    await page().getByTestId('invoice-emails').fill('finance@example.com\nboss@example.com');
    await page().getByTestId('invoice-remark').fill('项目一期');
    await noAxe(page(), 'request dialog');
    await screenshot(page(), 'invoice-request-desktop-zh');
    await page().getByTestId('invoice-request-submit').click();
    await dialog.waitFor({ state: 'detached' });

    // 开票记录 opens with the request 开票中; the order has left 可开票
    await page().getByTestId('invoice-records').waitFor();
    const list = await ok(asAdmin('GET', '/invoices'), 200, 'invoices');
    expect(list.items).toHaveLength(1);
    const inv = list.items[0];
    expect(inv).toMatchObject({
      type: 'special',
      status: 'requested',
      totalAmount: amount,
      remark: '项目一期',
    });
    expect(inv.emails).toEqual(['finance@example.com', 'boss@example.com']);
    expect(inv.buyer.title).toBe(ENTERPRISE.title);
    await invoiceRow(inv.id).getByTestId('invoice-status-requested').waitFor();
    expect(await invoiceRow(inv.id).textContent()).toContain('开票中');
    expect(await invoiceRow(inv.id).getByTestId(`invoice-download-${inv.id}`).count()).toBe(0);
    await invoiceRow(inv.id).locator('.ant-table-row-expand-icon').click();
    expect(await page().getByTestId(`invoice-detail-${inv.id}`).textContent()).toContain(ENTERPRISE.taxId);
    await noAxe(page(), 'records');
    await screenshot(page(), 'invoice-records-desktop-zh');
    await page().getByTestId('invoices-tab-invoiceable').click();
    await expect.poll(() => page().locator('tr[data-row-key^="order:"]').count()).toBe(2);
    expect(await page().locator(`tr[data-row-key="order:${orders.first}"]`).count()).toBe(0);

    // the operator issues it with a PDF: 已开票 with its number and date, and 下载 gives that PDF
    const pdf = await somePdf(orders.first);
    const issuedAt = (await serverNow(e2e.server)).toISOString();
    await ok(
      asOperator(`/v1/internal/invoices/${inv.id}/issue`, {
        number: 'FP-2026-0001',
        issuedAt,
        pdfBase64: pdf.toString('base64'),
      }),
      200,
      'issue',
    );
    await page().getByTestId('invoices-tab-records').click();
    await page().reload();
    await page().getByTestId('invoices-tab-records').click();
    await invoiceRow(inv.id).getByTestId('invoice-status-issued').waitFor();
    const issuedRow = await invoiceRow(inv.id).textContent();
    expect(issuedRow).toContain('已开票');
    expect(issuedRow).toContain('FP-2026-0001');
    expect(issuedRow).toContain(formatInstant(issuedAt, TZ));
    const downloading = page().waitForEvent('download');
    await page().getByTestId(`invoice-download-${inv.id}`).click();
    const download = await downloading;
    const saved = join(ROOT, 'test-output', 'downloads', `finance-${download.suggestedFilename()}`);
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(pdf)).toBe(true);
    await screenshot(page(), 'invoice-issued-desktop-zh');
  });

  test('an item requested meanwhile is refused by name; a failed request shows its reason and frees the item', async () => {
    await page().goto(`${e2e.server.url}/orgs/${f.org.id}/invoices`);
    await select(orders.second, '订单');
    await page().getByTestId('invoice-request').click();
    // meanwhile someone else requests an invoice for the same order
    const other = await ok(
      asAdmin('POST', '/invoices', {
        items: [{ kind: 'order', id: orders.second }],
        type: 'normal',
        emails: ['other@example.com'],
      }),
      201,
      'request',
    );
    await page().getByTestId('invoice-emails').fill('finance@example.com');
    await page().getByTestId('invoice-request-submit').click();
    const error = page().getByTestId('invoice-request-error');
    await error.waitFor();
    expect(await error.textContent()).toContain(`订单 ${orders.second} 不能开具发票：已在开票申请中`);
    await page().getByRole('dialog').getByRole('button', { name: '取消' }).click();
    await page().getByRole('dialog').waitFor({ state: 'detached' });
    expect((await ok(asAdmin('GET', '/invoices'), 200, 'invoices')).items).toHaveLength(2);

    await ok(
      asOperator(`/v1/internal/invoices/${other.id}/fail`, { reason: '购方税号与登记不符' }),
      200,
      'fail',
    );
    await page().reload();
    await page().getByTestId('invoices-tab-records').click();
    await invoiceRow(other.id).getByTestId('invoice-status-failed').waitFor();
    expect(await page().getByTestId(`invoice-failure-${other.id}`).textContent()).toBe(
      '失败原因：购方税号与登记不符',
    );
    await screenshot(page(), 'invoice-failed-desktop-zh');
    await page().getByTestId('invoices-tab-invoiceable').click();
    await page().locator(`tr[data-row-key="order:${orders.second}"]`).waitFor();
  });

  test('自动开票 and the pages on a phone in English', async () => {
    await page().getByTestId('invoices-tab-auto').click();
    await page().getByTestId('auto-invoice-switch').click();
    await page().getByTestId('auto-invoice-save').click();
    await page().getByText('请填写至少一个接收邮箱').waitFor();
    await page().getByTestId('auto-invoice-emails').fill('auto@example.com');
    await page().getByTestId('auto-invoice-save').click();
    await expect
      .poll(async () => (await ok(asAdmin('GET', '/settings/auto-invoice'), 200, 'auto')).enabled)
      .toBe(true);
    await noAxe(page(), 'auto invoice');
    await screenshot(page(), 'invoice-auto-desktop-zh');

    await page().setViewportSize(PHONE);
    await setLocale(page(), 'en-US');
    await page().getByTestId('invoiceable-tab').waitFor();
    await page().locator(`tr[data-row-key="order:${orders.second}"]`).waitFor();
    // the page's own card fits the phone's width (the shared header is checked by the console pass)
    const noSideways = () =>
      page().evaluate(() => {
        const card = document.querySelector('[data-testid="invoices-page"]');
        return (
          !!card &&
          card.getBoundingClientRect().right <= window.innerWidth &&
          card.scrollWidth <= card.clientWidth
        );
      });
    expect(await noSideways()).toBe(true);
    await noAxe(page(), 'invoiceable phone');
    await screenshot(page(), 'invoiceable-phone-en');
    await select(orders.second, 'Order');
    await page().getByTestId('invoice-request').click();
    await page().getByRole('dialog').waitFor();
    expect(await page().getByRole('dialog').textContent()).toContain('Special VAT invoice');
    await noAxe(page(), 'request dialog phone');
    await screenshot(page(), 'invoice-request-phone-en');
    await page().getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page().getByTestId('invoices-tab-records').click();
    await page().getByTestId('invoice-status-issued').waitFor();
    expect(await page().getByTestId('invoice-status-failed').textContent()).toBe('Failed');
    expect(await noSideways()).toBe(true);
    await noAxe(page(), 'records phone');
    await screenshot(page(), 'invoice-records-phone-en');
    await page().getByTestId('invoices-tab-auto').click();
    await page().getByTestId('auto-invoice-tab').waitFor();
    await screenshot(page(), 'invoice-auto-phone-en');
    await page().setViewportSize(DESKTOP);
    await setLocale(page(), 'zh-CN');
  });
});

/** An org whose admin's user is also the Billing Admin above (one console sign-in for all), with a paid
 * 1-month cluster, `spare` fen of cash left after it, and an hour of storage usage this month. */
async function billOrg(name: string, spare: number): Promise<Fixture> {
  const fx = await createOrg(e2e.server, { name, projects: ['检索'], timeZone: TZ });
  await addMember(e2e.server, fx.org.id, 'org_billing_admin', [], billingAdmin.email);
  const r = await buyCluster(e2e.server, fx, fx.projects[0]!.id, `${name}-c`);
  await topUp(e2e.server, fx.org.remittanceCode, r.order.amount + spare);
  await payOrder(e2e.server, fx, r.order.id);
  const start = new Date((await serverNow(e2e.server)).getTime() - 2 * 3_600_000);
  await ok(
    asOperator('/v1/internal/usage', {
      events: [
        {
          id: `u-${fx.org.id}`,
          orgId: fx.org.id,
          clusterId: r.cluster.id,
          metric: 'storage',
          quantity: 1_000_000,
          start: start.toISOString(),
          end: new Date(start.getTime() + 3_600_000).toISOString(),
        },
      ],
    }),
    200,
    'usage',
  );
  return fx;
}

const bills = { month: '', paidOrg: {} as Fixture, disputedOrg: {} as Fixture, owingOrg: {} as Fixture };
const billRow = (month: string) => page().locator(`tr[data-row-key="${month}"]`);
const runJobs = () => ok(asOperator('/v1/internal/jobs/run', {}), 200, 'jobs');
// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
const billOf = (fx: Fixture): Promise<any> =>
  ok(asAdmin('GET', `/bills/${bills.month}`, undefined, fx), 200, 'bill');
async function openBills(fx: Fixture): Promise<void> {
  await page().goto(`${e2e.server.url}/orgs/${fx.org.id}/bills`);
  await billRow(bills.month).waitFor();
}

describe('bills: confirmation, dispute, arrears', () => {
  beforeAll(async () => {
    bills.paidOrg = await billOrg('确认账单科技', 1_000_000);
    bills.disputedOrg = await billOrg('质疑账单科技', 1_000_000);
    bills.owingOrg = await billOrg('欠费科技', 100);
    const now = await serverNow(e2e.server);
    bills.month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    // the 1st of the next month, 01:00 UTC (the billing zone): the month is issued, pending confirmation
    const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 1);
    await advanceClock(e2e.server, Math.ceil((next - now.getTime()) / 1000));
    await runJobs();
  });

  test('待确认 with its automatic confirmation, on a phone in English and on the desktop in Chinese', async () => {
    const bill = await billOf(bills.paidOrg);
    expect(bill.status).toBe('pending_confirmation');
    expect(bill.confirmsAt).not.toBeNull();
    await signIn(page(), e2e.server.url, billingAdmin);
    await page().setViewportSize(PHONE);
    await setLocale(page(), 'en-US');
    await openBills(bills.paidOrg);
    expect(await page().getByTestId(`bill-confirms-at-${bills.month}`).textContent()).toBe(
      `Confirms automatically at ${formatInstant(bill.confirmsAt, TZ)}`,
    );
    await noAxe(page(), 'bills phone');
    await screenshot(page(), 'bills-pending-phone-en');
    await page().getByTestId(`bill-confirm-${bills.month}`).click();
    await page().getByTestId('bill-confirm-amount').waitFor();
    await noAxe(page(), 'confirm dialog phone');
    await screenshot(page(), 'bill-confirm-phone-en');
    await page().getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page().getByRole('dialog').waitFor({ state: 'detached' });
    await page().getByTestId(`bill-dispute-${bills.month}`).click();
    await page().getByTestId('bill-dispute-reason').waitFor();
    await noAxe(page(), 'dispute dialog phone');
    await screenshot(page(), 'bill-dispute-phone-en');
    await page().getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page().getByRole('dialog').waitFor({ state: 'detached' });
    expect((await billOf(bills.paidOrg)).status).toBe('pending_confirmation');

    await page().setViewportSize(DESKTOP);
    await setLocale(page(), 'zh-CN');
    await billRow(bills.month).waitFor();
    expect(await billRow(bills.month).getByTestId('bill-status-pending_confirmation').textContent()).toBe(
      '待确认',
    );
    expect(await page().getByTestId(`bill-confirms-at-${bills.month}`).textContent()).toBe(
      `将于 ${formatInstant(bill.confirmsAt, TZ)} 自动确认`,
    );
    await noAxe(page(), 'bills');
    await screenshot(page(), 'bills-pending-desktop-zh');
  });

  test('确认账单 says what it charges and charges it; 质疑账单 takes a reason and charges nothing', async () => {
    const bill = await billOf(bills.paidOrg);
    await page().getByTestId(`bill-confirm-${bills.month}`).click();
    expect(await page().getByTestId('bill-confirm-amount').textContent()).toBe(formatMoney(bill.amountDue));
    expect(await page().getByRole('dialog').textContent()).toContain(
      `确认后将从优惠券和现金余额中扣除应付金额 ${formatMoney(bill.amountDue)}`,
    );
    await noAxe(page(), 'confirm dialog');
    await screenshot(page(), 'bill-confirm-desktop-zh');
    await page().getByTestId('bill-confirm-ok').click();
    await billRow(bills.month).getByTestId('bill-status-paid').waitFor();
    const confirmed = await billOf(bills.paidOrg);
    expect(confirmed).toMatchObject({ status: 'paid', outstandingAmount: 0, paidAmount: bill.amountDue });
    expect(await page().getByTestId(`bill-confirm-${bills.month}`).count()).toBe(0);

    const before = await ok(asAdmin('GET', '/balance', undefined, bills.disputedOrg), 200, 'balance');
    await openBills(bills.disputedOrg);
    await page().getByTestId(`bill-dispute-${bills.month}`).click();
    await page().getByTestId('bill-dispute-ok').click();
    await page().getByRole('dialog').getByText('请填写质疑原因（1 至 500 个字符）').waitFor();
    await page().getByTestId('bill-dispute-reason').fill('存储用量与监控不符');
    await noAxe(page(), 'dispute dialog');
    await screenshot(page(), 'bill-dispute-desktop-zh');
    await page().getByTestId('bill-dispute-ok').click();
    await billRow(bills.month).getByTestId('bill-status-disputed').waitFor();
    expect(await page().getByTestId(`bill-dispute-reason-${bills.month}`).textContent()).toBe(
      '账单质疑中，原因：存储用量与监控不符',
    );
    const disputed = await billOf(bills.disputedOrg);
    expect(disputed).toMatchObject({
      status: 'disputed',
      disputeReason: '存储用量与监控不符',
      paidAmount: 0,
    });
    expect((await ok(asAdmin('GET', '/balance', undefined, bills.disputedOrg), 200, 'balance')).cash).toBe(
      before.cash,
    );
    await screenshot(page(), 'bills-disputed-desktop-zh');

    // the operator resolves it with a credit: its own line, and the bill confirmed
    await ok(
      asOperator(`/v1/internal/orgs/${bills.disputedOrg.org.id}/bills/${bills.month}/resolve`, {
        adjustment: 100,
      }),
      200,
      'resolve',
    );
    await page().reload();
    await billRow(bills.month).getByTestId('bill-status-paid').waitFor();
    await billRow(bills.month).locator('.ant-table-row-expand-icon').click();
    await page().getByTestId(`bill-adjustment-${bills.month}`).waitFor();
    expect(await page().getByTestId(`bill-lines-${bills.month}`).textContent()).toContain(formatMoney(-100));
    await screenshot(page(), 'bills-adjusted-desktop-zh');
  });

  test('arrears: the amount due with 充值, then the frozen org, gone once a top-up pays', async () => {
    const owing = bills.owingOrg;
    await ok(asAdmin('POST', `/bills/${bills.month}/confirm`, {}, owing), 200, 'confirm');
    const bill = await billOf(owing);
    expect(bill.status).toBe('unpaid');
    expect(bill.outstandingAmount).toBeGreaterThan(0);
    await openBills(owing);
    const due = page().getByTestId('arrears-due');
    await due.waitFor();
    expect(await due.textContent()).toContain(formatMoney(bill.outstandingAmount));
    expect(await due.getByTestId('arrears-bills').count()).toBe(1);
    expect(await billRow(bills.month).getByTestId(`bill-topup-${bills.month}`).textContent()).toBe('去充值');
    await noAxe(page(), 'arrears due');
    await screenshot(page(), 'arrears-due-desktop-zh');

    // 14 days after confirmation the bill is overdue and the org frozen
    await advanceClock(e2e.server, 15 * 86_400);
    await runJobs();
    const frozenBalance = await ok(asAdmin('GET', '/balance', undefined, owing), 200, 'balance');
    expect(frozenBalance).toMatchObject({ frozen: true, amountDue: bill.outstandingAmount });
    await signIn(page(), e2e.server.url, billingAdmin);
    await page().goto(`${e2e.server.url}/orgs/${owing.org.id}/balance`);
    const frozen = page().getByTestId('arrears-frozen');
    await frozen.waitFor();
    expect(await frozen.textContent()).toContain(
      `组织有逾期未缴的账单，待支付 ${formatMoney(bill.outstandingAmount)}：新购、升配和续订已暂停`,
    );
    await noAxe(page(), 'arrears frozen');
    await screenshot(page(), 'arrears-frozen-desktop-zh');
    await page().setViewportSize(PHONE);
    await setLocale(page(), 'en-US');
    await frozen.waitFor();
    expect(await frozen.textContent()).toContain('purchases, upgrades and renewals are paused');
    await noAxe(page(), 'arrears frozen phone');
    await screenshot(page(), 'arrears-frozen-phone-en');

    await topUp(e2e.server, owing.org.remittanceCode, bill.outstandingAmount);
    const balanceRead = page().waitForResponse((r) => r.url().endsWith(`/orgs/${owing.org.id}/balance`));
    // on the bills page the banner's is the one balance request
    await page().goto(`${e2e.server.url}/orgs/${owing.org.id}/bills`);
    await balanceRead;
    await billRow(bills.month).getByTestId('bill-status-paid').waitFor();
    expect(await page().getByTestId('arrears-frozen').count()).toBe(0);
    expect(await page().getByTestId('arrears-due').count()).toBe(0);
    expect((await billOf(owing)).status).toBe('paid');
    await screenshot(page(), 'arrears-paid-phone-en');
    await page().setViewportSize(DESKTOP);
    await setLocale(page(), 'zh-CN');
  });
});
