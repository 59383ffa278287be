import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY } from '../../server/src/access/policy.js';
import { routes } from '../../server/src/routes.js';
import {
  addRoleMembers,
  api,
  buyCluster,
  createOrg,
  type Member,
  type OrgFixture,
  runningCluster,
  topUp,
} from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * Every endpoint × every role × own and foreign org → the expected status, from the table below (SPEC §1):
 * another org's data, or a project the caller has no role in, is 404; a visible resource whose action the
 * role lacks is 403. No answer to a caller may carry another org's ids.
 */
const ROLES = [
  'orgAdmin',
  'billingAdmin',
  'orgMember',
  'p1Admin',
  'p1Editor',
  'p1Viewer',
  'foreignAdmin',
] as const;
type Role = (typeof ROLES)[number];

let t: TestTally;
let org: OrgFixture;
let other: OrgFixture;
const who = {} as Record<Role, Member>;
const ids = {} as Record<string, string>;

/** A webhook receiver on this machine: the app runs with webhookAllowPrivate. */
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200).end());
});
let hookUrl = '';
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

const ok = (r: Awaited<ReturnType<typeof api>>, status: number, what: string) => {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.body}`);
  return r.json;
};

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  t = await startTestTally({ config: { webhookAllowPrivate: true } });
  org = await createOrg(t);
  other = await createOrg(t);
  const [p1, p2] = org.projects;
  who.orgAdmin = org.admin;
  Object.assign(
    who,
    await addRoleMembers(t, org, ['billingAdmin', 'orgMember', 'p1Admin', 'p1Editor', 'p1Viewer']),
  );
  who.foreignAdmin = other.admin;
  // The buyer on the org's invoices (SPEC §10.4).
  ok(
    await api(t, 'POST', `/v1/internal/orgs/${org.id}/certification`, {
      auth: t.op,
      body: {
        certified: true,
        kind: 'enterprise',
        title: '杭州授权科技有限公司',
        taxId: '91330100MA2AUTHZ1K',
      },
    }),
    200,
    'certify',
  );
  // A webhook told of top-ups, one per role to delete, and one in the foreign org; the jobs that the first
  // running cluster runs deliver the top-up to it and tell both orgs' admins (站内信).
  const hook = ok(
    await api(t, 'POST', `/v1/orgs/${org.id}/webhooks`, {
      auth: org.admin.auth,
      body: { url: hookUrl, events: ['topup.credited'] },
    }),
    201,
    'webhook',
  );
  for (const role of ROLES) {
    const w = ok(
      await api(t, 'POST', `/v1/orgs/${org.id}/webhooks`, {
        auth: org.admin.auth,
        body: { url: `${hookUrl}/${role}`, events: ['order.paid'] },
      }),
      201,
      'webhook to delete',
    );
    deletable[role] = w.id;
  }
  const foreignHook = ok(
    await api(t, 'POST', `/v1/orgs/${other.id}/webhooks`, {
      auth: other.admin.auth,
      body: { url: hookUrl, events: ['topup.credited'] },
    }),
    201,
    'foreign webhook',
  );
  await topUp(t, other, 1);
  // One top-up, so one delivery, per role to redeliver (the first cluster's top-up makes one more).
  for (const _ of ROLES) await topUp(t, org, 1);
  const c1 = await runningCluster(t, org);
  const deliveries = ok(
    await api(t, 'GET', `/v1/orgs/${org.id}/webhooks/${hook.id}/deliveries`, { auth: org.admin.auth }),
    200,
    'deliveries',
  );
  if (deliveries.items.length !== ROLES.length + 1)
    throw new Error(`webhook deliveries: ${JSON.stringify(deliveries.items)}`);
  for (const [i, role] of ROLES.entries()) redeliverable[role] = deliveries.items[i].id;
  const inboxOf = async (m: Member) =>
    ok(await api(t, 'GET', '/v1/me/notifications?limit=100', { auth: m.auth }), 200, 'inbox').items as {
      id: string;
      readAt: string | null;
    }[];
  const [ownMessage] = await inboxOf(org.admin);
  const [foreignMessage] = await inboxOf(other.admin);
  if (!ownMessage || !foreignMessage) throw new Error('no 站内信 to read');
  Object.assign(ids, {
    hook: hook.id,
    delivery: deliveries.items[0].id,
    foreignHook: foreignHook.id,
    message: ownMessage.id,
    foreignMessage: foreignMessage.id,
  });
  // The first cluster's order, invoiced and issued: an invoice with its document to read.
  const [c1Order] = ok(
    await api(t, 'GET', `/v1/orgs/${org.id}/orders?clusterId=${c1.id}`, { auth: org.admin.auth }),
    200,
    'orders',
  ).items;
  const invoice = ok(
    await api(t, 'POST', `/v1/orgs/${org.id}/invoices`, {
      auth: org.admin.auth,
      body: { items: [{ kind: 'order', id: c1Order.id }], type: 'special', emails: ['finance@example.com'] },
    }),
    201,
    'invoice',
  );
  ok(
    await api(t, 'POST', `/v1/internal/invoices/${invoice.id}/issue`, {
      auth: t.op,
      body: {
        number: 'AUTHZ-0001',
        issuedAt: invoice.requestedAt,
        pdfBase64: Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64'),
      },
    }),
    200,
    'issue invoice',
  );
  ids.invoice = invoice.id;
  const { cluster: c2, order: o2 } = await buyCluster(t, org, org.admin, { projectId: p2!.id });
  const { order: o1 } = await buyCluster(t, org);
  const { order: cancelled } = await buyCluster(t, org);
  await api(t, 'POST', `/v1/orgs/${org.id}/orders/${cancelled.id}/cancel`, { auth: org.admin.auth });
  Object.assign(ids, {
    org: org.id,
    p1: p1!.id,
    p2: p2!.id,
    c1: c1.id,
    c2: c2.id,
    o1: o1.id,
    o2: o2.id,
    cancelled: cancelled.id,
  });
  // The foreign org has its own data, which must never show up in org's answers and vice versa.
  const f = await buyCluster(t, other);
  Object.assign(ids, { foreignOrder: f.order.id, foreignCluster: f.cluster.id });
  // One unpaid order per role and project to pay, and the money for all of them: an allowed payment
  // succeeds, so a wrongly allowed one would succeed too and show as 200 (not as a 402 that hides it).
  let due = 0;
  for (const [project, orders] of [
    [p1!, payable.p1],
    [p2!, payable.p2],
  ] as const) {
    for (const role of ROLES) {
      const { order } = await buyCluster(t, org, org.admin, { projectId: project.id });
      orders[role] = order.id;
      due += order.amount;
    }
  }
  await topUp(t, org, due);
  // One paid cluster per role and project to renew: an allowed renewal makes a real order, so each role
  // renews its own cluster (a second renewal of one cluster would be CLUSTER_ORDER_PENDING).
  const toPay: { id: string; amount: number }[] = [];
  for (const [project, clusters] of [
    [p1!, renewable.p1],
    [p2!, renewable.p2],
  ] as const) {
    for (const role of ROLES) {
      const { cluster, order } = await buyCluster(t, org, org.admin, { projectId: project.id });
      clusters[role] = cluster.id;
      toPay.push(order);
      // Paid below: the order each role asks an invoice for.
      if (project === p1) invoiceable[role] = order.id;
      else if (role === 'orgAdmin') ids.spareOrder = order.id;
    }
  }
  // Orders each role pays together (合并支付): two of the first project, or one of each project.
  let mergedDue = 0;
  for (const role of ROLES) {
    const ids: string[][] = [];
    for (const project of [p1!, p1!, p1!, p2!]) {
      const { order } = await buyCluster(t, org, org.admin, { projectId: project.id });
      ids.push([order.id]);
      mergedDue += order.amount;
    }
    const [a, b, c, d] = ids.flat();
    mergeable.p1[role] = [a!, b!];
    mergeable.mixed[role] = [c!, d!];
  }
  await topUp(
    t,
    org,
    toPay.reduce((sum, o) => sum + o.amount, mergedDue),
  );
  for (const o of toPay) {
    const r = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${o.id}/pay`, { auth: org.admin.auth });
    if (r.status !== 200) throw new Error(`pay ${o.id}: ${r.status} ${r.body}`);
  }
  // An invoice left requested, for the operator's routes that users are refused; a mail to retry.
  ids.openInvoice = ok(
    await api(t, 'POST', `/v1/orgs/${org.id}/invoices`, {
      auth: org.admin.auth,
      body: {
        items: [{ kind: 'order', id: ids.spareOrder }],
        type: 'normal',
        emails: ['finance@example.com'],
      },
    }),
    201,
    'open invoice',
  ).id;
  const mails = ok(await api(t, 'GET', '/v1/internal/mail', { auth: t.op }), 200, 'mail').items;
  if (mails.length === 0) throw new Error('no mail');
  ids.mail = mails[0].id;
});

/** The unpaid orders each role tries to pay, by project. */
const payable = { p1: {} as Record<Role, string>, p2: {} as Record<Role, string> };
/** The paid clusters each role tries to renew, by project. */
const renewable = { p1: {} as Record<Role, string>, p2: {} as Record<Role, string> };
/** The webhooks each role tries to delete. */
const deletable = {} as Record<Role, string>;
/** The webhook deliveries each role tries to redeliver. */
const redeliverable = {} as Record<Role, string>;
/** The paid orders each role asks an invoice for. */
const invoiceable = {} as Record<Role, string>;
/** The unpaid orders each role tries to pay together: both of the first project, or one of each. */
const mergeable = { p1: {} as Record<Role, string[]>, mixed: {} as Record<Role, string[]> };

type Expect = Record<Role, number>;
const all = (n: number): Expect => Object.fromEntries(ROLES.map((r) => [r, n])) as Expect;
const row = (
  orgAdmin: number,
  billingAdmin: number,
  orgMember: number,
  p1Admin: number,
  p1Editor: number,
  p1Viewer: number,
  foreignAdmin = 404,
): Expect => ({
  orgAdmin,
  billingAdmin,
  orgMember,
  p1Admin,
  p1Editor,
  p1Viewer,
  foreignAdmin,
});

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: (role?: Role) => string;
  body?: (role: Role) => unknown | Promise<unknown>;
  expect: Expect;
  /**
   * A write: what it would change, read before and after the call. A refused call leaves it as it was
   * (authorization comes before any write); an allowed one changes it as `written` says.
   */
  write?: {
    read: (role: Role) => Promise<unknown>;
    written: (before: unknown, after: unknown, answer: unknown, role: Role) => void;
  };
}

const O = () => `/v1/orgs/${ids.org}`;
// Allowed callers of a state-changing endpoint get a business refusal (so the table can be replayed
// against the same data): cancelling a cancelled order, a no-op upgrade. Payments and renewals are real:
// each role pays its own order of a funded org and renews its own paid cluster, so that a wrongly allowed
// call succeeds and fails its row; the auto-renew switch is asked to change on every call.
const CASES: Case[] = [
  { name: 'GET /me', method: 'GET', url: () => '/v1/me', expect: all(200) },
  { name: 'GET /catalog', method: 'GET', url: () => '/v1/catalog', expect: all(200) },
  {
    name: 'POST quotes (new purchase)',
    method: 'POST',
    url: () => `${O()}/quotes`,
    body: () => ({
      type: 'new_purchase',
      region: 'aliyun-cn-hangzhou',
      cuType: 'performance',
      cuSize: 1,
      replicas: 1,
      term: { unit: 'month', count: 1 },
    }),
    expect: row(200, 403, 403, 200, 403, 403),
  },
  {
    name: 'POST quotes (upgrade, p1)',
    method: 'POST',
    url: () => `${O()}/quotes`,
    body: () => ({ type: 'upgrade', clusterId: ids.c1, cuSize: 2 }),
    expect: row(200, 403, 404, 200, 403, 403),
  },
  {
    name: 'POST clusters (p1, uncertified body)',
    method: 'POST',
    url: () => `${O()}/clusters`,
    body: () => ({
      projectId: ids.p1,
      name: 'x',
      region: 'aliyun-cn-hangzhou',
      cuType: 'performance',
      cuSize: 3,
      replicas: 1,
      term: { unit: 'month', count: 1 },
    }),
    // cuSize 3 is not offered: allowed callers get the validation error after authorization.
    expect: row(400, 403, 404, 400, 403, 403),
  },
  {
    name: 'POST clusters (p2)',
    method: 'POST',
    url: () => `${O()}/clusters`,
    body: () => ({
      projectId: ids.p2,
      name: 'x',
      region: 'aliyun-cn-hangzhou',
      cuType: 'performance',
      cuSize: 3,
      replicas: 1,
      term: { unit: 'month', count: 1 },
    }),
    expect: row(400, 403, 404, 404, 404, 404),
  },
  {
    name: 'GET clusters',
    method: 'GET',
    url: () => `${O()}/clusters`,
    expect: row(200, 403, 403, 200, 200, 200),
  },
  {
    name: 'GET cluster (p1)',
    method: 'GET',
    url: () => `${O()}/clusters/${ids.c1}`,
    expect: row(200, 403, 404, 200, 200, 200),
  },
  {
    name: 'GET cluster (p2)',
    method: 'GET',
    url: () => `${O()}/clusters/${ids.c2}`,
    expect: row(200, 403, 404, 404, 404, 404),
  },
  {
    name: 'GET foreign cluster via own org',
    method: 'GET',
    url: () => `${O()}/clusters/${ids.foreignCluster}`,
    expect: row(404, 404, 404, 404, 404, 404),
  },
  {
    name: 'POST upgrade (p1, no-op)',
    method: 'POST',
    url: () => `${O()}/clusters/${ids.c1}/upgrade`,
    body: () => ({ cuSize: 1 }),
    expect: row(422, 403, 404, 422, 403, 403),
  },
  {
    name: 'POST quotes (renewal, p1)',
    method: 'POST',
    url: () => `${O()}/quotes`,
    body: () => ({ type: 'renewal', clusterId: ids.c1, term: { unit: 'month', count: 1 } }),
    expect: row(200, 403, 404, 200, 403, 403),
  },
  {
    name: 'POST quotes (renewal, p2)',
    method: 'POST',
    url: () => `${O()}/quotes`,
    body: () => ({ type: 'renewal', clusterId: ids.c2, term: { unit: 'year', count: 1 } }),
    // c2 is unpaid: allowed callers learn it is not renewable, after authorization.
    expect: row(409, 403, 404, 404, 404, 404),
  },
  {
    name: 'POST renew (p1)',
    method: 'POST',
    url: (role = 'orgAdmin') => `${O()}/clusters/${renewable.p1[role]}/renew`,
    body: () => ({ term: { unit: 'month', count: 1 } }),
    expect: row(201, 403, 404, 201, 403, 403),
    write: { read: (role) => pendingOrderOf(renewable.p1[role]), written: renewed },
  },
  {
    name: 'POST renew (p2)',
    method: 'POST',
    url: (role = 'orgAdmin') => `${O()}/clusters/${renewable.p2[role]}/renew`,
    body: () => ({ term: { unit: 'year', count: 1 } }),
    expect: row(201, 403, 404, 404, 404, 404),
    write: { read: (role) => pendingOrderOf(renewable.p2[role]), written: renewed },
  },
  {
    name: 'GET renewal-attempts (p1)',
    method: 'GET',
    url: () => `${O()}/clusters/${ids.c1}/renewal-attempts`,
    expect: row(200, 403, 404, 200, 403, 403),
  },
  {
    name: 'GET renewal-attempts (p2)',
    method: 'GET',
    url: () => `${O()}/clusters/${ids.c2}/renewal-attempts`,
    expect: row(200, 403, 404, 404, 404, 404),
  },
  {
    name: 'GET renewal-attempts of a foreign cluster via own org',
    method: 'GET',
    url: () => `${O()}/clusters/${ids.foreignCluster}/renewal-attempts`,
    expect: row(404, 404, 404, 404, 404, 404),
  },
  {
    name: 'GET settings/auto-renew',
    method: 'GET',
    url: () => `${O()}/settings/auto-renew`,
    expect: row(200, 200, 403, 200, 403, 403),
  },
  {
    // Each caller asks for the opposite of the present setting, so an allowed call really changes it.
    name: 'PUT settings/auto-renew (a change)',
    method: 'PUT',
    url: () => `${O()}/settings/auto-renew`,
    body: async () => ({ enabled: !(await autoRenewSetting()).enabled }),
    expect: row(200, 403, 403, 403, 403, 403),
    write: {
      read: () => autoRenewSetting(),
      written: (before, after, answer, role) => {
        expect(after).toEqual(answer);
        expect(after).toMatchObject({
          enabled: !(before as { enabled: boolean }).enabled,
          updatedBy: who[role].id,
        });
      },
    },
  },
  {
    name: 'GET orders',
    method: 'GET',
    url: () => `${O()}/orders`,
    expect: row(200, 403, 403, 200, 403, 403),
  },
  // Editors and viewers may list orders nowhere: 403 before any project is looked at.
  {
    name: 'GET orders?projectId=p2',
    method: 'GET',
    url: () => `${O()}/orders?projectId=${ids.p2}`,
    expect: row(200, 403, 403, 404, 403, 403),
  },
  {
    name: 'GET orders/count',
    method: 'GET',
    url: () => `${O()}/orders/count`,
    expect: row(200, 403, 403, 200, 403, 403),
  },
  {
    name: 'GET orders/count?projectId=p2',
    method: 'GET',
    url: () => `${O()}/orders/count?projectId=${ids.p2}`,
    expect: row(200, 403, 403, 404, 403, 403),
  },
  {
    name: 'GET orders?offset',
    method: 'GET',
    url: () => `${O()}/orders?offset=1&limit=1`,
    expect: row(200, 403, 403, 200, 403, 403),
  },
  {
    name: 'GET projects',
    method: 'GET',
    url: () => `${O()}/projects`,
    expect: row(200, 200, 200, 200, 200, 200),
  },
  {
    name: 'GET order (p1)',
    method: 'GET',
    url: () => `${O()}/orders/${ids.o1}`,
    expect: row(200, 403, 404, 200, 403, 403),
  },
  {
    name: 'GET order (p2)',
    method: 'GET',
    url: () => `${O()}/orders/${ids.o2}`,
    expect: row(200, 403, 404, 404, 404, 404),
  },
  {
    name: 'GET foreign order via own org',
    method: 'GET',
    url: () => `${O()}/orders/${ids.foreignOrder}`,
    expect: row(404, 404, 404, 404, 404, 404),
  },
  {
    name: 'POST pay (p1)',
    method: 'POST',
    url: (role = 'orgAdmin') => `${O()}/orders/${payable.p1[role]}/pay`,
    expect: row(200, 403, 404, 200, 403, 403),
  },
  {
    name: 'POST pay (p2)',
    method: 'POST',
    url: (role = 'orgAdmin') => `${O()}/orders/${payable.p2[role]}/pay`,
    expect: row(200, 403, 404, 404, 404, 404),
  },
  {
    name: 'POST orders/pay (two of p1)',
    method: 'POST',
    url: () => `${O()}/orders/pay`,
    body: (role) => ({ orderIds: mergeable.p1[role] }),
    expect: row(200, 403, 404, 200, 403, 403),
    write: { read: (role) => paymentState(mergeable.p1[role]), written: paidTogether },
  },
  {
    // Every order is authorized: a project admin cannot pay another project's order by bundling it.
    name: 'POST orders/pay (one of p1, one of p2)',
    method: 'POST',
    url: () => `${O()}/orders/pay`,
    body: (role) => ({ orderIds: mergeable.mixed[role] }),
    expect: row(200, 403, 404, 404, 403, 403),
    write: { read: (role) => paymentState(mergeable.mixed[role]), written: paidTogether },
  },
  {
    name: 'POST pay with a coupon',
    method: 'POST',
    url: () => `${O()}/orders/${ids.o1}/pay`,
    body: () => ({ couponId: 'cpn_x' }),
    expect: row(422, 403, 404, 422, 403, 403),
  },
  {
    name: 'POST cancel (cancelled, p1)',
    method: 'POST',
    url: () => `${O()}/orders/${ids.cancelled}/cancel`,
    expect: row(409, 403, 404, 409, 403, 403),
  },
  {
    name: 'GET order document (p1)',
    method: 'GET',
    url: () => `${O()}/orders/${ids.o1}/document`,
    expect: row(200, 403, 404, 200, 403, 403),
  },
  {
    name: 'GET order document (p2)',
    method: 'GET',
    url: () => `${O()}/orders/${ids.o2}/document`,
    expect: row(200, 403, 404, 404, 404, 404),
  },
  {
    name: 'GET orders export',
    method: 'GET',
    url: () => `${O()}/orders/export?format=csv`,
    expect: row(200, 403, 403, 200, 403, 403),
  },
  { name: 'GET bills', method: 'GET', url: () => `${O()}/bills`, expect: row(200, 200, 403, 403, 403, 403) },
  {
    name: 'GET bill (open month)',
    method: 'GET',
    url: () => `${O()}/bills/2026-11`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET bill document',
    method: 'GET',
    url: () => `${O()}/bills/2026-11/document`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET bill export',
    method: 'GET',
    url: () => `${O()}/bills/2026-11/export?format=xlsx`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  // SPEC §10.2: the month is open (not issued): allowed callers get the business refusal, and nothing changes.
  {
    name: 'POST bill confirm (open month)',
    method: 'POST',
    url: () => `${O()}/bills/2026-11/confirm`,
    expect: row(409, 409, 403, 403, 403, 403),
    write: { read: () => billOf('2026-11'), written: unchanged },
  },
  {
    name: 'POST bill dispute (open month)',
    method: 'POST',
    url: () => `${O()}/bills/2026-11/dispute`,
    body: () => ({ reason: 'not mine' }),
    expect: row(409, 409, 403, 403, 403, 403),
    write: { read: () => billOf('2026-11'), written: unchanged },
  },
  {
    name: 'POST internal bill resolve',
    method: 'POST',
    url: () => `/v1/internal/orgs/${ids.org}/bills/2026-11/resolve`,
    body: () => ({ adjustment: 0 }),
    expect: all(403),
    write: { read: () => billOf('2026-11'), written: unreachable },
  },
  {
    name: 'GET balance',
    method: 'GET',
    url: () => `${O()}/balance`,
    expect: row(200, 200, 403, 200, 403, 403),
  },
  {
    name: 'GET remittance-account',
    method: 'GET',
    url: () => `${O()}/remittance-account`,
    expect: row(200, 200, 403, 200, 403, 403),
  },
  {
    name: 'GET ledger',
    method: 'GET',
    url: () => `${O()}/ledger`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET ledger export',
    method: 'GET',
    url: () => `${O()}/ledger/export?format=csv&kind=topup`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET topups',
    method: 'GET',
    url: () => `${O()}/topups`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET coupons',
    method: 'GET',
    url: () => `${O()}/coupons`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'POST internal orgs',
    method: 'POST',
    url: () => '/v1/internal/orgs',
    body: () => ({ name: 'x' }),
    expect: all(403),
  },
  {
    name: 'POST internal bank-transfers',
    method: 'POST',
    url: () => '/v1/internal/bank-transfers',
    body: () => ({ remittanceCode: '123456789', amount: 1, currency: 'CNY', bankReference: 'x' }),
    expect: all(403),
  },
  {
    name: 'GET api-keys (own)',
    method: 'GET',
    url: () => `${O()}/api-keys`,
    expect: row(200, 200, 200, 200, 200, 200),
  },
  {
    name: 'POST api-keys',
    method: 'POST',
    url: () => `${O()}/api-keys`,
    body: () => ({ name: 'authorization table' }),
    expect: row(201, 201, 201, 201, 201, 201),
  },
  {
    // Only one's own keys can be revoked: an id that is not the caller's is not found.
    name: 'POST api-keys/{id}/revoke (not the caller’s)',
    method: 'POST',
    url: () => `${O()}/api-keys/key_0000000000NOTAKEY00000000/revoke`,
    body: () => ({}),
    expect: all(404),
  },
  {
    name: 'POST internal members',
    method: 'POST',
    url: () => `/v1/internal/orgs/${ids.org}/members`,
    body: () => ({ email: 'a@b.cn', orgRole: 'org_admin' }),
    expect: all(403),
  },
  {
    name: 'POST internal usage',
    method: 'POST',
    url: () => '/v1/internal/usage',
    body: () => ({ events: [] }),
    expect: all(403),
  },
  {
    name: 'POST internal coupons',
    method: 'POST',
    url: () => `/v1/internal/orgs/${ids.org}/coupons`,
    body: () => ({ amount: 1, expiresAt: '2030-01-01T00:00:00Z' }),
    expect: all(403),
  },
  // ——— The operator's routes of notifications, webhooks and invoices: no user may call them ———
  {
    name: 'POST internal certification',
    method: 'POST',
    url: () => `/v1/internal/orgs/${ids.org}/certification`,
    body: () => ({ certified: false }),
    expect: all(403),
    write: { read: () => certifiedOf(ids.org!), written: unreachable },
  },
  { name: 'GET internal mail', method: 'GET', url: () => '/v1/internal/mail', expect: all(403) },
  {
    name: 'POST internal mail/{id}/retry',
    method: 'POST',
    url: () => `/v1/internal/mail/${ids.mail}/retry`,
    expect: all(403),
  },
  {
    name: 'GET internal webhook-deliveries',
    method: 'GET',
    url: () => '/v1/internal/webhook-deliveries',
    expect: all(403),
  },
  {
    name: 'POST internal webhook-deliveries/{id}/retry',
    method: 'POST',
    url: () => `/v1/internal/webhook-deliveries/${ids.delivery}/retry`,
    expect: all(403),
  },
  { name: 'GET internal invoices', method: 'GET', url: () => '/v1/internal/invoices', expect: all(403) },
  {
    name: 'POST internal invoices/{id}/issue',
    method: 'POST',
    url: () => `/v1/internal/invoices/${ids.openInvoice}/issue`,
    body: () => ({
      number: 'AUTHZ-9999',
      issuedAt: '2026-11-02T09:00:00Z',
      pdfBase64: Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64'),
    }),
    expect: all(403),
    write: { read: () => invoiceStatus(ids.openInvoice!), written: unreachable },
  },
  {
    name: 'POST internal invoices/{id}/fail',
    method: 'POST',
    url: () => `/v1/internal/invoices/${ids.openInvoice}/fail`,
    body: () => ({ reason: 'refused' }),
    expect: all(403),
    write: { read: () => invoiceStatus(ids.openInvoice!), written: unreachable },
  },
  // ——— Notifications (SPEC §9): /v1/me is the caller's own; the low-balance threshold follows the table ———
  {
    name: 'GET /me/notifications',
    method: 'GET',
    url: () => '/v1/me/notifications',
    expect: all(200),
  },
  {
    name: 'GET /me/notifications/unread-count',
    method: 'GET',
    url: () => '/v1/me/notifications/unread-count',
    expect: all(200),
  },
  {
    // Only one's own message can be marked read: another user's is not found.
    name: 'POST /me/notifications/{id}/read (the org admin’s message)',
    method: 'POST',
    url: () => `/v1/me/notifications/${ids.message}/read`,
    expect: row(200, 404, 404, 404, 404, 404, 404),
    write: {
      read: () => readAtOf(org.admin, ids.message!),
      written: (before, after, answer) => {
        expect(before).toBeNull();
        expect(after).not.toBeNull();
        expect(after).toBe((answer as { readAt: string }).readAt);
      },
    },
  },
  {
    name: 'POST /me/notifications/{id}/read (the foreign admin’s message)',
    method: 'POST',
    url: () => `/v1/me/notifications/${ids.foreignMessage}/read`,
    expect: row(404, 404, 404, 404, 404, 404, 200),
    write: {
      read: () => readAtOf(other.admin, ids.foreignMessage!),
      written: (before, after, answer) => {
        expect(before).toBeNull();
        expect(after).toBe((answer as { readAt: string }).readAt);
      },
    },
  },
  {
    name: 'POST /me/notifications/read-all',
    method: 'POST',
    url: () => '/v1/me/notifications/read-all',
    expect: all(200),
    write: {
      read: (role) => unreadCount(who[role]),
      written: (before, after, answer) => {
        expect(answer).toEqual({ count: before });
        expect(after).toBe(0);
      },
    },
  },
  {
    name: 'GET /me/notification-settings',
    method: 'GET',
    url: () => '/v1/me/notification-settings',
    expect: all(200),
  },
  {
    name: 'PUT /me/notification-settings',
    method: 'PUT',
    url: () => '/v1/me/notification-settings',
    body: () => ({ muted: ['order_created', 'topup_credited'] }),
    expect: all(200),
    write: {
      read: (role) => own(who[role], '/v1/me/notification-settings'),
      written: (before, after, answer) => {
        expect((before as { muted: string[] }).muted).toEqual([]);
        expect(after).toEqual(answer);
        expect((after as { muted: string[] }).muted).toEqual(['order_created', 'topup_credited']);
      },
    },
  },
  { name: 'GET /me/settings', method: 'GET', url: () => '/v1/me/settings', expect: all(200) },
  {
    name: 'PUT /me/settings',
    method: 'PUT',
    url: () => '/v1/me/settings',
    body: () => ({ locale: 'en' }),
    expect: all(200),
    write: {
      read: (role) => own(who[role], '/v1/me/settings'),
      written: (before, after, answer) => {
        expect(before).toEqual({ locale: 'zh-CN' });
        expect(after).toEqual({ locale: 'en' });
        expect(answer).toEqual(after);
      },
    },
  },
  {
    name: 'GET settings/low-balance',
    method: 'GET',
    url: () => `${O()}/settings/low-balance`,
    expect: row(200, 200, 403, 200, 403, 403),
  },
  {
    // Each caller asks for a threshold of their own, so an allowed call really changes it.
    name: 'PUT settings/low-balance (a change)',
    method: 'PUT',
    url: () => `${O()}/settings/low-balance`,
    body: (role) => ({ threshold: thresholdOf(role) }),
    expect: row(200, 200, 403, 403, 403, 403),
    write: {
      read: () => own(org.admin, `${O()}/settings/low-balance`),
      written: (before, after, answer, role) => {
        expect(before).not.toEqual(after);
        expect(after).toEqual({ threshold: thresholdOf(role), currency: 'CNY' });
        expect(answer).toEqual(after);
      },
    },
  },
  // ——— Webhooks (SPEC §9): Org Admin only ———
  {
    name: 'GET webhooks',
    method: 'GET',
    url: () => `${O()}/webhooks`,
    expect: row(200, 403, 403, 403, 403, 403),
  },
  {
    name: 'POST webhooks',
    method: 'POST',
    url: () => `${O()}/webhooks`,
    body: (role) => ({ url: `${hookUrl}/new-${role}`, events: ['order.paid'] }),
    expect: row(201, 403, 403, 403, 403, 403),
    write: {
      read: () => webhookIds(),
      written: (before, after, answer) => {
        expect([...(after as string[])].sort()).toEqual(
          [(answer as { id: string }).id, ...(before as string[])].sort(),
        );
      },
    },
  },
  {
    name: 'DELETE webhooks/{id}',
    method: 'DELETE',
    url: (role = 'orgAdmin') => `${O()}/webhooks/${deletable[role]}`,
    expect: row(200, 403, 403, 403, 403, 403),
    write: {
      read: () => webhookIds(),
      written: (before, after, answer, role) => {
        expect(answer).toEqual({ id: deletable[role], deleted: true });
        expect(before).toContain(deletable[role]);
        expect(after).toEqual((before as string[]).filter((id) => id !== deletable[role]));
      },
    },
  },
  {
    name: 'POST webhooks/{id}/rotate-secret',
    method: 'POST',
    url: () => `${O()}/webhooks/${ids.hook}/rotate-secret`,
    expect: row(200, 403, 403, 403, 403, 403),
    write: {
      read: async () => (await webhook(ids.hook!)).secretRotatedAt,
      written: (before, after, answer) => {
        expect(before).toBeNull();
        expect(after).not.toBeNull();
        expect(answer).toMatchObject({ id: ids.hook, secretRotatedAt: after });
      },
    },
  },
  {
    name: 'GET webhooks/{id}/deliveries',
    method: 'GET',
    url: () => `${O()}/webhooks/${ids.hook}/deliveries`,
    expect: row(200, 403, 403, 403, 403, 403),
  },
  {
    name: 'GET deliveries of a foreign webhook via own org',
    method: 'GET',
    url: () => `${O()}/webhooks/${ids.foreignHook}/deliveries`,
    expect: row(404, 403, 403, 403, 403, 403),
  },
  {
    name: 'POST webhooks/{id}/deliveries/{id}/redeliver',
    method: 'POST',
    url: (role = 'orgAdmin') => `${O()}/webhooks/${ids.hook}/deliveries/${redeliverable[role]}/redeliver`,
    expect: row(200, 403, 403, 403, 403, 403),
    // The allowed call makes its delivery pending and due now (the webhook job, kicked, may send it at once).
    write: {
      read: (role) => delivery(redeliverable[role]),
      written: (before, after, answer, role) => {
        const b = before as { status: string; attempts: unknown[] };
        expect(b.status).toBe('succeeded');
        expect(answer).toMatchObject({ id: redeliverable[role], status: 'pending', attempts: b.attempts });
        expect((after as { attempts: unknown[] }).attempts.length).toBeGreaterThanOrEqual(b.attempts.length);
      },
    },
  },
  // ——— Invoices (SPEC §10.4): Org Admin and Org Billing Admin ———
  {
    name: 'GET invoiceable',
    method: 'GET',
    url: () => `${O()}/invoiceable`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET invoices',
    method: 'GET',
    url: () => `${O()}/invoices`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    // Each caller asks an invoice for a paid order of its own, so an allowed request is real.
    name: 'POST invoices',
    method: 'POST',
    url: () => `${O()}/invoices`,
    body: (role) => ({
      items: [{ kind: 'order', id: invoiceable[role] }],
      type: 'special',
      emails: ['finance@example.com'],
    }),
    expect: row(201, 201, 403, 403, 403, 403),
    write: {
      read: (role) => invoiceState(invoiceable[role]),
      written: (before, after, answer, role) => {
        const b = before as Awaited<ReturnType<typeof invoiceState>>;
        const inv = answer as { id: string; status: string; items: { id: string }[] };
        expect(b.invoiceable).toBe(true);
        expect(inv.status).toBe('requested');
        expect(inv.items.map((i) => i.id)).toEqual([invoiceable[role]]);
        // One more invoice, the new one (requested at the same instant as others: compared as a set).
        const a = after as typeof b;
        expect(a.invoiceable).toBe(false);
        expect([...a.invoices].sort()).toEqual([inv.id, ...b.invoices].sort());
      },
    },
  },
  {
    name: 'GET invoice',
    method: 'GET',
    url: () => `${O()}/invoices/${ids.invoice}`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET invoice document',
    method: 'GET',
    url: () => `${O()}/invoices/${ids.invoice}/document`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    name: 'GET settings/auto-invoice',
    method: 'GET',
    url: () => `${O()}/settings/auto-invoice`,
    expect: row(200, 200, 403, 403, 403, 403),
  },
  {
    // Each caller asks for the opposite of the present setting, so an allowed call really changes it.
    name: 'PUT settings/auto-invoice (a change)',
    method: 'PUT',
    url: () => `${O()}/settings/auto-invoice`,
    body: async () => ({
      enabled: !((await own(org.admin, `${O()}/settings/auto-invoice`)) as { enabled: boolean }).enabled,
      emails: ['finance@example.com'],
    }),
    expect: row(200, 200, 403, 403, 403, 403),
    write: {
      read: () => own(org.admin, `${O()}/settings/auto-invoice`),
      written: (before, after, answer, role) => {
        expect(after).toEqual(answer);
        expect(after).toMatchObject({
          enabled: !(before as { enabled: boolean }).enabled,
          emails: ['finance@example.com'],
          updatedBy: who[role].id,
        });
      },
    },
  },
];

/** For rows every role is refused: an allowed call is a failure of its own. */
const billOf = async (month: string) =>
  (await api(t, 'GET', `/v1/orgs/${ids.org}/bills/${month}`, { auth: org.admin.auth })).json;
/** A business refusal after authorization: what the call would change is as it was. */
function unchanged(before: unknown, after: unknown): void {
  expect(after).toEqual(before);
}
function unreachable(): never {
  throw new Error('a user was allowed an operator’s write');
}
const certifiedOf = async (orgId: string) =>
  (await api(t, 'GET', '/v1/me', { auth: org.admin.auth })).json.orgs.find(
    (o: { id: string }) => o.id === orgId,
  );
const invoiceStatus = async (id: string) =>
  ((await own(org.admin, `${O()}/invoices/${id}`)) as { status: string }).status;
/** A GET of the member's own, answered 200. */
const own = async (m: Member, url: string): Promise<unknown> => {
  const r = await api(t, 'GET', url, { auth: m.auth });
  expect(r.status, r.body).toBe(200);
  return r.json;
};
const unreadCount = async (m: Member) =>
  ((await own(m, '/v1/me/notifications/unread-count')) as { count: number }).count;
const readAtOf = async (m: Member, id: string) => {
  const { items } = (await own(m, '/v1/me/notifications?limit=100')) as {
    items: { id: string; readAt: string | null }[];
  };
  const n = items.find((x) => x.id === id);
  if (!n) throw new Error(`message ${id} is not in the inbox`);
  return n.readAt;
};
const thresholdOf = (role: Role) => 20_000 + ROLES.indexOf(role) * 100;
const webhookIds = async () =>
  ((await own(org.admin, `${O()}/webhooks?limit=100`)) as { items: { id: string }[] }).items.map((w) => w.id);
const webhook = async (id: string) => {
  const { items } = (await own(org.admin, `${O()}/webhooks?limit=100`)) as {
    items: { id: string; secretRotatedAt: string | null }[];
  };
  const w = items.find((x) => x.id === id);
  if (!w) throw new Error(`webhook ${id} is not listed`);
  return w;
};
const delivery = async (id: string) => {
  const { items } = (await own(org.admin, `${O()}/webhooks/${ids.hook}/deliveries?limit=100`)) as {
    items: { id: string; status: string; attempts: unknown[] }[];
  };
  const d = items.find((x) => x.id === id);
  if (!d) throw new Error(`delivery ${id} is not listed`);
  return d;
};
/** Whether an order is still invoiceable, and the org's invoices, newest first. */
const invoiceState = async (orderId: string) => ({
  invoiceable: (
    (await own(org.admin, `${O()}/invoiceable?limit=100`)) as { items: { id: string }[] }
  ).items.some((x) => x.id === orderId),
  invoices: ((await own(org.admin, `${O()}/invoices?limit=100`)) as { items: { id: string }[] }).items.map(
    (x) => x.id,
  ),
});

const cash = async (): Promise<number> =>
  (await api(t, 'GET', `${O()}/balance`, { auth: org.admin.auth })).json.cash;

const pendingOrderOf = async (clusterId: string) =>
  (await api(t, 'GET', `${O()}/clusters/${clusterId}`, { auth: org.admin.auth })).json.pendingOrder;
const autoRenewSetting = async () =>
  (await api(t, 'GET', `${O()}/settings/auto-renew`, { auth: org.admin.auth })).json;
/** The cash balance and the statuses of some orders, as the org admin reads them. */
const paymentState = async (orderIds: string[]) => ({
  cash: await cash(),
  statuses: await Promise.all(
    orderIds.map(
      async (id) => (await api(t, 'GET', `${O()}/orders/${id}`, { auth: org.admin.auth })).json.status,
    ),
  ),
});
/** A merged payment made: every order paid, the cash down by their total. */
function paidTogether(before: unknown, after: unknown, answer: unknown) {
  const b = before as { cash: number; statuses: string[] };
  const { orders, total } = answer as { orders: { id: string; amount: number }[]; total: number };
  expect(b.statuses.every((s) => s === 'unpaid')).toBe(true);
  expect(after).toEqual({ cash: b.cash - total, statuses: b.statuses.map(() => 'paid') });
  expect(total).toBe(orders.reduce((sum, o) => sum + o.amount, 0));
}
/** A renewal made: the cluster had no pending order and now has the unpaid renewal the answer carries. */
function renewed(before: unknown, after: unknown, answer: unknown) {
  const { order } = answer as { order: { id: string; expiresAt: string } };
  expect(before).toBeNull();
  expect(order).toMatchObject({ type: 'renewal', status: 'unpaid' });
  expect(after).toEqual({ id: order.id, type: 'renewal', expiresAt: order.expiresAt });
}

describe('authorization: endpoint × role', () => {
  describe.each(CASES)('$name', (c) => {
    it.each(ROLES)('as %s', async (role) => {
      const paying = /\/orders\/[^/]+\/pay$/.test(c.url(role));
      const balanceBefore = paying ? await cash() : 0;
      const before = c.write ? await c.write.read(role) : undefined;
      const r = await api(t, c.method, c.url(role), {
        auth: who[role].auth,
        ...(c.body ? { body: await c.body(role) } : {}),
      });
      expect(r.status, r.body).toBe(c.expect[role]);
      if (c.write) {
        const after = await c.write.read(role);
        // A refused write changed nothing; an allowed one did what it answered.
        if (r.status >= 400) expect(after).toEqual(before);
        else c.write.written(before, after, r.json, role);
      }
      if (paying && r.status >= 400) {
        // A refused payment moved no money and left the order unpaid.
        expect(await cash()).toBe(balanceBefore);
        const orderUrl = c.url(role).replace(/\/pay$/, '');
        const order = await api(t, 'GET', orderUrl, { auth: org.admin.auth });
        expect(order.json.status).toBe('unpaid');
      }
      if (r.status >= 400) expect(r.json.error.code).toMatch(/^[A-Z_]+$/);
      // Nothing of another org in any answer.
      const foreignIds =
        role === 'foreignAdmin'
          ? [ids.org, ids.o1, ids.o2, ids.c1, ids.c2, ids.p1, ids.p2]
          : [other.id, ids.foreignOrder, ids.foreignCluster];
      for (const id of foreignIds) expect(r.body).not.toContain(id);
    });
  });

  it('a project admin’s order list holds only their project’s orders', async () => {
    const r = await api(t, 'GET', `${O()}/orders?limit=100`, { auth: who.p1Admin.auth });
    expect(r.json.items.length).toBeGreaterThan(0);
    for (const o of r.json.items) expect(o.projectId).toBe(ids.p1);
    const all = await api(t, 'GET', `${O()}/orders?limit=100`, { auth: who.orgAdmin.auth });
    expect(all.json.items.some((o: { projectId: string }) => o.projectId === ids.p2)).toBe(true);
  });

  it('covers every public route of the API', () => {
    const covered = new Set(
      CASES.map((c) =>
        `${c.method} ${c.url().replace(/\?.*$/, '')}`.replace(/[a-z]+_[0-9A-Z]+|\d{4}-\d{2}/g, ':id'),
      ),
    );
    const publicRoutes = routes
      .filter((r) => r.auth === 'user' && !r.url.startsWith('/v1/auth/'))
      .map((r) => `${r.method} ${r.url.replace(/:\w+/g, ':id')}`);
    const missing = publicRoutes.filter((r) => !covered.has(r));
    expect(missing).toEqual([]);
  });

  it('an org member sees no project; a project role sees its own project only', async () => {
    const member = await api(t, 'GET', `${O()}/projects`, { auth: who.orgMember.auth });
    expect(member.json.items).toEqual([]);
    const viewer = await api(t, 'GET', `${O()}/projects`, { auth: who.p1Viewer.auth });
    expect(viewer.json.items.map((p: { id: string }) => p.id)).toEqual([ids.p1]);
  });

  it('the policy table names only the roles of SPEC §1', () => {
    for (const rule of Object.values(POLICY)) {
      for (const r of rule.org) expect(['org_admin', 'org_billing_admin', 'org_member']).toContain(r);
      for (const r of rule.project)
        expect(['project_admin', 'project_editor', 'project_viewer']).toContain(r);
    }
    // Orders are for the two admin roles only (the page: 组织管理员 or 项目管理员).
    for (const action of [
      'order.list',
      'order.read',
      'order.pay',
      'order.cancel',
      'order.download',
    ] as const) {
      expect(POLICY[action]).toEqual({ org: ['org_admin'], project: ['project_admin'] });
    }
  });
});

describe('authentication on every route', () => {
  const concrete = (url: string) =>
    url
      .replace(':orgId', ids.org ?? 'org_x')
      .replace(':orderId', ids.o1 ?? 'ord_x')
      .replace(':clusterId', ids.c1 ?? 'cls_x')
      .replace(/:\w+/g, '2026-11');
  it.each(routes.filter((r) => r.auth !== 'none').map((r) => [r.method, r.url] as const))(
    '%s %s: no key → 401, forged key → 401',
    async (method, url) => {
      const none = await api(
        t,
        method,
        concrete(url),
        method === 'POST' || method === 'PUT' ? { body: {} } : {},
      );
      expect(none.status).toBe(401);
      expect(none.json.error.code).toBe('UNAUTHENTICATED');
      const forged = await api(t, method, concrete(url), {
        auth: { authorization: 'Bearer tly_forged-key-that-does-not-exist' },
        ...(method === 'POST' || method === 'PUT' ? { body: {} } : {}),
      });
      expect(forged.status).toBe(401);
      const malformed = await api(t, method, concrete(url), { auth: { authorization: 'Basic abc' } });
      expect(malformed.status).toBe(401);
    },
  );

  it('the operator token is refused on the public API', async () => {
    const r = await api(t, 'GET', `${O()}/orders`, { auth: t.op });
    expect(r.status).toBe(403);
  });
});
