import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { UNMATCHED_REASONS } from '../../contract/enums.js';
import { documentOf, type RouteKey, responseOf } from '../../contract/responses.js';
import { routes } from '../../server/src/routes.js';
import { api, PURCHASE } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * Every JSON answer of every route, validated against its schema in contract/responses.ts, over one broad
 * scenario on a real database: an org with a member of every role, clusters bought, upgraded, paid,
 * cancelled and timed out, top-ups (matched and unmatched), a coupon, usage, an issued bill and the open
 * month, and the internal API. The schemas are strict objects, so a presenter that adds, drops or renames a
 * field fails here.
 */

type DocumentKey = keyof typeof documentOf;
type Auth = { authorization: string } | { cookie: string; 'x-csrf-token'?: string };
interface CallOpts {
  auth?: Auth;
  body?: unknown;
  status?: number;
}

const routeKeys = routes.map((r) => `${r.method} ${r.url}`);

/** "GET /v1/orgs/:orgId/x" → a regex of the concrete paths it serves. */
function pathPattern(key: string): RegExp {
  const url = key.slice(key.indexOf(' ') + 1);
  return new RegExp(`^${url.replace(/:[A-Za-z]+/g, '[^/?]+')}(\\?.*)?$`);
}

interface Def {
  type: string;
  catchall?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
}
/** zod 4 keeps a schema's definition under `_zod.def`. */
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Every object in a response schema must refuse unknown keys; no record, any or unknown may hide a field. */
function looseObjects(schema: z.ZodType, at: string, out: string[]): string[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      if (!def.catchall || defOf(def.catchall).type !== 'never') out.push(at);
      for (const [k, v] of Object.entries(def.shape ?? {})) looseObjects(v, `${at}.${k}`, out);
      break;
    case 'array':
      looseObjects(def.element!, `${at}[]`, out);
      break;
    case 'optional':
    case 'nullable':
      looseObjects(def.innerType!, at, out);
      break;
    case 'union':
      for (const [i, o] of (def.options ?? []).entries()) looseObjects(o, `${at}|${i}`, out);
      break;
    case 'record':
    case 'any':
    case 'unknown':
      out.push(`${at} (${def.type})`);
      break;
  }
  return out;
}

describe('the contract holds every route’s answer', () => {
  it('every route of server/src/routes.ts has a response schema or a document media type', () => {
    const missing = routeKeys.filter((k) => !(k in responseOf) && !(k in documentOf));
    expect(missing, 'routes without a schema in contract/responses.ts').toEqual([]);
    const stale = [...Object.keys(responseOf), ...Object.keys(documentOf)].filter(
      (k) => !routeKeys.includes(k),
    );
    expect(stale, 'schemas for routes that no longer exist').toEqual([]);
  });

  it('every response schema is strict all the way down', () => {
    const loose = Object.entries(responseOf).flatMap(([k, s]) => looseObjects(s, k, []));
    expect(loose).toEqual([]);
  });

  it('every JSON answer of a broad scenario matches its schema exactly', { timeout: 120_000 }, async () => {
    const t = await startTestTally({ config: { testClock: true, webhookAllowPrivate: true } });
    const validated = new Set<string>();
    const s = scenario(t, validated);
    await s.run();
    const notExercised = routeKeys.filter((k) => !validated.has(k));
    expect(notExercised, 'routes the scenario never called successfully').toEqual([]);
  });
});

function scenario(t: TestTally, validated: Set<string>) {
  async function call<K extends RouteKey>(
    key: K,
    path: string,
    opts: CallOpts = {},
  ): Promise<z.infer<(typeof responseOf)[K]>> {
    const method = key.slice(0, key.indexOf(' ')) as 'GET' | 'POST' | 'PUT' | 'DELETE';
    expect(path, `the path does not belong to ${key}`).toMatch(pathPattern(key));
    const r = await api(t, method, path, {
      ...(opts.auth ? { headers: opts.auth as Record<string, string> } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : method === 'POST' ? { body: {} } : {}),
    });
    if (r.status !== (opts.status ?? 200)) {
      throw new Error(`${method} ${path}: expected ${opts.status ?? 200}, got ${r.status} ${r.body}`);
    }
    const parsed = responseOf[key].safeParse(r.json);
    if (!parsed.success) {
      throw new Error(
        `${method} ${path}: the answer does not match ${key} in contract/responses.ts:\n` +
          `${JSON.stringify(parsed.error.issues, null, 1)}\n${r.body.slice(0, 2000)}`,
      );
    }
    validated.add(key);
    return parsed.data as z.infer<(typeof responseOf)[K]>;
  }

  async function document(key: DocumentKey, path: string, auth: Auth) {
    expect(path, `the path does not belong to ${key}`).toMatch(pathPattern(key));
    const res = await t.app.inject({ method: 'GET', url: path, headers: auth as Record<string, string> });
    if (res.statusCode !== 200)
      throw new Error(`GET ${path}: expected 200, got ${res.statusCode} ${res.body}`);
    expect(documentOf[key] as readonly string[]).toContain(res.headers['content-type']);
    expect(res.rawPayload.length).toBeGreaterThan(0);
    validated.add(key);
  }

  const op = t.op;
  const bearer = (m: { apiKey: string }) => ({ authorization: `Bearer ${m.apiKey}` });
  const runJobs = () => call('POST /v1/internal/jobs/run', '/v1/internal/jobs/run', { auth: op });

  async function run() {
    // ——— The org, its projects and a member of every role ———
    const org = await call('POST /v1/internal/orgs', '/v1/internal/orgs', {
      auth: op,
      body: { name: 'Contract Co', certified: false },
      status: 201,
    });
    expect(org.certified).toBe(false);
    // Certified with its certification data: the buyer on its invoices (SPEC §10.4).
    const certifiedOrg = await call(
      'POST /v1/internal/orgs/:orgId/certification',
      `/v1/internal/orgs/${org.id}/certification`,
      {
        auth: op,
        body: {
          certified: true,
          kind: 'enterprise',
          title: '杭州合同科技有限公司',
          taxId: '91330100MA2CONTR1K',
          address: '杭州市西湖区文三路 1 号',
          phone: '0571-88888888',
          bank: '招商银行杭州分行',
          bankAccount: '5719 0000 0000 001',
        },
      },
    );
    expect(certifiedOrg.certification).toMatchObject({ kind: 'enterprise', taxId: '91330100MA2CONTR1K' });
    const o = `/v1/orgs/${org.id}`;
    const projects = [];
    for (const name of ['search', 'recommend']) {
      projects.push(
        await call('POST /v1/internal/orgs/:orgId/projects', `/v1/internal/orgs/${org.id}/projects`, {
          auth: op,
          body: { name },
          status: 201,
        }),
      );
    }
    const [p1, p2] = projects as [(typeof projects)[0], (typeof projects)[0]];
    const member = (email: string, body: Record<string, unknown>) =>
      call('POST /v1/internal/orgs/:orgId/members', `/v1/internal/orgs/${org.id}/members`, {
        auth: op,
        body: { email, ...body },
        status: 201,
      });
    const password = 'contract-password-1';
    const admin = await member('admin@contract.example', { orgRole: 'org_admin', password });
    const billing = await member('billing@contract.example', { orgRole: 'org_billing_admin' });
    const plain = await member('member@contract.example', { orgRole: 'org_member' });
    const padmin = await member('padmin@contract.example', {
      orgRole: 'org_member',
      projectRoles: [{ projectId: p1.id, role: 'project_admin' }],
    });
    const editor = await member('editor@contract.example', {
      orgRole: 'org_member',
      projectRoles: [
        { projectId: p1.id, role: 'project_editor' },
        { projectId: p2.id, role: 'project_viewer' },
      ],
    });
    const viewer = await member('viewer@contract.example', {
      orgRole: 'org_member',
      projectRoles: [{ projectId: p2.id, role: 'project_viewer' }],
    });
    // The same person in a second org: an existing user.
    const other = await call('POST /v1/internal/orgs', '/v1/internal/orgs', {
      auth: op,
      body: { name: 'Other Co', timeZone: 'Europe/Berlin' },
      status: 201,
    });
    await call('POST /v1/internal/orgs/:orgId/members', `/v1/internal/orgs/${other.id}/members`, {
      auth: op,
      body: { email: 'admin@contract.example', orgRole: 'org_member' },
      status: 201,
    });

    // Its admin buys a cluster whose usage row (written around the API, as old data could be) cannot be billed:
    // the bills job fails for that org alone and shows it to the operator.
    await call('POST /v1/internal/orgs/:orgId/certification', `/v1/internal/orgs/${other.id}/certification`, {
      auth: op,
      body: { certified: true },
    });
    const otherProject = await call(
      'POST /v1/internal/orgs/:orgId/projects',
      `/v1/internal/orgs/${other.id}/projects`,
      {
        auth: op,
        body: { name: 'other' },
        status: 201,
      },
    );
    const otherAdmin = await call(
      'POST /v1/internal/orgs/:orgId/members',
      `/v1/internal/orgs/${other.id}/members`,
      {
        auth: op,
        body: { email: 'other-admin@contract.example', orgRole: 'org_admin' },
        status: 201,
      },
    );
    // A third org with nothing to pay: its November bill (¥0.00) is confirmed early by its admin (SPEC §10.2).
    const gamma = await call('POST /v1/internal/orgs', '/v1/internal/orgs', {
      auth: op,
      body: { name: 'Gamma Co' },
      status: 201,
    });
    const gammaAdmin = await call(
      'POST /v1/internal/orgs/:orgId/members',
      `/v1/internal/orgs/${gamma.id}/members`,
      { auth: op, body: { email: 'gamma-admin@contract.example', orgRole: 'org_admin' }, status: 201 },
    );
    const bad = await call('POST /v1/orgs/:orgId/clusters', `/v1/orgs/${other.id}/clusters`, {
      auth: bearer(otherAdmin),
      body: { ...PURCHASE, projectId: otherProject.id, name: 'unbillable' },
      status: 201,
    });
    await sql`insert into usage_events (org_id, id, cluster_id, metric, quantity_milli, start_at, end_at, units,
        micros_per_unit, bill_month, received_at)
      values (${other.id}, 'bad-price', ${bad.cluster.id}, 'storage', 1000000000, '2026-11-02T00:00:00Z',
        '2026-11-30T00:00:00Z', 672, 9000000000000000000, '2026-11', '2026-11-02T08:00:00Z')`.execute(
      t.deps.db,
    );

    const A = bearer(admin);
    for (const m of [admin, billing, plain, padmin, editor, viewer]) {
      const me = await call('GET /v1/me', '/v1/me', { auth: bearer(m) });
      expect(me.user.email).toBe(m.user.email);
      await call('GET /v1/orgs/:orgId/projects', `${o}/projects`, { auth: bearer(m) });
      await call('GET /v1/catalog', '/v1/catalog', { auth: bearer(m) });
    }

    // ——— A user without a password sets one through their invitation link; API keys ———
    const token = billing.invitation?.url.split('/').pop();
    expect(token).toBeTruthy();
    const invitation = await call('GET /v1/invitations/:token', `/v1/invitations/${token}`);
    expect(invitation.email).toBe(billing.user.email);
    await call('POST /v1/invitations/:token/accept', `/v1/invitations/${token}/accept`, {
      body: { password: 'billing-password-1' },
    });
    for (const m of [admin, billing, plain, padmin]) {
      const key = await call('POST /v1/orgs/:orgId/api-keys', `${o}/api-keys`, {
        auth: bearer(m),
        body: { name: 'ci' },
        status: 201,
      });
      await call('GET /v1/orgs/:orgId/api-keys', `${o}/api-keys`, {
        auth: bearer(key.secret ? { apiKey: key.secret } : m),
      });
      const revoked = await call(
        'POST /v1/orgs/:orgId/api-keys/:keyId/revoke',
        `${o}/api-keys/${key.id}/revoke`,
        {
          auth: bearer(m),
        },
      );
      expect(revoked.revokedAt).not.toBeNull();
      const keys = await call('GET /v1/orgs/:orgId/api-keys', `${o}/api-keys?limit=1`, { auth: bearer(m) });
      expect(keys.nextCursor).not.toBeNull();
    }

    // ——— Money in: a matched transfer (reported twice), an unmatched one assigned by an operator ———
    const transfer = {
      remittanceCode: org.remittanceCode,
      amount: 20_000_000,
      currency: 'CNY',
      bankReference: 'REF-CONTRACT-1',
    };
    const bankTransfer = (body: unknown, status: number) =>
      call('POST /v1/internal/bank-transfers', '/v1/internal/bank-transfers', { auth: op, body, status });
    await bankTransfer(transfer, 201);
    await bankTransfer(transfer, 200);
    const strayCode = org.remittanceCode === '123456789' ? '987654321' : '123456789';
    const stray = await api(t, 'POST', '/v1/internal/bank-transfers', {
      auth: op,
      body: { ...transfer, remittanceCode: strayCode, amount: 50_000, bankReference: 'REF-CONTRACT-STRAY' },
    });
    expect(stray.status).toBe(422);
    // Held for an operator though the code is known: another currency, more than one transfer may carry, and a
    // transfer that would take a balance past 2^53 fen (an org filled to within one transfer of it first).
    const held = async (body: typeof transfer, code: string) => {
      const r = await api(t, 'POST', '/v1/internal/bank-transfers', { auth: op, body });
      expect([r.status, r.json?.error?.code]).toEqual([422, code]);
    };
    await held({ ...transfer, currency: 'USD', bankReference: 'REF-CONTRACT-USD' }, 'CURRENCY_MISMATCH');
    await held(
      { ...transfer, amount: 100_000_000_000_001, bankReference: 'REF-CONTRACT-HUGE' },
      'AMOUNT_LIMIT_EXCEEDED',
    );
    const full = await call('POST /v1/internal/orgs', '/v1/internal/orgs', {
      auth: op,
      body: { name: 'Full Co' },
      status: 201,
    });
    for (let i = 0; i < 90; i++) {
      const r = await api(t, 'POST', '/v1/internal/bank-transfers', {
        auth: op,
        body: {
          ...transfer,
          remittanceCode: full.remittanceCode,
          amount: 100_000_000_000_000,
          bankReference: `REF-CONTRACT-FULL-${i}`,
        },
      });
      expect(r.status).toBe(201);
    }
    await held(
      {
        ...transfer,
        remittanceCode: full.remittanceCode,
        amount: 100_000_000_000_000,
        bankReference: 'REF-CONTRACT-OVER',
      },
      'BALANCE_LIMIT_EXCEEDED',
    );
    const unmatched = await call(
      'GET /v1/internal/bank-transfers/unmatched',
      '/v1/internal/bank-transfers/unmatched',
      {
        auth: op,
      },
    );
    expect(unmatched.items.map((u) => u.bankReference)).toContain('REF-CONTRACT-STRAY');
    expect(new Set(unmatched.items.map((u) => u.reason))).toEqual(new Set(UNMATCHED_REASONS));
    const assign = (status: number) =>
      call(
        'POST /v1/internal/bank-transfers/:bankReference/assign',
        '/v1/internal/bank-transfers/REF-CONTRACT-STRAY/assign',
        { auth: op, body: { orgId: org.id }, status },
      );
    await assign(201);
    await assign(200);

    // ——— A cluster bought, paid, provisioned, then upgraded ———
    await call('POST /v1/orgs/:orgId/quotes', `${o}/quotes`, {
      auth: A,
      body: { type: 'new_purchase', ...PURCHASE },
    });
    const a = await call('POST /v1/orgs/:orgId/clusters', `${o}/clusters`, {
      auth: A,
      body: { ...PURCHASE, projectId: p1.id, name: 'alpha' },
      status: 201,
    });
    expect(a.cluster.state).toBe('pending_payment');
    const paidA = await call('POST /v1/orgs/:orgId/orders/:orderId/pay', `${o}/orders/${a.order.id}/pay`, {
      auth: A,
    });
    expect(paidA.order.status).toBe('paid');
    await runJobs();
    const creating = await call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${a.cluster.id}`, {
      auth: A,
    });
    expect(creating.state).toBe('creating');
    t.clock.advance(t.config.provisionSeconds * 1000);
    await runJobs();

    await call('POST /v1/orgs/:orgId/quotes', `${o}/quotes`, {
      auth: bearer(padmin),
      body: { type: 'upgrade', clusterId: a.cluster.id, cuSize: 2 },
    });
    const up = await call(
      'POST /v1/orgs/:orgId/clusters/:clusterId/upgrade',
      `${o}/clusters/${a.cluster.id}/upgrade`,
      { auth: bearer(padmin), body: { cuSize: 2 }, status: 201 },
    );
    expect(up.order.configBefore).not.toBeNull();
    await call('POST /v1/orgs/:orgId/orders/:orderId/pay', `${o}/orders/${up.order.id}/pay`, {
      auth: bearer(padmin),
    });
    await runJobs();
    const upgrading = await call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${a.cluster.id}`, {
      auth: bearer(editor),
    });
    expect(upgrading.upgradingTo).toEqual({ cuSize: 2, replicas: 1 });
    t.clock.advance(t.config.provisionSeconds * 1000);
    await runJobs();

    // An upgrade left unpaid, then cancelled; a purchase cancelled by a project admin.
    const up2 = await call(
      'POST /v1/orgs/:orgId/clusters/:clusterId/upgrade',
      `${o}/clusters/${a.cluster.id}/upgrade`,
      { auth: A, body: { replicas: 2 }, status: 201 },
    );
    await call('POST /v1/orgs/:orgId/orders/:orderId/cancel', `${o}/orders/${up2.order.id}/cancel`, {
      auth: A,
    });
    const b = await call('POST /v1/orgs/:orgId/clusters', `${o}/clusters`, {
      auth: bearer(padmin),
      body: { ...PURCHASE, projectId: p1.id, name: 'beta' },
      status: 201,
    });
    const cancelled = await call(
      'POST /v1/orgs/:orgId/orders/:orderId/cancel',
      `${o}/orders/${b.order.id}/cancel`,
      {
        auth: bearer(padmin),
      },
    );
    expect(cancelled.order.status).toBe('cancelled');

    // ——— The term (SPEC §8): an upgrade that takes a new term, a renewal, the auto-renew switch ———
    const upTermBody = { cuSize: 4, term: { unit: 'year', count: 1 } };
    const upTermQuote = await call('POST /v1/orgs/:orgId/quotes', `${o}/quotes`, {
      auth: bearer(padmin),
      body: { type: 'upgrade', clusterId: a.cluster.id, ...upTermBody },
    });
    if (upTermQuote.type !== 'upgrade' || !upTermQuote.newTerm || !upTermQuote.credit)
      throw new Error(
        `an upgrade with a term is priced with newTerm and credit: ${JSON.stringify(upTermQuote)}`,
      );
    expect(upTermQuote.newTerm.amount - upTermQuote.credit.amount).toBe(upTermQuote.amount);
    const upTerm = await call(
      'POST /v1/orgs/:orgId/clusters/:clusterId/upgrade',
      `${o}/clusters/${a.cluster.id}/upgrade`,
      { auth: bearer(padmin), body: upTermBody, status: 201 },
    );
    expect(upTerm.order.amount).toBe(upTermQuote.amount);
    const paidUpTerm = await call(
      'POST /v1/orgs/:orgId/orders/:orderId/pay',
      `${o}/orders/${upTerm.order.id}/pay`,
      { auth: bearer(padmin) },
    );
    await runJobs();
    t.clock.advance(t.config.provisionSeconds * 1000);
    await runJobs();
    const aYear = await call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${a.cluster.id}`, {
      auth: A,
    });
    expect(aYear).toMatchObject({ state: 'running', cuSize: 4, term: { unit: 'year', count: 1 } });
    expect(aYear.termEndsAt).toBe(
      new Date(Date.parse(paidUpTerm.order.paidAt!) + 360 * 86_400_000).toISOString(),
    );

    // Three 1-month clusters, serving: epsilon is renewed by hand, eta by auto-renew, zeta not at all. Zeta's
    // and eta's orders are paid together (合并支付).
    const buy = (name: string, projectId: string, auth: Auth) =>
      call('POST /v1/orgs/:orgId/clusters', `${o}/clusters`, {
        auth,
        body: { ...PURCHASE, projectId, name },
        status: 201,
      });
    const { cluster: e, order: eOrder } = await buy('epsilon', p1.id, bearer(padmin));
    const { cluster: z, order: zOrder } = await buy('zeta', p2.id, A);
    const { cluster: h, order: hOrder } = await buy('eta', p1.id, A);
    await call('POST /v1/orgs/:orgId/orders/:orderId/pay', `${o}/orders/${eOrder.id}/pay`, {
      auth: bearer(padmin),
    });
    const merged = await call('POST /v1/orgs/:orgId/orders/pay', `${o}/orders/pay`, {
      auth: A,
      body: { orderIds: [zOrder.id, hOrder.id] },
    });
    expect(merged.orders.map((x) => [x.id, x.status])).toEqual([
      [zOrder.id, 'paid'],
      [hOrder.id, 'paid'],
    ]);
    expect(merged.total).toBe(zOrder.amount + hOrder.amount);
    await runJobs();
    t.clock.advance(t.config.provisionSeconds * 1000);
    await runJobs();
    const eNow = await call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${e.id}`, {
      auth: bearer(padmin),
    });
    expect(eNow).toMatchObject({ state: 'expiring', pendingOrder: null });
    expect(eNow.availableActions).toContain('renew');
    const renewalQuote = await call('POST /v1/orgs/:orgId/quotes', `${o}/quotes`, {
      auth: bearer(padmin),
      body: { type: 'renewal', clusterId: e.id, term: { unit: 'month', count: 1 } },
    });
    expect(renewalQuote.type).toBe('renewal');
    const renewal = await call(
      'POST /v1/orgs/:orgId/clusters/:clusterId/renew',
      `${o}/clusters/${e.id}/renew`,
      {
        auth: bearer(padmin),
        body: { term: { unit: 'month', count: 1 } },
        status: 201,
      },
    );
    expect(renewal.order).toMatchObject({
      type: 'renewal',
      status: 'unpaid',
      amount: renewalQuote.amount,
      cancelsAt: null,
      createdBy: padmin.user.id,
    });
    const eRenewing = await call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${e.id}`, {
      auth: A,
    });
    expect(eRenewing.pendingOrder).toEqual({
      id: renewal.order.id,
      type: 'renewal',
      expiresAt: renewal.order.expiresAt,
    });
    await call('POST /v1/orgs/:orgId/orders/:orderId/pay', `${o}/orders/${renewal.order.id}/pay`, {
      auth: bearer(padmin),
    });
    const eRenewed = await call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${e.id}`, {
      auth: A,
    });
    expect(eRenewed.state).toBe('running');
    expect(Date.parse(eRenewed.termEndsAt!) - Date.parse(eNow.termEndsAt!)).toBe(30 * 86_400_000);

    for (const auth of [A, bearer(billing), bearer(padmin)]) {
      const setting = await call('GET /v1/orgs/:orgId/settings/auto-renew', `${o}/settings/auto-renew`, {
        auth,
      });
      expect(setting).toEqual({ enabled: false, updatedAt: null, updatedBy: null });
    }
    const autoRenewOn = await call('PUT /v1/orgs/:orgId/settings/auto-renew', `${o}/settings/auto-renew`, {
      auth: A,
      body: { enabled: true },
    });
    expect(autoRenewOn).toMatchObject({ enabled: true, updatedBy: admin.user.id });

    // A purchase left to time out: read at the deadline before the sweeper runs, then after.
    const c = await call('POST /v1/orgs/:orgId/clusters', `${o}/clusters`, {
      auth: A,
      body: { ...PURCHASE, projectId: p2.id, name: 'gamma', term: { unit: 'year', count: 1 } },
      status: 201,
    });

    // ——— A coupon and pay-as-you-go usage ———
    await call('POST /v1/internal/orgs/:orgId/coupons', `/v1/internal/orgs/${org.id}/coupons`, {
      auth: op,
      body: { amount: 500, expiresAt: '2027-06-30T00:00:00Z' },
      status: 201,
    });
    const usage = {
      events: [
        {
          id: 'u-storage-1',
          orgId: org.id,
          clusterId: a.cluster.id,
          metric: 'storage',
          quantity: 100_000.5,
          start: '2026-11-02T08:00:00Z',
          end: '2026-11-02T08:00:10Z',
        },
        {
          id: 'u-backup-1',
          orgId: org.id,
          clusterId: a.cluster.id,
          metric: 'backup',
          quantity: 1_000,
          start: '2026-11-02T08:00:00Z',
          end: '2026-11-02T08:00:10Z',
        },
      ],
    };
    const ingested = await call('POST /v1/internal/usage', '/v1/internal/usage', { auth: op, body: usage });
    expect(ingested.accepted).toBe(2);
    const again = await call('POST /v1/internal/usage', '/v1/internal/usage', { auth: op, body: usage });
    expect(again.duplicates).toBe(2);

    t.clock.advance(t.config.orderTtlHours * 3_600_000);
    const timedOut = await call('GET /v1/orgs/:orgId/orders/:orderId', `${o}/orders/${c.order.id}`, {
      auth: A,
    });
    expect(timedOut.status).toBe('timed_out');
    expect(timedOut.history.at(-1)?.by.type).toBe('system');
    await runJobs();

    // Within zeta's last week: an upgrade left unpaid (the system cancels it at the cluster's expiry, before its
    // own deadline) makes the auto-renew attempts skip; eta is renewed by the system and paid from cash.
    t.clock.set('2026-11-26T09:00:00Z');
    const zUp = await call(
      'POST /v1/orgs/:orgId/clusters/:clusterId/upgrade',
      `${o}/clusters/${z.id}/upgrade`,
      { auth: A, body: { replicas: 2 }, status: 201 },
    );
    const zNow = await call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${z.id}`, { auth: A });
    expect(zUp.order.cancelsAt).toBe(zNow.termEndsAt);
    await runJobs();

    // ——— The month ends: November's bill is issued (pending confirmation); December is open ———
    t.clock.set('2026-12-01T00:05:00Z');
    await runJobs();
    // SPEC §10.2: the org disputes it, the operator resolves it with a credit of ¥0.01, which confirms it and
    // charges the rest; Gamma's admin confirms Gamma's bill early.
    const disputed = await call('POST /v1/orgs/:orgId/bills/:month/dispute', `${o}/bills/2026-11/dispute`, {
      auth: A,
      body: { reason: 'backup of a deleted collection' },
    });
    expect(disputed).toMatchObject({ status: 'disputed', disputeReason: 'backup of a deleted collection' });
    const resolved = await call(
      'POST /v1/internal/orgs/:orgId/bills/:month/resolve',
      `/v1/internal/orgs/${org.id}/bills/2026-11/resolve`,
      { auth: op, body: { adjustment: 1 } },
    );
    expect(resolved).toMatchObject({ status: 'paid', adjustmentAmount: 1 });
    const gammaBill = await call(
      'POST /v1/orgs/:orgId/bills/:month/confirm',
      `/v1/orgs/${gamma.id}/bills/2026-11/confirm`,
      { auth: bearer(gammaAdmin) },
    );
    expect(gammaBill).toMatchObject({ status: 'paid', amountDue: 0, confirmsAt: null });
    const zAttempts = await call(
      'GET /v1/orgs/:orgId/clusters/:clusterId/renewal-attempts',
      `${o}/clusters/${z.id}/renewal-attempts`,
      { auth: A },
    );
    expect(zAttempts.items.map((x) => [x.k, x.outcome, x.orderId, x.reason])).toEqual([
      [5, 'skipped', zUp.order.id, 'upgrade_pending'],
      [1, 'skipped', zUp.order.id, 'upgrade_pending'],
    ]);
    const hAttempts = await call(
      'GET /v1/orgs/:orgId/clusters/:clusterId/renewal-attempts',
      `${o}/clusters/${h.id}/renewal-attempts`,
      { auth: bearer(padmin) },
    );
    expect(hAttempts.items).toHaveLength(1);
    expect(hAttempts.items[0]).toMatchObject({ k: 1, outcome: 'paid', shortfall: null, reason: null });
    const autoRenewal = await call(
      'GET /v1/orgs/:orgId/orders/:orderId',
      `${o}/orders/${hAttempts.items[0]!.orderId}`,
      { auth: A },
    );
    expect(autoRenewal).toMatchObject({
      type: 'renewal',
      status: 'paid',
      amount: hAttempts.items[0]!.amount,
      createdBy: null,
      paidBy: null,
    });
    const d = await call('POST /v1/orgs/:orgId/clusters', `${o}/clusters`, {
      auth: A,
      body: { ...PURCHASE, projectId: p1.id, name: 'delta' },
      status: 201,
    });
    expect(d.order.availableActions).toEqual(['pay', 'cancel', 'download']);

    // ——— Every read, by the roles allowed it ———
    for (const auth of [A, bearer(padmin)]) {
      const orders = await call('GET /v1/orgs/:orgId/orders', `${o}/orders?limit=2`, { auth });
      if (orders.nextCursor) {
        await call('GET /v1/orgs/:orgId/orders', `${o}/orders?limit=2&cursor=${orders.nextCursor}`, { auth });
      }
      await call('GET /v1/orgs/:orgId/orders', `${o}/orders?limit=2&offset=2`, { auth });
      const counted = await call('GET /v1/orgs/:orgId/orders/count', `${o}/orders/count`, { auth });
      expect(counted.total).toBeGreaterThan(0);
      await call('GET /v1/orgs/:orgId/orders/count', `${o}/orders/count?status=paid,timed_out&type=upgrade`, {
        auth,
      });
      await call('GET /v1/orgs/:orgId/orders', `${o}/orders?status=paid,timed_out&type=upgrade`, { auth });
    }
    const all = await call('GET /v1/orgs/:orgId/orders', `${o}/orders?limit=100`, { auth: A });
    expect(new Set(all.items.map((x) => x.status))).toEqual(
      new Set(['unpaid', 'paid', 'cancelled', 'timed_out']),
    );
    for (const x of all.items) {
      await call('GET /v1/orgs/:orgId/orders/:orderId', `${o}/orders/${x.id}`, { auth: A });
    }
    for (const auth of [A, bearer(editor), bearer(viewer)]) {
      await call('GET /v1/orgs/:orgId/clusters', `${o}/clusters?limit=100`, { auth });
    }
    const clusters = await call('GET /v1/orgs/:orgId/clusters', `${o}/clusters?limit=1`, { auth: A });
    expect(clusters.nextCursor).not.toBeNull();
    const states = new Set(
      (await call('GET /v1/orgs/:orgId/clusters', `${o}/clusters`, { auth: A })).items.map((x) => x.state),
    );
    expect(states).toEqual(new Set(['running', 'expiring', 'cancelled', 'pending_payment']));

    for (const auth of [A, bearer(billing)]) {
      await call('GET /v1/orgs/:orgId/balance', `${o}/balance`, { auth });
      const ledger = await call('GET /v1/orgs/:orgId/ledger', `${o}/ledger?limit=2`, { auth });
      expect(ledger.nextCursor).not.toBeNull();
      await call('GET /v1/orgs/:orgId/ledger', `${o}/ledger?limit=2&cursor=${ledger.nextCursor}`, { auth });
      await call('GET /v1/orgs/:orgId/remittance-account', `${o}/remittance-account`, { auth });
      await call('GET /v1/orgs/:orgId/topups', `${o}/topups?limit=1`, { auth });
      await call('GET /v1/orgs/:orgId/topups', `${o}/topups`, { auth });
      await call('GET /v1/orgs/:orgId/coupons', `${o}/coupons`, { auth });
      const bills = await call('GET /v1/orgs/:orgId/bills', `${o}/bills`, { auth });
      expect(bills.items.map((x) => [x.month, x.status])).toEqual([
        ['2026-12', 'open'],
        ['2026-11', 'paid'],
      ]);
      const nov = await call('GET /v1/orgs/:orgId/bills/:month', `${o}/bills/2026-11`, { auth });
      expect(new Set(nov.lines.map((l) => l.kind))).toEqual(new Set(['subscription', 'usage', 'adjustment']));
      expect(nov.couponApplications.length).toBeGreaterThan(0);
      await call('GET /v1/orgs/:orgId/bills/:month', `${o}/bills/2026-12`, { auth });
    }
    const ledger = await call('GET /v1/orgs/:orgId/ledger', `${o}/ledger?limit=100`, { auth: A });
    expect(new Set(ledger.items.map((e) => e.kind))).toEqual(
      new Set(['topup', 'order_payment', 'bill_payment']),
    );
    await call('GET /v1/orgs/:orgId/balance', `${o}/balance`, { auth: bearer(padmin) });
    await call('GET /v1/orgs/:orgId/remittance-account', `${o}/remittance-account`, { auth: bearer(padmin) });

    const board = await call('GET /v1/internal/jobs', '/v1/internal/jobs', { auth: op });
    expect(board.jobs.map((j) => j.lastOutcome)).not.toContain(null);
    expect(board.failingOrgs.map((f) => [f.job, f.orgId])).toEqual([['bills', other.id]]);

    // ——— Documents and exports: media types, no JSON ———
    await document('GET /v1/orgs/:orgId/orders/:orderId/document', `${o}/orders/${a.order.id}/document`, A);
    await document('GET /v1/orgs/:orgId/orders/export', `${o}/orders/export`, A);
    await document('GET /v1/orgs/:orgId/orders/export', `${o}/orders/export?format=xlsx&lang=en`, A);
    await document('GET /v1/orgs/:orgId/ledger/export', `${o}/ledger/export?kind=topup`, A);
    await document(
      'GET /v1/orgs/:orgId/ledger/export',
      `${o}/ledger/export?format=xlsx&lang=en`,
      bearer(billing),
    );
    await document('GET /v1/orgs/:orgId/bills/:month/document', `${o}/bills/2026-11/document`, A);
    await document('GET /v1/orgs/:orgId/bills/:month/export', `${o}/bills/2026-11/export`, A);
    await document('GET /v1/orgs/:orgId/bills/:month/export', `${o}/bills/2026-11/export?format=xlsx`, A);

    // ——— Console sign-in: a session with its CSRF token ———
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'admin@contract.example', password },
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(responseOf['POST /v1/auth/login'].safeParse(login.json()).error).toBeUndefined();
    validated.add('POST /v1/auth/login');
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const session = await call('GET /v1/me', '/v1/me', { auth: { cookie } });
    expect(session.authenticatedBy).toBe('session');
    expect(session.csrfToken).toBe(login.json().csrfToken);

    // ——— The test clock and sign-out ———
    await call('GET /v1/internal/clock', '/v1/internal/clock', { auth: op });
    await call('POST /v1/internal/clock', '/v1/internal/clock', { auth: op, body: { advanceSeconds: 60 } });
    await call('POST /v1/auth/logout', '/v1/auth/logout', {
      auth: { cookie, 'x-csrf-token': session.csrfToken! },
    });

    // ——— The end of zeta's term (SPEC §8.1): expired, its unpaid upgrade cancelled by the system; renewed
    // in the buffer and left unpaid, then recycled (the renewal cancelled) and deleted ———
    const autoRenewOff = await call('PUT /v1/orgs/:orgId/settings/auto-renew', `${o}/settings/auto-renew`, {
      auth: A,
      body: { enabled: false },
    });
    expect(autoRenewOff.enabled).toBe(false);
    const clusterZ = () =>
      call('GET /v1/orgs/:orgId/clusters/:clusterId', `${o}/clusters/${z.id}`, { auth: A });
    t.clock.set(new Date(Date.parse(zNow.termEndsAt!) + 3_600_000).toISOString());
    const expired = await clusterZ();
    expect(expired).toMatchObject({ state: 'expired', availableActions: ['renew'] });
    const zUpEnded = await call('GET /v1/orgs/:orgId/orders/:orderId', `${o}/orders/${zUp.order.id}`, {
      auth: A,
    });
    expect(zUpEnded.status).toBe('cancelled');
    expect(zUpEnded.history.at(-1)).toMatchObject({
      to: 'cancelled',
      by: { type: 'system', id: null },
      reason: 'cluster_expired',
    });
    await runJobs();
    await call('POST /v1/orgs/:orgId/quotes', `${o}/quotes`, {
      auth: A,
      body: { type: 'renewal', clusterId: z.id, term: { unit: 'month', count: 1 } },
    });
    const late = await call('POST /v1/orgs/:orgId/clusters/:clusterId/renew', `${o}/clusters/${z.id}/renew`, {
      auth: A,
      body: { term: { unit: 'month', count: 1 } },
      status: 201,
    });
    expect(late.order.cancelsAt).toBe(expired.recycleAt);
    t.clock.set(new Date(Date.parse(expired.recycleAt!) + 1000).toISOString());
    expect((await clusterZ()).state).toBe('recycled');
    const lateEnded = await call('GET /v1/orgs/:orgId/orders/:orderId', `${o}/orders/${late.order.id}`, {
      auth: A,
    });
    expect(lateEnded.history.at(-1)).toMatchObject({ to: 'cancelled', reason: 'cluster_recycled' });
    await runJobs();
    t.clock.set(new Date(Date.parse(expired.deleteAt!) + 1000).toISOString());
    await runJobs();
    const gone = await call('GET /v1/orgs/:orgId/clusters', `${o}/clusters?limit=100`, { auth: A });
    expect(gone.items.find((x) => x.id === z.id)?.state).toBe('deleted');

    // ——— Webhooks (SPEC §9): a receiver on this machine (webhookAllowPrivate), one top-up told to it ———
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = await call('POST /v1/orgs/:orgId/webhooks', `${o}/webhooks`, {
      auth: A,
      body: { url: hookUrl, events: ['topup.credited'] },
      status: 201,
    });
    await call('GET /v1/orgs/:orgId/webhooks', `${o}/webhooks`, { auth: A });
    await call(
      'POST /v1/orgs/:orgId/webhooks/:webhookId/rotate-secret',
      `${o}/webhooks/${hook.id}/rotate-secret`,
      {
        auth: A,
      },
    );
    await bankTransfer({ ...transfer, amount: 10_000, bankReference: 'REF-CONTRACT-WEBHOOK' }, 201);
    await runJobs();
    const hookDeliveries = await call(
      'GET /v1/orgs/:orgId/webhooks/:webhookId/deliveries',
      `${o}/webhooks/${hook.id}/deliveries`,
      { auth: A },
    );
    expect(hookDeliveries.items.map((d) => d.status)).toEqual(['succeeded']);
    const deliveryId = hookDeliveries.items[0]!.id;
    await call(
      'POST /v1/orgs/:orgId/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
      `${o}/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`,
      { auth: A },
    );
    await call('GET /v1/internal/webhook-deliveries', '/v1/internal/webhook-deliveries?status=pending', {
      auth: op,
    });
    await call(
      'POST /v1/internal/webhook-deliveries/:deliveryId/retry',
      `/v1/internal/webhook-deliveries/${deliveryId}/retry`,
      { auth: op },
    );
    await call('DELETE /v1/orgs/:orgId/webhooks/:webhookId', `${o}/webhooks/${hook.id}`, { auth: A });
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));

    // ——— Notifications (SPEC §9): 站内信, the caller's settings, the low-balance threshold, the mail box ———
    const inbox = await call('GET /v1/me/notifications', '/v1/me/notifications?limit=100', { auth: A });
    const unread = inbox.items.filter((x) => x.readAt === null);
    expect(unread.length).toBeGreaterThan(1);
    const before = await call('GET /v1/me/notifications/unread-count', '/v1/me/notifications/unread-count', {
      auth: A,
    });
    expect(before.count).toBe(unread.length);
    const readOne = await call(
      'POST /v1/me/notifications/:id/read',
      `/v1/me/notifications/${unread[0]!.id}/read`,
      {
        auth: A,
      },
    );
    expect(readOne.readAt).not.toBeNull();
    const readAll = await call('POST /v1/me/notifications/read-all', '/v1/me/notifications/read-all', {
      auth: A,
    });
    expect(readAll.count).toBe(unread.length - 1);
    for (const auth of [A, bearer(viewer)]) {
      await call('GET /v1/me/notification-settings', '/v1/me/notification-settings', { auth });
      await call('GET /v1/me/settings', '/v1/me/settings', { auth });
    }
    const muted = await call('PUT /v1/me/notification-settings', '/v1/me/notification-settings', {
      auth: A,
      body: { muted: ['order_created', 'topup_credited'] },
    });
    expect(muted.muted).toEqual(['order_created', 'topup_credited']);
    const english = await call('PUT /v1/me/settings', '/v1/me/settings', { auth: A, body: { locale: 'en' } });
    expect(english.locale).toBe('en');
    for (const auth of [A, bearer(billing), bearer(padmin)]) {
      await call('GET /v1/orgs/:orgId/settings/low-balance', `${o}/settings/low-balance`, { auth });
    }
    const threshold = await call('PUT /v1/orgs/:orgId/settings/low-balance', `${o}/settings/low-balance`, {
      auth: bearer(billing),
      body: { threshold: 50_000 },
    });
    expect(threshold).toEqual({ threshold: 50_000, currency: 'CNY' });
    const mails = await call('GET /v1/internal/mail', '/v1/internal/mail', { auth: op });
    expect(mails.items.length).toBeGreaterThan(0);
    await call('GET /v1/internal/mail', `/v1/internal/mail?to=${encodeURIComponent(admin.user.email)}`, {
      auth: op,
    });
    await call('POST /v1/internal/mail/:id/retry', `/v1/internal/mail/${mails.items[0]!.id}/retry`, {
      auth: op,
    });

    // ——— Invoices (SPEC §10.4): the paid November bill and paid orders; one issued, one failed ———
    const invoiceable = await call('GET /v1/orgs/:orgId/invoiceable', `${o}/invoiceable?limit=100`, {
      auth: bearer(billing),
    });
    expect(invoiceable.items.map((x) => x.kind)).toContain('bill');
    expect(invoiceable.items.length).toBeGreaterThan(1);
    const [first, ...rest] = invoiceable.items;
    const emails = ['finance@contract.example'];
    const issuedInv = await call('POST /v1/orgs/:orgId/invoices', `${o}/invoices`, {
      auth: A,
      body: { items: [{ kind: first!.kind, id: first!.id }], type: 'special', remark: '合同', emails },
      status: 201,
    });
    t.clock.advance(1000);
    const failedInv = await call('POST /v1/orgs/:orgId/invoices', `${o}/invoices`, {
      auth: bearer(billing),
      body: { items: rest.map((x) => ({ kind: x.kind, id: x.id })), type: 'normal', emails },
      status: 201,
    });
    const queue = await call('GET /v1/internal/invoices', '/v1/internal/invoices', { auth: op });
    expect(queue.items.map((x) => x.id)).toEqual([issuedInv.id, failedInv.id]);
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    );
    await call('POST /v1/internal/invoices/:invoiceId/issue', `/v1/internal/invoices/${issuedInv.id}/issue`, {
      auth: op,
      body: {
        number: 'CONTRACT-0001',
        issuedAt: new Date(Date.parse(issuedInv.requestedAt) + 1000).toISOString(),
        pdfBase64: pdf.toString('base64'),
      },
    });
    await call('POST /v1/internal/invoices/:invoiceId/fail', `/v1/internal/invoices/${failedInv.id}/fail`, {
      auth: op,
      body: { reason: 'the tax authority refused it' },
    });
    for (const auth of [A, bearer(billing)]) {
      const invoices = await call('GET /v1/orgs/:orgId/invoices', `${o}/invoices`, { auth });
      expect(new Set(invoices.items.map((x) => x.status))).toEqual(new Set(['issued', 'failed']));
      await call('GET /v1/orgs/:orgId/invoices', `${o}/invoices?status=failed&limit=1`, { auth });
      for (const inv of invoices.items)
        await call('GET /v1/orgs/:orgId/invoices/:invoiceId', `${o}/invoices/${inv.id}`, { auth });
      await call('GET /v1/orgs/:orgId/settings/auto-invoice', `${o}/settings/auto-invoice`, { auth });
    }
    await document(
      'GET /v1/orgs/:orgId/invoices/:invoiceId/document',
      `${o}/invoices/${issuedInv.id}/document`,
      A,
    );
    const autoInvoice = await call(
      'PUT /v1/orgs/:orgId/settings/auto-invoice',
      `${o}/settings/auto-invoice`,
      {
        auth: bearer(billing),
        body: { enabled: true, emails },
      },
    );
    expect(autoInvoice.enabled).toBe(true);
  }

  return { run };
}
