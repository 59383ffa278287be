import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES } from '../../contract/webhooks.js';
import { sendWebhook } from '../../server/src/webhooks/send-webhook.js';
import { isPublicAddress } from '../../server/src/webhooks/webhook-address.js';
import { addRoleMembers, createOrg } from '../factories.js';
import { startTestTally } from '../harness.js';
import { register, request, startReceiver } from './support.js';

/** Registering webhook endpoints (SPEC §9): who may, which URLs, the secret shown once. */
const t = await startTestTally();
const PUBLIC_URL = 'https://93.184.215.14/hooks/tally';

describe('which URLs may receive webhooks', () => {
  it.each([
    ['http://93.184.215.14/hook', 'must be an https URL'],
    ['ftp://93.184.215.14/hook', 'must be an https URL'],
    ['https://127.0.0.1/hook', '127.0.0.1 is not a public address'],
    ['https://127.1.2.3:8443/hook', '127.1.2.3 is not a public address'],
    ['https://10.1.2.3/hook', '10.1.2.3 is not a public address'],
    ['https://172.20.0.5/hook', '172.20.0.5 is not a public address'],
    ['https://192.168.1.10/hook', '192.168.1.10 is not a public address'],
    ['https://[::1]/hook', '::1 is not a public address'],
    ['https://[fd00::1]/hook', 'fd00::1 is not a public address'],
    ['https://[fe80::1]/hook', 'fe80::1 is not a public address'],
    ['https://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1 is not a public address'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254 is not a public address'],
    ['https://0x7f.1/hook', '127.0.0.1 is not a public address'],
    ['https://localhost/hook', 'localhost resolves to'],
    ['https://user:pw@93.184.215.14/hook', 'must not carry a user name or password'],
    ['not a url', 'not a URL'],
  ])('refuses %s when private addresses are not allowed', async (url, message) => {
    const org = await createOrg(t, { projects: 0 });
    const r = await request(t, 'POST', `/v1/orgs/${org.id}/webhooks`, {
      auth: org.admin.auth,
      body: { url, events: ['order.paid'] },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('VALIDATION_FAILED');
    expect(r.json.error.details.issues).toEqual([
      { field: 'url', message: expect.stringContaining(message) },
    ]);
    const list = await request(t, 'GET', `/v1/orgs/${org.id}/webhooks`, { auth: org.admin.auth });
    expect(list.json.items).toEqual([]);
  });

  it('refuses event types outside SPEC §9 and repeated ones, and accepts all of SPEC §9', async () => {
    const org = await createOrg(t, { projects: 0 });
    for (const events of [[], ['order.paid', 'cluster.state_changed'], ['order.paid', 'order.paid']]) {
      const r = await request(t, 'POST', `/v1/orgs/${org.id}/webhooks`, {
        auth: org.admin.auth,
        body: { url: PUBLIC_URL, events },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
    }
    const all = await register(t, org.id, org.admin.auth, PUBLIC_URL, [...WEBHOOK_EVENT_TYPES]);
    expect(all.events).toEqual([...WEBHOOK_EVENT_TYPES]);
  });

  it('at most 10 endpoints per org; a deleted one frees its place', async () => {
    const org = await createOrg(t, { projects: 0 });
    const ids = [];
    for (let i = 0; i < 10; i++)
      ids.push((await register(t, org.id, org.admin.auth, `${PUBLIC_URL}/${i}`, ['order.paid'])).id);
    const over = await request(t, 'POST', `/v1/orgs/${org.id}/webhooks`, {
      auth: org.admin.auth,
      body: { url: PUBLIC_URL, events: ['order.paid'] },
    });
    expect(over.status).toBe(400);
    expect(over.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { limit: 10 } });
    const del = await request(t, 'DELETE', `/v1/orgs/${org.id}/webhooks/${ids[0]}`, { auth: org.admin.auth });
    expect(del).toMatchObject({ status: 200, json: { id: ids[0], deleted: true } });
    expect(
      (await request(t, 'DELETE', `/v1/orgs/${org.id}/webhooks/${ids[0]}`, { auth: org.admin.auth })).status,
    ).toBe(404);
    await register(t, org.id, org.admin.auth, PUBLIC_URL, ['order.paid']);
  });

  it('checks the address again at delivery: a name that resolves to a private address is not connected to', async () => {
    const rx = await startReceiver();
    const port = new URL(rx.url('/')).port;
    for (const url of [
      `http://localhost:${port}/x`,
      `https://localhost:${port}/x`,
      `https://127.0.0.1:${port}/x`,
    ]) {
      const o = await sendWebhook({ url, body: '{}', secret: 's', at: new Date(), allowPrivate: false });
      expect(o.statusCode).toBeNull();
      expect(o.error).toMatch(/^refused: /);
    }
    expect(rx.received).toHaveLength(0);
    // The same receiver is reached when the operator allows private addresses.
    const allowed = await sendWebhook({
      url: `http://localhost:${port}/x`,
      body: '{}',
      secret: 's',
      at: new Date(),
      allowPrivate: true,
    });
    expect(allowed).toMatchObject({ statusCode: 200, error: null });
    expect(rx.received).toHaveLength(1);
  });

  it('tells public addresses from the others', () => {
    for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])
      expect(isPublicAddress(a)).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '::',
      '::1',
      'fc00::1',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ])
      expect(isPublicAddress(a)).toBe(false);
  });
});

describe('the secret', () => {
  it('is answered once: on registration and on rotation, never in the list or on a replay', async () => {
    const org = await createOrg(t, { projects: 0 });
    const headers = { 'idempotency-key': 'register-hook-1' };
    const first = await request(t, 'POST', `/v1/orgs/${org.id}/webhooks`, {
      auth: org.admin.auth,
      headers,
      body: { url: PUBLIC_URL, events: ['order.paid', 'topup.credited'] },
    });
    expect(first.status).toBe(201);
    expect(first.json).toEqual({
      id: expect.stringMatching(/^wh_/),
      url: PUBLIC_URL,
      events: ['order.paid', 'topup.credited'],
      createdAt: t.clock.now().toISOString(),
      secretRotatedAt: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const replay = await request(t, 'POST', `/v1/orgs/${org.id}/webhooks`, {
      auth: org.admin.auth,
      headers,
      body: { url: PUBLIC_URL, events: ['order.paid', 'topup.credited'] },
    });
    expect(replay.status).toBe(409);
    expect(replay.json.error.code).toBe('IDEMPOTENT_REPLAY_UNAVAILABLE');
    expect(replay.body).not.toContain(first.json.secret);

    const list = await request(t, 'GET', `/v1/orgs/${org.id}/webhooks`, { auth: org.admin.auth });
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ items: [{ ...first.json, secret: undefined }], nextCursor: null });
    expect(list.body).not.toContain('whsec_');

    t.clock.advance(60_000);
    const rotated = await request(t, 'POST', `/v1/orgs/${org.id}/webhooks/${first.json.id}/rotate-secret`, {
      auth: org.admin.auth,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(first.json.secret);
    expect(rotated.json.secretRotatedAt).toBe(t.clock.now().toISOString());
    const again = await request(t, 'GET', `/v1/orgs/${org.id}/webhooks`, { auth: org.admin.auth });
    expect(again.body).not.toContain('whsec_');
    expect(again.json.items[0].secretRotatedAt).toBe(t.clock.now().toISOString());
  });
});

describe('who may manage webhooks', () => {
  it('only an Org Admin of the org; another org is 404', async () => {
    const org = await createOrg(t);
    const other = await createOrg(t, { projects: 0 });
    const m = await addRoleMembers(t, org, ['billingAdmin', 'orgMember', 'p1Admin', 'p1Viewer']);
    const hook = await register(t, org.id, org.admin.auth, PUBLIC_URL, ['topup.credited']);
    const base = `/v1/orgs/${org.id}/webhooks`;
    const calls = (id: string, deliveryId = 'whd_x') =>
      [
        ['GET', base],
        ['POST', base, { url: PUBLIC_URL, events: ['order.paid'] }],
        ['DELETE', `${base}/${id}`],
        ['POST', `${base}/${id}/rotate-secret`],
        ['GET', `${base}/${id}/deliveries`],
        ['POST', `${base}/${id}/deliveries/${deliveryId}/redeliver`],
      ] as const;
    for (const who of Object.values(m)) {
      for (const [method, url, body] of calls(hook.id)) {
        const r = await request(t, method, url, { auth: who.auth, body });
        expect([method, url, r.status, r.json?.error?.code]).toEqual([method, url, 403, 'FORBIDDEN']);
      }
    }
    for (const [method, url, body] of calls(hook.id)) {
      const r = await request(t, method, url, { auth: other.admin.auth, body });
      expect([method, url, r.status]).toEqual([method, url, 404]);
    }
    // Another org's admin naming this org's webhook under their own org: not found either.
    const theirs = `/v1/orgs/${other.id}/webhooks/${hook.id}`;
    expect((await request(t, 'GET', `${theirs}/deliveries`, { auth: other.admin.auth })).status).toBe(404);
    expect((await request(t, 'POST', `${theirs}/rotate-secret`, { auth: other.admin.auth })).status).toBe(
      404,
    );
    expect((await request(t, 'DELETE', theirs, { auth: other.admin.auth })).status).toBe(404);
    // Nothing changed: the endpoint is there with its secret, and no one else registered one.
    const list = await request(t, 'GET', base, { auth: org.admin.auth });
    expect(list.json.items.map((w: { id: string }) => w.id)).toEqual([hook.id]);
    expect(list.json.items[0].secretRotatedAt).toBeNull();
    const ds = await request(t, 'GET', `${base}/${hook.id}/deliveries`, { auth: org.admin.auth });
    expect(ds).toMatchObject({ status: 200, json: { items: [], nextCursor: null } });
    // The operator's routes need the operator token.
    const internal = await request(t, 'GET', '/v1/internal/webhook-deliveries', { auth: org.admin.auth });
    expect(internal.status).toBe(403);
  });
});
