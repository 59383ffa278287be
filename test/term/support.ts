import { expect } from 'vitest';
import { api, buyCluster, type Member, type OrgFixture, pay, topUp } from '../factories.js';
import type { TestTally } from '../harness.js';

/** SPEC §8: a day, a month of a term (30 days) and a year of a term (12 months). */
export const DAY = 86_400_000;
export const MONTH_DAYS = 30;
export const YEAR_DAYS = 360;
export const ONE_YEAR = { unit: 'year', count: 1 } as const;
export const ONE_MONTH = { unit: 'month', count: 1 } as const;

export const at = (base: string | Date, ms: number) => new Date(new Date(base).getTime() + ms);
export const iso = (base: string | Date, ms = 0) => at(base, ms).toISOString();

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

export async function getCluster(t: TestTally, org: OrgFixture, clusterId: string, as: Member = org.admin) {
  return expectStatus(
    await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${clusterId}`, { auth: as.auth }),
    200,
  );
}

export async function getOrder(t: TestTally, org: OrgFixture, orderId: string, as: Member = org.admin) {
  return expectStatus(await api(t, 'GET', `/v1/orgs/${org.id}/orders/${orderId}`, { auth: as.auth }), 200);
}

export async function cash(t: TestTally, org: OrgFixture): Promise<number> {
  return expectStatus(await api(t, 'GET', `/v1/orgs/${org.id}/balance`, { auth: org.admin.auth }), 200).cash;
}

/** The ids of the clusters the list answers for `?state=`, as of now. */
export async function listedIn(t: TestTally, org: OrgFixture, state: string): Promise<string[]> {
  const body = expectStatus(
    await api(t, 'GET', `/v1/orgs/${org.id}/clusters?state=${state}&limit=100`, { auth: org.admin.auth }),
    200,
  );
  for (const c of body.items) expect(c.state).toBe(state);
  return body.items.map((c: { id: string }) => c.id);
}

export function renew(
  t: TestTally,
  org: OrgFixture,
  clusterId: string,
  term: object,
  as: Member = org.admin,
) {
  return api(t, 'POST', `/v1/orgs/${org.id}/clusters/${clusterId}/renew`, { auth: as.auth, body: { term } });
}

export function upgrade(
  t: TestTally,
  org: OrgFixture,
  clusterId: string,
  body: object,
  as: Member = org.admin,
) {
  return api(t, 'POST', `/v1/orgs/${org.id}/clusters/${clusterId}/upgrade`, { auth: as.auth, body });
}

export function quote(t: TestTally, org: OrgFixture, body: object) {
  return api(t, 'POST', `/v1/orgs/${org.id}/quotes`, { auth: org.admin.auth, body });
}

export async function setAutoRenew(t: TestTally, org: OrgFixture, enabled: boolean) {
  return expectStatus(
    await api(t, 'PUT', `/v1/orgs/${org.id}/settings/auto-renew`, {
      auth: org.admin.auth,
      body: { enabled },
    }),
    200,
  );
}

export async function attempts(t: TestTally, org: OrgFixture, clusterId: string) {
  const body = expectStatus(
    await api(t, 'GET', `/v1/orgs/${org.id}/clusters/${clusterId}/renewal-attempts?limit=100`, {
      auth: org.admin.auth,
    }),
    200,
  );
  // newest first on the wire; oldest first here
  return [...body.items].reverse();
}

/** Pays an order that the balance covers exactly (a top-up of its amount first); answers the payment. */
export async function topUpAndPay(t: TestTally, org: OrgFixture, order: { id: string; amount: number }) {
  await topUp(t, org, order.amount);
  return expectStatus(await pay(t, org.id, order.id, org.admin), 200);
}

/**
 * A paid, provisioned subscription cluster of the shape given (default: the factories' 1 CU × 1 replica × 1
 * month), its term starting at the payment: answers the cluster as read then, the payment instant and the
 * new-purchase order. The cash balance is back where it was.
 */
export async function subscribed(t: TestTally, org: OrgFixture, overrides: Record<string, unknown> = {}) {
  const { cluster, order } = await buyCluster(t, org, org.admin, overrides);
  const paidAt = t.clock.now();
  await topUpAndPay(t, org, order);
  await t.jobs.runAllOnce();
  t.clock.advance(t.config.provisionSeconds * 1000);
  await t.jobs.runAllOnce();
  const c = await getCluster(t, org, cluster.id);
  expect(['running', 'expiring']).toContain(c.state);
  expect(c.termEndsAt).not.toBeNull();
  return { cluster: c, paidAt, order };
}

/** The `cluster.state_changed` events of one cluster, oldest first: {from, to}. */
export async function stateChanges(t: TestTally, clusterId: string): Promise<{ from: string; to: string }[]> {
  const rows = await t.deps.db
    .selectFrom('outbox_events')
    .select(['payload', 'id'])
    .where('type', '=', 'cluster.state_changed')
    .where('aggregate_id', '=', clusterId)
    .orderBy('id')
    .execute();
  return rows.map((r) => {
    const p = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as {
      from: string;
      to: string;
    };
    return { from: p.from, to: p.to };
  });
}

/** The cluster's state as last persisted (what reads do not wait for). */
export async function storedState(t: TestTally, clusterId: string): Promise<string> {
  const row = await t.deps.db
    .selectFrom('clusters')
    .select('state')
    .where('id', '=', clusterId)
    .executeTakeFirstOrThrow();
  return row.state;
}

/** The order's status as last persisted. */
export async function storedStatus(t: TestTally, orderId: string): Promise<string> {
  const row = await t.deps.db
    .selectFrom('orders')
    .select('status')
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  return row.status;
}
