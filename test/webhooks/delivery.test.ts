import { describe, expect, it } from 'vitest';
import { runWebhooks } from '../../server/src/webhooks/deliver.js';
import { buyCluster, createOrg, topUp } from '../factories.js';
import { onPostgres, startTestTally } from '../harness.js';
import {
  deliveries,
  latestDelivery,
  register,
  request,
  startReceiver,
  verifyTallySignature,
} from './support.js';

/**
 * Webhook deliveries (SPEC §9) to real receivers on this machine (the operator allows private addresses):
 * the retry after the backoff, the signature, the exact body, once per event and endpoint however many runs,
 * and a receiver that never answers.
 */
const t = await startTestTally({ config: { webhookAllowPrivate: true } });
const seconds = () => Math.floor(t.clock.now().getTime() / 1000);

describe('a receiver that fails first', () => {
  it('gets the retry once the clock passes the backoff, signed, with the same exact body', async () => {
    const rx = await startReceiver((_path, n) => (n === 1 ? 500 : 200));
    const org = await createOrg(t);
    const hook = await register(t, org.id, org.admin.auth, rx.url('/first-fails'), ['topup.credited']);
    expect(hook.secret).toMatch(/^whsec_/);

    const creditedAt = t.clock.now();
    const topup = await topUp(t, org, 50_000);
    const firstAt = seconds();
    let run = (await t.jobs.runAllOnce()).webhooks;
    expect(run).toEqual({ delivered: 0, retried: 1, failed: 0 });
    expect(rx.received).toHaveLength(1);

    // Not before the first delay (1 min) has passed.
    await t.jobs.runAllOnce();
    t.clock.advance(59_000);
    await t.jobs.runAllOnce();
    expect(rx.received).toHaveLength(1);
    t.clock.advance(1_000);
    run = (await t.jobs.runAllOnce()).webhooks;
    expect(run).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(rx.received).toHaveLength(2);
    await t.jobs.runAllOnce();
    expect(rx.received).toHaveLength(2);

    const [first, second] = rx.received;
    // The same bytes on every attempt: the same event id.
    expect(second!.body).toBe(first!.body);
    const body = JSON.parse(second!.body);
    expect(Object.keys(body)).toEqual(['id', 'type', 'createdAt', 'orgId', 'data']);
    expect(body).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
      type: 'topup.credited',
      createdAt: creditedAt.toISOString(),
      orgId: org.id,
      data: { topupId: topup.id, amount: 50_000, currency: 'CNY' },
    });
    expect(first!.headers['content-type']).toBe('application/json');
    for (const [r, at] of [
      [first!, firstAt],
      [second!, firstAt + 60],
    ] as const) {
      const header = String(r.headers['tally-signature']);
      expect(header).toMatch(new RegExp(`^t=${at},v1=[0-9a-f]{64}$`));
      expect(verifyTallySignature(hook.secret, header, r.body, seconds())).toBe(true);
      expect(verifyTallySignature(hook.secret, header, `${r.body} `, seconds())).toBe(false);
      expect(verifyTallySignature(`${hook.secret}x`, header, r.body, seconds())).toBe(false);
    }

    const d = await latestDelivery(t, org.id, hook.id, org.admin.auth);
    expect(d).toMatchObject({
      eventId: body.id,
      type: 'topup.credited',
      status: 'succeeded',
      nextAttemptAt: null,
    });
    expect(d.attempts).toEqual([
      {
        at: new Date(firstAt * 1000).toISOString(),
        statusCode: 500,
        error: 'HTTP 500',
        durationMs: expect.any(Number),
      },
      {
        at: new Date((firstAt + 60) * 1000).toISOString(),
        statusCode: 200,
        error: null,
        durationMs: expect.any(Number),
      },
    ]);

    // Redeliver a succeeded delivery: a new attempt with the same event, sent by the job, not the request.
    const re = await request(
      t,
      'POST',
      `/v1/orgs/${org.id}/webhooks/${hook.id}/deliveries/${d.id}/redeliver`,
      {
        auth: org.admin.auth,
      },
    );
    expect(re.status).toBe(200);
    expect(re.json).toMatchObject({
      id: d.id,
      status: 'pending',
      nextAttemptAt: t.clock.now().toISOString(),
    });
    expect(rx.received).toHaveLength(2);
    await t.jobs.runAllOnce();
    expect(rx.received).toHaveLength(3);
    expect(rx.received[2]!.body).toBe(first!.body);

    // After rotation every attempt is signed with the new secret, and the old one verifies nothing.
    const rotated = await request(t, 'POST', `/v1/orgs/${org.id}/webhooks/${hook.id}/rotate-secret`, {
      auth: org.admin.auth,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(hook.secret);
    await request(t, 'POST', `/v1/orgs/${org.id}/webhooks/${hook.id}/deliveries/${d.id}/redeliver`, {
      auth: org.admin.auth,
    });
    await t.jobs.runAllOnce();
    expect(rx.received).toHaveLength(4);
    const last = rx.received[3]!;
    const header = String(last.headers['tally-signature']);
    expect(verifyTallySignature(rotated.json.secret, header, last.body, seconds())).toBe(true);
    expect(verifyTallySignature(hook.secret, header, last.body, seconds())).toBe(false);
    const after = await latestDelivery(t, org.id, hook.id, org.admin.auth);
    expect(after.attempts.map((a) => a.statusCode)).toEqual([500, 200, 200, 200]);
  });
});

describe('each event reaches each subscribed endpoint once', () => {
  it('across repeated and concurrent runs, and only the endpoints of its org that subscribed', async () => {
    const rx = await startReceiver();
    const a = await createOrg(t);
    const b = await createOrg(t);
    const both = await register(t, a.id, a.admin.auth, rx.url('/a-both'), [
      'topup.credited',
      'order.created',
    ]);
    const topups = await register(t, a.id, a.admin.auth, rx.url('/a-topups'), ['topup.credited']);
    const orders = await register(t, a.id, a.admin.auth, rx.url('/a-orders'), ['order.created']);
    const other = await register(t, b.id, b.admin.auth, rx.url('/b-topups'), ['topup.credited']);
    for (let i = 1; i <= 5; i++) await topUp(t, a, 100_000 + i);
    await topUp(t, b, 7_000);
    const { order } = await buyCluster(t, a);

    // Several runs at once (on PostgreSQL on separate connections), then again, and again.
    for (let round = 0; round < 3; round++) {
      const now = t.clock.now();
      await Promise.all([
        runWebhooks(t.deps, now),
        runWebhooks(t.deps, now),
        runWebhooks(t.deps, now),
        t.jobs.runAllOnce(),
      ]);
    }

    const byPath = (p: string) => rx.received.filter((r) => r.path === p).map((r) => JSON.parse(r.body));
    const ids = (p: string) => byPath(p).map((x) => x.id);
    expect(new Set(ids('/a-both')).size).toBe(ids('/a-both').length);
    expect(
      byPath('/a-both')
        .map((x) => x.type)
        .sort(),
    ).toEqual([...Array(5).fill('topup.credited'), 'order.created'].sort());
    expect(
      byPath('/a-topups')
        .map((x) => x.data.amount)
        .sort(),
    ).toEqual([100_001, 100_002, 100_003, 100_004, 100_005]);
    expect(byPath('/a-orders')).toEqual([
      expect.objectContaining({
        type: 'order.created',
        orgId: a.id,
        data: expect.objectContaining({ orderId: order.id }),
      }),
    ]);
    expect(byPath('/b-topups').map((x) => [x.orgId, x.data.amount])).toEqual([[b.id, 7_000]]);
    // One event, one id, to every endpoint that hears it.
    expect(ids('/a-topups').sort()).toEqual(
      byPath('/a-both')
        .filter((x) => x.type === 'topup.credited')
        .map((x) => x.id)
        .sort(),
    );
    expect(rx.received).toHaveLength(6 + 5 + 1 + 1);

    for (const [org, hook, n] of [
      [a, both, 6],
      [a, topups, 5],
      [a, orders, 1],
      [b, other, 1],
    ] as const) {
      const list = await deliveries(t, org.id, hook.id, org.admin.auth);
      expect(list).toHaveLength(n);
      for (const d of list)
        expect(d).toMatchObject({
          status: 'succeeded',
          attempts: [expect.objectContaining({ statusCode: 200 })],
        });
    }
  });

  it.runIf(onPostgres)(
    'with runs racing on separate connections, a delivery is attempted once per due time',
    async () => {
      const rx = await startReceiver();
      const org = await createOrg(t);
      await register(t, org.id, org.admin.auth, rx.url('/race'), ['topup.credited']);
      for (let i = 0; i < 12; i++) await topUp(t, org, 1_000 + i);
      const now = t.clock.now();
      // Rounds of six racing runs until nothing is left to send: a run sends at most 4 deliveries per
      // endpoint, so how many rounds that takes depends on how the runs interleave; what may not vary is that
      // each delivery arrives once.
      const race = () => rx.received.filter((r) => r.path === '/race').length;
      for (let round = 0, before = -1; round < 10 && race() !== before; round++) {
        before = race();
        await Promise.all(Array.from({ length: 6 }, () => runWebhooks(t.deps, now)));
      }
      const bodies = rx.received.filter((r) => r.path === '/race').map((r) => JSON.parse(r.body));
      expect(bodies).toHaveLength(12);
      expect(new Set(bodies.map((x) => x.id)).size).toBe(12);
    },
  );
});

describe('a receiver that never answers', () => {
  it('holds no other endpoint beyond the timeout, and its delivery fails after 3 days of retries', async () => {
    const rx = await startReceiver((path) => (path === '/silent' ? null : 200));
    const org = await createOrg(t);
    const silent = await register(t, org.id, org.admin.auth, rx.url('/silent'), ['topup.credited']);
    const fine = await register(t, org.id, org.admin.auth, rx.url('/fine'), ['topup.credited']);
    await topUp(t, org, 30_000);

    const started = performance.now();
    const run = (await t.jobs.runAllOnce()).webhooks;
    const ranMs = performance.now() - started;
    expect(run).toEqual({ delivered: 1, retried: 1, failed: 0 });
    const fineAt = rx.received.find((r) => r.path === '/fine')!.atMs - started;
    expect(fineAt).toBeLessThan(3_000);
    // The run waited for the silent receiver exactly up to the 10 s timeout, no longer.
    expect(ranMs).toBeGreaterThanOrEqual(9_900);
    expect(ranMs).toBeLessThan(16_000);
    const d0 = await latestDelivery(t, org.id, silent.id, org.admin.auth);
    expect(d0.attempts).toEqual([
      {
        at: expect.any(String),
        statusCode: null,
        error: 'no answer within 10 s',
        durationMs: expect.any(Number),
      },
    ]);
    expect(d0.attempts[0]!.durationMs).toBeGreaterThanOrEqual(9_900);
    const ok = await latestDelivery(t, org.id, fine.id, org.admin.auth);
    expect(ok.status).toBe('succeeded');

    // The rest of the 3 days, with a short timeout so that the test does not wait 10 s per attempt.
    const firstAt = new Date(d0.attempts[0]!.at).getTime();
    let d = d0;
    const attemptsAt: number[] = [firstAt];
    for (let i = 0; i < 20 && d.status === 'pending'; i++) {
      const due = new Date(d.nextAttemptAt ?? Number.NaN).getTime();
      t.clock.advance(due - 1_000 - t.clock.now().getTime());
      await runWebhooks(t.deps, t.clock.now(), { timeoutMs: 200 });
      expect((await latestDelivery(t, org.id, silent.id, org.admin.auth)).attempts).toHaveLength(
        attemptsAt.length,
      );
      t.clock.advance(1_000);
      await runWebhooks(t.deps, t.clock.now(), { timeoutMs: 200 });
      d = await latestDelivery(t, org.id, silent.id, org.admin.auth);
      attemptsAt.push(due);
      expect(d.attempts).toHaveLength(attemptsAt.length);
    }
    const minute = 60_000;
    expect(attemptsAt.map((at) => (at - firstAt) / minute)).toEqual([
      0,
      1,
      6,
      36,
      156,
      516,
      1236,
      2676,
      4116,
      72 * 60,
    ]);
    expect(d.status).toBe('failed');
    expect(d.nextAttemptAt).toBeNull();
    expect(d.attempts.every((a) => a.statusCode === null && a.error?.startsWith('no answer'))).toBe(true);

    // The operator sees it among the failed deliveries and can send it again.
    const failed = await request(t, 'GET', '/v1/internal/webhook-deliveries?status=failed', { auth: t.op });
    expect(failed.status).toBe(200);
    expect(failed.json.items).toContainEqual(
      expect.objectContaining({
        id: d.id,
        orgId: org.id,
        webhookId: silent.id,
        url: rx.url('/silent'),
        status: 'failed',
      }),
    );
    const retry = await request(t, 'POST', `/v1/internal/webhook-deliveries/${d.id}/retry`, { auth: t.op });
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({
      id: d.id,
      status: 'pending',
      nextAttemptAt: t.clock.now().toISOString(),
    });
    const none = await request(t, 'POST', '/v1/internal/webhook-deliveries/whd_unknown/retry', {
      auth: t.op,
    });
    expect(none.status).toBe(404);
  }, 60_000);
});

describe('a deleted endpoint', () => {
  it('is sent nothing more, not even the retries it had pending', async () => {
    const rx = await startReceiver(() => 503);
    const org = await createOrg(t);
    const hook = await register(t, org.id, org.admin.auth, rx.url('/deleted'), ['topup.credited']);
    await topUp(t, org, 20_000);
    await t.jobs.runAllOnce();
    expect(rx.received.map((r) => r.path)).toEqual(['/deleted']);
    const del = await request(t, 'DELETE', `/v1/orgs/${org.id}/webhooks/${hook.id}`, {
      auth: org.admin.auth,
    });
    expect(del.status).toBe(200);
    await topUp(t, org, 20_001);
    t.clock.advance(3_600_000);
    await t.jobs.runAllOnce();
    expect(rx.received).toHaveLength(1);
    const gone = await request(t, 'GET', `/v1/orgs/${org.id}/webhooks/${hook.id}/deliveries`, {
      auth: org.admin.auth,
    });
    expect(gone.status).toBe(404);
  });
});
