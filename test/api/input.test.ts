import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture, PURCHASE, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';
import { checkInvariants } from '../invariants.js';

/**
 * Bad input gets a 4xx with a stable code and changes nothing; nothing a client sends produces a 5xx.
 * The reliability suite goes further (every endpoint, longer runs); this is the part that runs on both
 * databases in every `npm test`.
 */
let t: TestTally;
let org: OrgFixture;
let orderId: string;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  orderId = (await buyCluster(t, org)).order.id;
  await topUp(t, org, 50_000);
});

async function snapshot() {
  const count = async (
    table: 'orders' | 'clusters' | 'ledger_entries' | 'topups' | 'bank_transfers' | 'coupons',
  ) =>
    Number(
      (
        await t.deps.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const cash = (
    await t.deps.db
      .selectFrom('balances')
      .select('cash')
      .where('org_id', '=', org.id)
      .executeTakeFirstOrThrow()
  ).cash;
  return {
    orders: await count('orders'),
    clusters: await count('clusters'),
    entries: await count('ledger_entries'),
    topups: await count('topups'),
    transfers: await count('bank_transfers'),
    coupons: await count('coupons'),
    cash,
  };
}

describe('validation errors name the field and change nothing', () => {
  const purchase = () => ({ ...PURCHASE, projectId: org.projects[0]!.id, name: 'ok' });
  it.each([
    ['cuSize', { cuSize: 1.5 }],
    ['cuSize', { cuSize: -1 }],
    ['cuSize', { cuSize: '4' }],
    ['cuSize', { cuSize: 1e300 }],
    ['replicas', { replicas: 0 }],
    ['term.unit', { term: { unit: 'week', count: 1 } }],
    ['term.count', { term: { unit: 'month', count: 0 } }],
    ['name', { name: '' }],
    ['name', { name: 'x'.repeat(65) }],
    ['name', { name: 'bad\u0000name' }],
    ['projectId', { projectId: "'; drop table orders; --" }],
    ['region', { region: undefined }],
    ['extra', { extra: 1 }],
  ])('%s: %j', async (field, patch) => {
    const before = await snapshot();
    const body = { ...purchase(), ...patch } as Record<string, unknown>;
    for (const k of Object.keys(patch))
      if ((patch as Record<string, unknown>)[k] === undefined) delete body[k];
    const r = await api(t, 'POST', `/v1/orgs/${org.id}/clusters`, { auth: org.admin.auth, body });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('VALIDATION_FAILED');
    const fields = r.json.error.details.issues.map((i: { field: string }) => i.field).join(' ');
    expect(fields + r.json.error.message).toContain(field === 'extra' ? 'body' : field);
    expect(await snapshot()).toEqual(before);
  });

  it('catalog refusals name the field (an unoffered size, term or region)', async () => {
    for (const [patch, field] of [
      [{ cuSize: 3 }, 'cuSize'],
      [{ term: { unit: 'year', count: 2 } }, 'term'],
      [{ region: 'mars-1' }, 'region'],
    ] as const) {
      const r = await api(t, 'POST', `/v1/orgs/${org.id}/clusters`, {
        auth: org.admin.auth,
        body: { ...purchase(), ...patch },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.details.field).toBe(field);
    }
  });

  it('malformed JSON, wrong content type, oversized bodies and bad query strings are 4xx', async () => {
    const url = `/v1/orgs/${org.id}/clusters`;
    const raw = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...org.admin.auth, 'content-type': 'application/json' },
      payload: '{"cuSize": ',
    });
    expect(raw.statusCode).toBe(400);
    expect(raw.json().error.code).toBe('MALFORMED_JSON');
    const text = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...org.admin.auth, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    const big = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...org.admin.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
    });
    expect(big.statusCode).toBe(413);
    const proto = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...org.admin.auth, 'content-type': 'application/json' },
      payload: '{"__proto__": {"admin": true}}',
    });
    expect(proto.statusCode).toBe(400);
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'status=paid,nope',
      'createdFrom=yesterday',
      'cursor=%%%',
      'cursor=eyJ4IjoxfQ',
      'type=refund',
      'limit=1&limit=2',
      'bogus=1',
    ]) {
      const r = await api(t, 'GET', `/v1/orgs/${org.id}/orders?${q}`, { auth: org.admin.auth });
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('ids that cannot exist are 404, whatever they contain', async () => {
    for (const id of ['x', "ord_1' or '1'='1", '%00', 'a'.repeat(300), '..%2F..%2Fetc', '<script>', '订单']) {
      const r = await api(t, 'GET', `/v1/orgs/${org.id}/orders/${encodeURIComponent(id)}`, {
        auth: org.admin.auth,
      });
      expect(r.status, id).toBe(404);
      const p = await api(t, 'POST', `/v1/orgs/${encodeURIComponent(id)}/orders/${orderId}/pay`, {
        auth: org.admin.auth,
      });
      expect(p.status, id).toBe(404);
    }
  });
});

describe('generated hostile bodies never produce a 5xx or a change', () => {
  const anything = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.record(
      {
        cuSize: fc.anything(),
        replicas: fc.anything(),
        term: fc.anything(),
        name: fc.string(),
        projectId: fc.string(),
      },
      { requiredKeys: [] },
    ),
    fc.record(
      {
        remittanceCode: fc.string(),
        amount: fc.oneof(fc.double(), fc.integer(), fc.bigInt().map(String)),
        currency: fc.string(),
        bankReference: fc.string(),
      },
      { requiredKeys: [] },
    ),
  );
  const endpoints = () => [
    `/v1/orgs/${org.id}/clusters`,
    `/v1/orgs/${org.id}/quotes`,
    `/v1/orgs/${org.id}/orders/${orderId}/pay`,
    `/v1/orgs/${org.id}/orders/${orderId}/cancel`,
    '/v1/internal/bank-transfers',
    `/v1/internal/orgs/${org.id}/coupons`,
    `/v1/internal/orgs/${org.id}/members`,
  ];
  it('over the POST endpoints', async () => {
    const before = await snapshot();
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), anything, async (i, body) => {
        const url = endpoints()[i]!;
        const auth = url.startsWith('/v1/internal') ? t.op : org.admin.auth;
        const payload = JSON.stringify(body === undefined ? null : body);
        const r = await t.app.inject({
          method: 'POST',
          url,
          headers: { ...auth, 'content-type': 'application/json' },
          payload,
        });
        tried++;
        // Only a well-formed pay/cancel of the real order may succeed; generated bodies must not.
        if (r.statusCode < 400)
          expect(url.endsWith('/pay') || url.endsWith('/cancel') || url.endsWith('/quotes')).toBe(true);
        expect(r.statusCode).toBeLessThan(500);
        expect(r.json().error?.code ?? 'ok').toMatch(/^[A-Z_]+$|^ok$/);
      }),
      { numRuns: 300 },
    );
    expect(tried).toBe(300);
    const after = await snapshot();
    // A generated `{}` may legitimately pay or cancel the one unpaid order; everything else is unchanged.
    expect({ ...after, entries: before.entries, cash: before.cash }).toEqual(before);
    expect(await checkInvariants(t.deps.db)).toEqual([]);
  });
});
