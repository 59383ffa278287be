import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { sumCashEntries } from '../../server/src/ledger/ledger.repository.js';
import { api, buyCluster, createOrg, type OrgFixture, pay, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const transfer = (body: Record<string, unknown>) =>
  api(t, 'POST', '/v1/internal/bank-transfers', { auth: t.op, body });

describe('bank-transfer top-ups (现金充值（对公转账）)', () => {
  it('shows the remittance account: the platform account followed by the org’s 9-digit code', async () => {
    const r = await api(t, 'GET', `/v1/orgs/${org.id}/remittance-account`, { auth: org.admin.auth });
    expect(r.json.remittanceCode).toMatch(/^[1-9]\d{8}$/);
    expect(r.json.remittanceCode).toBe(org.remittanceCode);
    expect(r.json.accountNumber).toBe(`${t.config.bank.accountPrefix}${org.remittanceCode}`);
    expect(r.json.bankName).toBeTruthy();
  });

  it('credits once per bank reference: 201 first, 200 with the same top-up after', async () => {
    const body = {
      remittanceCode: org.remittanceCode,
      amount: 250_000,
      currency: 'CNY',
      bankReference: 'CMB-0001',
    };
    const first = await transfer(body);
    expect(first.status).toBe(201);
    const again = await transfer(body);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(250_000);
    const topups = await api(t, 'GET', `/v1/orgs/${org.id}/topups`, { auth: org.admin.auth });
    expect(topups.json.items).toHaveLength(1);
    const ledger = await api(t, 'GET', `/v1/orgs/${org.id}/ledger`, { auth: org.admin.auth });
    expect(ledger.json.items).toEqual([
      expect.objectContaining({ kind: 'topup', direction: 'credit', amount: 250_000, reference: 'CMB-0001' }),
    ]);
  });

  it('the same reference with other details is a conflict and changes nothing', async () => {
    const r = await transfer({
      remittanceCode: org.remittanceCode,
      amount: 1,
      currency: 'CNY',
      bankReference: 'CMB-0001',
    });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('BANK_REFERENCE_CONFLICT');
    const bal = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
    expect(bal.json.cash).toBe(250_000);
  });

  it('an unknown code is kept as unmatched for an operator, not lost, and credits nobody', async () => {
    const code = org.remittanceCode === '999999999' ? '999999998' : '999999999';
    const body = { remittanceCode: code, amount: 77_700, currency: 'CNY', bankReference: 'CMB-LOST-1' };
    const r = await transfer(body);
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({
      code: 'REMITTANCE_CODE_UNKNOWN',
      details: { status: 'unmatched', bankReference: 'CMB-LOST-1' },
    });
    expect((await transfer(body)).status).toBe(422);
    const unmatched = await api(t, 'GET', '/v1/internal/bank-transfers/unmatched', { auth: t.op });
    expect(unmatched.json.items).toEqual([
      expect.objectContaining({ bankReference: 'CMB-LOST-1', amount: 77_700, reportCount: 2 }),
    ]);
  });

  it('an operator assigns an unmatched transfer to its org: credited once', async () => {
    const o = await createOrg(t);
    const body = {
      remittanceCode: '100000001',
      amount: 88_800,
      currency: 'CNY',
      bankReference: 'CMB-TYPO-1',
    };
    const code = o.remittanceCode === body.remittanceCode ? '100000002' : body.remittanceCode;
    expect((await transfer({ ...body, remittanceCode: code })).status).toBe(422);
    const url = '/v1/internal/bank-transfers/CMB-TYPO-1/assign';
    const first = await api(t, 'POST', url, { auth: t.op, body: { orgId: o.id } });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ orgId: o.id, amount: 88_800, bankReference: 'CMB-TYPO-1' });
    const again = await api(t, 'POST', url, { auth: t.op, body: { orgId: o.id } });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    const elsewhere = await api(t, 'POST', url, { auth: t.op, body: { orgId: org.id } });
    expect(elsewhere.json.error.code).toBe('BANK_REFERENCE_CONFLICT');
    const bal = await api(t, 'GET', `/v1/orgs/${o.id}/balance`, { auth: o.admin.auth });
    expect(bal.json.cash).toBe(88_800);
    const unmatched = await api(t, 'GET', '/v1/internal/bank-transfers/unmatched', { auth: t.op });
    expect(unmatched.json.items.map((x: { bankReference: string }) => x.bankReference)).not.toContain(
      'CMB-TYPO-1',
    );
    const missing = await api(t, 'POST', '/v1/internal/bank-transfers/NOPE/assign', {
      auth: t.op,
      body: { orgId: o.id },
    });
    expect(missing.status).toBe(404);
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('a transfer in another currency is kept unmatched too', async () => {
    const r = await transfer({
      remittanceCode: org.remittanceCode,
      amount: 100,
      currency: 'USD',
      bankReference: 'CMB-USD-1',
    });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('CURRENCY_MISMATCH');
  });

  it('refuses floats, zero, negatives and absurd amounts', async () => {
    for (const amount of [1.5, 0, -100, 1e20, '100', null]) {
      const r = await transfer({
        remittanceCode: org.remittanceCode,
        amount,
        currency: 'CNY',
        bankReference: `bad-${String(amount)}`,
      });
      expect(r.status, String(amount)).toBe(400);
      expect(r.json.error.details.issues[0].field).toBe('amount');
    }
  });
});

describe('the cash ledger', () => {
  it('balance = sum of entries; every payment is one debit of the amount; entries are append-only', async () => {
    const o = await createOrg(t);
    await topUp(t, o, 1_000_000);
    const { order } = await buyCluster(t, o);
    expect((await pay(t, o.id, order.id, o.admin)).status).toBe(200);
    const bal = await api(t, 'GET', `/v1/orgs/${o.id}/balance`, { auth: o.admin.auth });
    expect(bal.json.cash).toBe(1_000_000 - order.amount);
    expect(await sumCashEntries(t.deps.db, o.id)).toBe(bal.json.cash);
    const ledger = await api(t, 'GET', `/v1/orgs/${o.id}/ledger`, { auth: o.admin.auth });
    expect(ledger.json.items[0]).toMatchObject({
      kind: 'order_payment',
      direction: 'debit',
      amount: -order.amount,
      orderId: order.id,
    });
    await expect(
      sql`update ledger_entries set amount = 1 where org_id = ${o.id}`.execute(t.deps.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_entries where org_id = ${o.id}`.execute(t.deps.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(
      sql`update balances set cash = -1 where org_id = ${o.id}`.execute(t.deps.db),
    ).rejects.toThrow(/check/i);
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });

  it('coupons show in the balance but can never pay an order', async () => {
    const o = await createOrg(t);
    const grant = await api(t, 'POST', `/v1/internal/orgs/${o.id}/coupons`, {
      auth: t.op,
      body: { amount: 1_000_000, expiresAt: '2027-06-01T00:00:00Z' },
    });
    expect(grant.status).toBe(201);
    const bal = await api(t, 'GET', `/v1/orgs/${o.id}/balance`, { auth: o.admin.auth });
    expect(bal.json).toEqual({ currency: 'CNY', cash: 0, coupons: 1_000_000, amountDue: 0, frozen: false });
    const { order } = await buyCluster(t, o);
    const withCoupon = await api(t, 'POST', `/v1/orgs/${o.id}/orders/${order.id}/pay`, {
      auth: o.admin.auth,
      body: { couponId: grant.json.id },
    });
    expect(withCoupon.status).toBe(422);
    expect(withCoupon.json.error.code).toBe('COUPON_NOT_APPLICABLE');
    const plain = await pay(t, o.id, order.id, o.admin);
    expect(plain.status).toBe(402);
    expect(plain.json.error.details).toMatchObject({ balance: 0, shortfall: order.amount });
    const coupons = await api(t, 'GET', `/v1/orgs/${o.id}/coupons`, { auth: o.admin.auth });
    expect(coupons.json.items[0]).toMatchObject({
      remaining: 1_000_000,
      appliesTo: 'pay_as_you_go',
      status: 'active',
    });
  });

  it('an uncertified org cannot buy (ORG_NOT_CERTIFIED) and nothing is created', async () => {
    const o = await createOrg(t, { certified: false });
    const r = await api(t, 'POST', `/v1/orgs/${o.id}/clusters`, {
      auth: o.admin.auth,
      body: {
        projectId: o.projects[0]!.id,
        name: 'x',
        region: 'aliyun-cn-hangzhou',
        cuType: 'performance',
        cuSize: 1,
        replicas: 1,
        term: { unit: 'month', count: 1 },
      },
    });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('ORG_NOT_CERTIFIED');
    const clusters = await api(t, 'GET', `/v1/orgs/${o.id}/clusters`, { auth: o.admin.auth });
    expect(clusters.json.items).toEqual([]);
    await api(t, 'POST', `/v1/internal/orgs/${o.id}/certification`, {
      auth: t.op,
      body: { certified: true },
    });
    await buyCluster(t, o);
  });
});
