import { beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg, type OrgFixture, PURCHASE, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

let t: TestTally;
let org: OrgFixture;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
});

const balance = async () =>
  (await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth })).json.cash;

describe('Idempotency-Key on every POST', () => {
  it('a replayed pay returns the first answer byte for byte and charges once', async () => {
    const { order } = await buyCluster(t, org);
    await topUp(t, org, order.amount * 3);
    const headers = { 'idempotency-key': 'pay-once-1' };
    const first = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/pay`, {
      auth: org.admin.auth,
      headers,
    });
    expect(first.status).toBe(200);
    const cashAfterFirst = await balance();
    t.clock.advance(3_600_000);
    const replay = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/pay`, {
      auth: org.admin.auth,
      headers,
    });
    expect(replay.status).toBe(200);
    expect(replay.body).toBe(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await balance()).toBe(cashAfterFirst);
    // Without the key, a second pay is refused by the state machine instead.
    const plain = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/pay`, { auth: org.admin.auth });
    expect(plain.json.error.code).toBe('ORDER_NOT_PAYABLE');
  });

  it('a replayed cluster purchase creates one cluster and one order', async () => {
    const body = { ...PURCHASE, projectId: org.projects[0]!.id, name: 'idem-cluster' };
    const headers = { 'idempotency-key': 'buy-1' };
    const a = await api(t, 'POST', `/v1/orgs/${org.id}/clusters`, { auth: org.admin.auth, body, headers });
    const b = await api(t, 'POST', `/v1/orgs/${org.id}/clusters`, { auth: org.admin.auth, body, headers });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toBe(a.body);
    const list = await api(t, 'GET', `/v1/orgs/${org.id}/orders?q=idem-cluster`, { auth: org.admin.auth });
    expect(list.json.items).toHaveLength(1);
  });

  it('the same key with another body is IDEMPOTENCY_KEY_REUSED and does nothing', async () => {
    const headers = { 'idempotency-key': 'buy-2' };
    const body = { ...PURCHASE, projectId: org.projects[0]!.id, name: 'reuse-a' };
    expect(
      (await api(t, 'POST', `/v1/orgs/${org.id}/clusters`, { auth: org.admin.auth, body, headers })).status,
    ).toBe(201);
    const other = await api(t, 'POST', `/v1/orgs/${org.id}/clusters`, {
      auth: org.admin.auth,
      body: { ...body, name: 'reuse-b' },
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const list = await api(t, 'GET', `/v1/orgs/${org.id}/orders?q=reuse-b`, { auth: org.admin.auth });
    expect(list.json.items).toHaveLength(0);
  });

  it('an error answer is replayed too, even after the cause went away', async () => {
    const { order } = await buyCluster(t, org);
    const poor = await createOrg(t);
    const p = await buyCluster(t, poor);
    const headers = { 'idempotency-key': 'pay-poor' };
    const first = await api(t, 'POST', `/v1/orgs/${poor.id}/orders/${p.order.id}/pay`, {
      auth: poor.admin.auth,
      headers,
    });
    expect(first.status).toBe(402);
    await topUp(t, poor, p.order.amount);
    const replay = await api(t, 'POST', `/v1/orgs/${poor.id}/orders/${p.order.id}/pay`, {
      auth: poor.admin.auth,
      headers,
    });
    expect(replay.status).toBe(402);
    expect(replay.body).toBe(first.body);
    // A new key is a new request: now it pays.
    const fresh = await api(t, 'POST', `/v1/orgs/${poor.id}/orders/${p.order.id}/pay`, {
      auth: poor.admin.auth,
      headers: { 'idempotency-key': 'pay-poor-2' },
    });
    expect(fresh.status).toBe(200);
    void order;
  });

  it('keys are scoped to the caller: another member using the same key is a new request', async () => {
    const { order } = await buyCluster(t, org);
    const { addMember } = await import('../factories.js');
    const second = await addMember(t, org.id, 'org_admin');
    const headers = { 'idempotency-key': 'shared-key' };
    const a = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, {
      auth: org.admin.auth,
      headers,
    });
    const b = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, {
      auth: second.auth,
      headers,
    });
    expect(a.status).toBe(200);
    expect(b.status).toBe(409);
  });

  it('a key expires after 8 days', async () => {
    const { order } = await buyCluster(t, org);
    const headers = { 'idempotency-key': 'old-key' };
    const a = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${order.id}/cancel`, {
      auth: org.admin.auth,
      headers,
    });
    expect(a.status).toBe(200);
    t.clock.advance(8 * 86_400_000 + 1);
    const { order: o2 } = await buyCluster(t, org);
    const b = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${o2.id}/cancel`, {
      auth: org.admin.auth,
      headers,
    });
    expect(b.status).toBe(200);
    expect(b.json.order.id).toBe(o2.id);
  });

  it('refuses a malformed key', async () => {
    const r = await api(t, 'POST', `/v1/orgs/${org.id}/quotes`, {
      auth: org.admin.auth,
      headers: { 'idempotency-key': 'x'.repeat(300) },
      body: { type: 'new_purchase', ...PURCHASE },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('VALIDATION_FAILED');
  });

  it('the internal API honours keys too (a bank transfer reported with a key)', async () => {
    const body = {
      remittanceCode: org.remittanceCode,
      amount: 500,
      currency: 'CNY',
      bankReference: 'idem-ref-1',
    };
    const before = await balance();
    const a = await api(t, 'POST', '/v1/internal/bank-transfers', {
      auth: t.op,
      body,
      headers: { 'idempotency-key': 'bt-1' },
    });
    const b = await api(t, 'POST', '/v1/internal/bank-transfers', {
      auth: t.op,
      body,
      headers: { 'idempotency-key': 'bt-1' },
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toBe(a.body);
    expect(await balance()).toBe(before + 500);
  });
});
