import { beforeAll, describe, expect, it } from 'vitest';
import { TRANSITIONS } from '../../server/src/orders/order-states.js';
import { addMember, api, buyCluster, createOrg, type Member, type OrgFixture, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * The order state machine, exhaustively: every action in every status, by every kind of caller. An order is
 * made fresh for each cell, brought to the status under test through the API, then acted on.
 */
let t: TestTally;
let org: OrgFixture;
let foreign: OrgFixture;
const who: Record<string, Member> = {};

const STATUSES = [
  'unpaid',
  'paid',
  'cancelled',
  'timed_out (swept)',
  'timed_out (deadline passed, not swept)',
] as const;
type Status = (typeof STATUSES)[number];
const ACTIONS = ['pay', 'cancel', 'read'] as const;
const ROLES = [
  'orgAdmin',
  'projectAdmin',
  'billingAdmin',
  'projectViewer',
  'otherProjectAdmin',
  'orgMember',
  'foreignAdmin',
] as const;

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  foreign = await createOrg(t);
  const [p1, p2] = org.projects;
  who.orgAdmin = org.admin;
  who.projectAdmin = await addMember(t, org.id, 'org_member', [{ projectId: p1!.id, role: 'project_admin' }]);
  who.billingAdmin = await addMember(t, org.id, 'org_billing_admin');
  who.projectViewer = await addMember(t, org.id, 'org_member', [
    { projectId: p1!.id, role: 'project_viewer' },
  ]);
  who.otherProjectAdmin = await addMember(t, org.id, 'org_member', [
    { projectId: p2!.id, role: 'project_admin' },
  ]);
  who.orgMember = await addMember(t, org.id, 'org_member');
  who.foreignAdmin = foreign.admin;
});

async function orderIn(status: Status) {
  const { order } = await buyCluster(t, org);
  const url = `/v1/orgs/${org.id}/orders/${order.id}`;
  if (status === 'paid') {
    await topUp(t, org, order.amount);
    expect((await api(t, 'POST', `${url}/pay`, { auth: org.admin.auth })).status).toBe(200);
  } else if (status === 'cancelled') {
    expect((await api(t, 'POST', `${url}/cancel`, { auth: org.admin.auth })).status).toBe(200);
  } else if (status.startsWith('timed_out')) {
    t.clock.set(order.expiresAt);
    if (status === 'timed_out (swept)') await t.jobs.runAllOnce();
  }
  // Enough money for a pay to succeed when it is allowed, so that only the rules decide.
  await topUp(t, org, order.amount);
  return { order, url };
}

function expected(role: (typeof ROLES)[number], action: (typeof ACTIONS)[number], status: Status) {
  if (role === 'foreignAdmin' || role === 'orgMember' || role === 'otherProjectAdmin')
    return { status: 404, code: 'NOT_FOUND' };
  if (role === 'billingAdmin' || role === 'projectViewer') return { status: 403, code: 'FORBIDDEN' };
  const current = status.startsWith('timed_out') ? 'timed_out' : status;
  if (action === 'read') return { status: 200, shows: current };
  const event = action === 'pay' ? 'pay' : 'cancel';
  const to = TRANSITIONS[current as keyof typeof TRANSITIONS][event];
  if (to) return { status: 200, shows: to };
  return {
    status: 409,
    code: action === 'pay' ? 'ORDER_NOT_PAYABLE' : 'ORDER_NOT_CANCELLABLE',
    detailsStatus: current,
  };
}

describe.each(STATUSES)('an order that is %s', (status) => {
  describe.each(ACTIONS)('%s', (action) => {
    it.each(ROLES)('by %s', async (role) => {
      const { order, url } = await orderIn(status);
      const before = await api(t, 'GET', url, { auth: org.admin.auth });
      const r =
        action === 'read'
          ? await api(t, 'GET', url, { auth: who[role]!.auth })
          : await api(t, 'POST', `${url}/${action}`, { auth: who[role]!.auth });
      const want = expected(role, action, status);
      expect(r.status).toBe(want.status);
      if (want.code) expect(r.json.error.code).toBe(want.code);
      if (want.detailsStatus) expect(r.json.error.details.status).toBe(want.detailsStatus);
      const after = await api(t, 'GET', url, { auth: org.admin.auth });
      if (want.shows) {
        const body = action === 'read' ? r.json : r.json.order;
        expect(body.status).toBe(want.shows);
        expect(after.json.status).toBe(want.shows);
      } else {
        // A refused action changes nothing.
        expect(after.json).toEqual(before.json);
        expect(JSON.stringify(r.json)).not.toContain(order.clusterId);
      }
    });
  });
});

describe('the state table itself', () => {
  it('has exactly the transitions of SPEC §2 and every other status is final', () => {
    expect(TRANSITIONS).toEqual({
      unpaid: { pay: 'paid', cancel: 'cancelled', time_out: 'timed_out' },
      paid: {},
      cancelled: {},
      timed_out: {},
    });
  });
});
