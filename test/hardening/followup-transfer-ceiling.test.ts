import { beforeAll, describe, expect, it } from 'vitest';
import { api, createOrg, type OrgFixture } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §11: a credit the system cannot take is refused with a clear code and the transfer held for an
 * operator, never lost. Any exact positive integer of fen is a valid amount; one above the per-transfer
 * ceiling (10^14 fen) is held as `amount_above_limit` and answered 422 AMOUNT_LIMIT_EXCEEDED.
 */
let t: TestTally;
let org: OrgFixture;
const CEILING = 100_000_000_000_000;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const transfer = (amount: unknown, bankReference: string) =>
  api(t, 'POST', '/v1/internal/bank-transfers', {
    auth: t.op,
    body: { remittanceCode: org.remittanceCode, amount, currency: 'CNY', bankReference },
  });
const cash = async () =>
  (await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth })).json.cash;

describe('the per-transfer ceiling', () => {
  it('holds a transfer above the ceiling for an operator, who may assign it', async () => {
    for (const [amount, ref] of [
      [CEILING + 1, 'CEIL-OVER-1'],
      [Number.MAX_SAFE_INTEGER, 'CEIL-OVER-2'],
    ] as const) {
      const r = await transfer(amount, ref);
      expect(r.status, r.body).toBe(422);
      expect(r.json.error.code).toBe('AMOUNT_LIMIT_EXCEEDED');
      expect(r.json.error.details).toMatchObject({ status: 'unmatched', reason: 'amount_above_limit' });
      const again = await transfer(amount, ref);
      expect(again.status).toBe(422);
      expect(again.json.error.code).toBe('AMOUNT_LIMIT_EXCEEDED');
      const rows = await t.deps.db
        .selectFrom('bank_transfers')
        .select(['status', 'reason', 'org_id', 'amount'])
        .where('bank_reference', '=', ref)
        .execute();
      expect(rows).toEqual([
        { status: 'unmatched', reason: 'amount_above_limit', org_id: org.id, amount: expect.anything() },
      ]);
      expect(Number(rows[0]!.amount)).toBe(amount);
    }
    expect(await cash()).toBe(0);
    const listed = await api(t, 'GET', '/v1/internal/bank-transfers/unmatched?limit=100', { auth: t.op });
    expect(listed.json.items.map((x: { bankReference: string }) => x.bankReference)).toEqual(
      expect.arrayContaining(['CEIL-OVER-1', 'CEIL-OVER-2']),
    );

    const assigned = await api(t, 'POST', '/v1/internal/bank-transfers/CEIL-OVER-1/assign', {
      auth: t.op,
      body: { orgId: org.id },
    });
    expect(assigned.status, assigned.body).toBe(201);
    expect(await cash()).toBe(CEILING + 1);
  });

  it('credits a transfer of exactly the ceiling; non-integers, ≤ 0 and unsafe integers stay 400', async () => {
    const o = await createOrg(t);
    const r = await api(t, 'POST', '/v1/internal/bank-transfers', {
      auth: t.op,
      body: {
        remittanceCode: o.remittanceCode,
        amount: CEILING,
        currency: 'CNY',
        bankReference: 'CEIL-EXACT',
      },
    });
    expect(r.status, r.body).toBe(201);
    for (const bad of [0, -1, 0.5, Number.MAX_SAFE_INTEGER + 2, '1']) {
      const b = await transfer(bad, `CEIL-BAD-${String(bad)}`);
      expect(b.status, `${bad}`).toBe(400);
      expect(b.json.error.code).toBe('VALIDATION_FAILED');
    }
  });
});
