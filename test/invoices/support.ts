import { expect } from 'vitest';
import {
  api,
  buyCluster,
  createOrg,
  type Member,
  type OrgFixture,
  pay,
  runningCluster,
  topUp,
} from '../factories.js';
import type { TestTally } from '../harness.js';

/** The answer's body when its status is the one expected, else a failure that shows the body. */
export function expectStatus(r: Awaited<ReturnType<typeof api>>, status: number) {
  expect(r.status, r.body).toBe(status);
  return r.json;
}

export function expectError(r: Awaited<ReturnType<typeof api>>, status: number, code: string) {
  expect(r.status, r.body).toBe(status);
  expect(r.json.error.code, r.body).toBe(code);
  return r.json.error;
}

/** A small PDF: what matters to the server is the %PDF- signature and the size. */
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

export const ENTERPRISE = {
  kind: 'enterprise',
  title: '杭州某某科技有限公司',
  taxId: '91330100MA2XXXXX1K',
  address: '杭州市西湖区文三路 1 号',
  phone: '0571-88888888',
  bank: '招商银行杭州分行',
  bankAccount: '5719 0000 0000 001',
} as const;

export async function certify(t: TestTally, orgId: string, body: Record<string, unknown>) {
  return api(t, 'POST', `/v1/internal/orgs/${orgId}/certification`, {
    auth: t.op,
    body: { certified: true, ...body },
  });
}

/** An org with a paid 1-month cluster (its order paid now); `data` is its certification data, if any. */
export async function orgWithPaidOrder(t: TestTally, data?: Record<string, unknown>) {
  const org = await createOrg(t);
  if (data) expectStatus(await certify(t, org.id, data), 200);
  const cluster = await runningCluster(t, org);
  const orders = expectStatus(
    await api(t, 'GET', `/v1/orgs/${org.id}/orders?clusterId=${cluster.id}`, { auth: org.admin.auth }),
    200,
  );
  return { org, clusterId: cluster.id as string, order: orders.items[0] as { id: string; amount: number } };
}

/** 1,000,000 GB of storage for 10 h 30 min (4,587 fen) and of backup for 1 h (3,000 fen): 7,587 fen. */
export const USAGE_AMOUNT = 7_587;
export async function recordUsage(t: TestTally, org: OrgFixture, clusterId: string, day: string) {
  const r = await api(t, 'POST', '/v1/internal/usage', {
    auth: t.op,
    body: {
      events: [
        {
          id: `s-${org.id}-${day}`,
          orgId: org.id,
          clusterId,
          metric: 'storage',
          quantity: 1_000_000,
          start: `${day}T00:00:00Z`,
          end: `${day}T10:30:00Z`,
        },
        {
          id: `b-${org.id}-${day}`,
          orgId: org.id,
          clusterId,
          metric: 'backup',
          quantity: 1_000_000,
          start: `${day}T11:00:00Z`,
          end: `${day}T12:00:00Z`,
        },
      ],
    },
  });
  expect(r.json, r.body).toMatchObject({ accepted: 2 });
}

export async function grantCoupon(t: TestTally, org: OrgFixture, amount: number) {
  return expectStatus(
    await api(t, 'POST', `/v1/internal/orgs/${org.id}/coupons`, {
      auth: t.op,
      body: { amount, expiresAt: '2027-06-01T00:00:00Z' },
    }),
    201,
  );
}

export async function paidOrder(t: TestTally, org: OrgFixture) {
  const { order } = await buyCluster(t, org);
  await topUp(t, org, order.amount);
  expectStatus(await pay(t, org.id, order.id, org.admin), 200);
  return order as { id: string; amount: number };
}

export async function invoiceable(t: TestTally, org: OrgFixture, as: Member = org.admin, query = '') {
  return expectStatus(await api(t, 'GET', `/v1/orgs/${org.id}/invoiceable${query}`, { auth: as.auth }), 200);
}

export function requestInvoice(t: TestTally, org: OrgFixture, body: object, as: Member = org.admin) {
  return api(t, 'POST', `/v1/orgs/${org.id}/invoices`, { auth: as.auth, body });
}

export async function bill(t: TestTally, org: OrgFixture, month: string) {
  return expectStatus(
    await api(t, 'GET', `/v1/orgs/${org.id}/bills/${month}`, { auth: org.admin.auth }),
    200,
  );
}
