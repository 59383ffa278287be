import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bankImport } from '../../server/src/cli/bank-import.js';
import type { CliContext } from '../../server/src/cli/context.js';
import { silentProgress } from '../../server/src/cli/progress.js';
import { api, buyCluster, createOrg, type OrgFixture, pay } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * SPEC §4 and §11: a transfer is credited once per bank reference, compared trimmed and case-insensitively;
 * a credit that would take a balance past the representable range is refused with a stable code and the
 * transfer held for an operator, never lost and never a 500.
 */
let t: TestTally;

beforeAll(async () => {
  t = await startTestTally();
});

const transfer = (org: OrgFixture, amount: number, bankReference: string) =>
  api(t, 'POST', '/v1/internal/bank-transfers', {
    auth: t.op,
    body: { remittanceCode: org.remittanceCode, amount, currency: 'CNY', bankReference },
  });

async function cash(org: OrgFixture): Promise<number> {
  const r = await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth });
  expect(r.status, r.body).toBe(200);
  return r.json.cash;
}

async function unmatched() {
  const r = await api(t, 'GET', '/v1/internal/bank-transfers/unmatched', { auth: t.op });
  expect(r.status, r.body).toBe(200);
  return r.json.items as { bankReference: string; reason: string; amount: number }[];
}

describe('bank references', () => {
  it('REF-X, ref-x and " ref-x " are one transfer: credited once', async () => {
    const org = await createOrg(t);
    const ref = `REF-X-${org.id}`;
    const first = await transfer(org, 10_000, ref);
    expect(first.status, first.body).toBe(201);
    for (const variant of [ref.toLowerCase(), ` ${ref.toLowerCase()} `, `Ref-X-${org.id}`]) {
      const again = await transfer(org, 10_000, variant);
      expect(again.status, again.body).toBe(200);
      expect(again.json.id).toBe(first.json.id);
      expect(again.json.bankReference).toBe(ref);
    }
    expect(await cash(org)).toBe(10_000);
  });

  it('a case variant with another amount is a conflict, and credits nothing', async () => {
    const org = await createOrg(t);
    const ref = `Conflict-${org.id}`;
    expect((await transfer(org, 5_000, ref)).status).toBe(201);
    const other = await transfer(org, 6_000, ref.toUpperCase());
    expect(other.status, other.body).toBe(409);
    expect(other.json.error.code).toBe('BANK_REFERENCE_CONFLICT');
    expect(await cash(org)).toBe(5_000);
  });
});

describe('balance limit', () => {
  const MAX_MONEY = 100_000_000_000_000; // the most one transfer may carry (contract)
  let org: OrgFixture;
  let headroom: number;

  beforeAll(async () => {
    org = await createOrg(t);
    // 90 transfers of ¥1,000,000,000,000.00 bring the balance to 9.0e15 fen, 7.2e12 below 2^53.
    for (let i = 0; i < 90; i++)
      expect((await transfer(org, MAX_MONEY, `FILL-${org.id}-${i}`)).status).toBe(201);
    headroom = Number.MAX_SAFE_INTEGER - (await cash(org));
    expect(headroom).toBeGreaterThan(0);
  });

  it('holds a transfer that would pass the limit: 422 BALANCE_LIMIT_EXCEEDED, listed, the same answer again', async () => {
    const before = await cash(org);
    const ref = `OVER-${org.id}`;
    const amount = headroom + 50_000;
    const r = await transfer(org, amount, ref);
    expect(r.status, r.body).toBe(422);
    expect(r.json.error.code).toBe('BALANCE_LIMIT_EXCEEDED');
    expect(r.json.error.details).toMatchObject({ bankReference: ref, reason: 'balance_limit_exceeded' });
    expect(await cash(org)).toBe(before);
    expect(await unmatched()).toContainEqual(
      expect.objectContaining({ bankReference: ref, reason: 'balance_limit_exceeded', amount }),
    );

    const again = await transfer(org, amount, ref.toLowerCase());
    expect(again.status, again.body).toBe(422);
    expect(again.json.error.code).toBe('BALANCE_LIMIT_EXCEEDED');
    expect(await cash(org)).toBe(before);

    // While the balance still cannot take it, the operator's assignment is refused and the transfer stays held.
    const early = await api(t, 'POST', `/v1/internal/bank-transfers/${ref}/assign`, {
      auth: t.op,
      body: { orgId: org.id },
    });
    expect(early.status, early.body).toBe(422);
    expect(early.json.error.code).toBe('BALANCE_LIMIT_EXCEEDED');
    expect((await unmatched()).map((u) => u.bankReference)).toContain(ref);

    // Once the org has spent enough (an order of ¥900.00), the operator credits it.
    const { order } = await buyCluster(t, org);
    expect((await pay(t, org.id, order.id, org.admin)).status).toBe(200);
    const assigned = await api(t, 'POST', `/v1/internal/bank-transfers/${ref}/assign`, {
      auth: t.op,
      body: { orgId: org.id },
    });
    expect(assigned.status, assigned.body).toBe(201);
    expect(await cash(org)).toBe(before - order.amount + amount);
    expect((await unmatched()).map((u) => u.bankReference)).not.toContain(ref);
  });

  it('tally bank-import counts such a row as held', async () => {
    const ctx: CliContext = {
      config: t.config,
      database: { db: t.deps.db, engine: t.deps.engine, close: async () => {} },
      catalog: t.deps.catalog,
      now: () => t.clock.now(),
    };
    const file = join(mkdtempSync(join(tmpdir(), 'tally-h1-')), 'statement.csv');
    writeFileSync(
      file,
      'bank_reference,remittance_code,amount_fen\r\n' +
        `CSV-OVER-${org.id},${org.remittanceCode},${MAX_MONEY}\r\n` +
        `CSV-FINE-${org.id},${org.remittanceCode},1\r\n`,
    );
    const s = await bankImport(ctx, file, silentProgress);
    expect(s).toMatchObject({ rows: 2, credited: 1, held: 1, unmatched: 0, conflict: 0, invalid: 0 });
    expect((await unmatched()).map((u) => u.bankReference)).toContain(`CSV-OVER-${org.id}`);
  });
});
