import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, buyCluster, createOrg } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * A slow SMTP server (SPEC §9): one that accepts the connection and never answers. The request that caused the
 * event answers at once; the job gives up on the send after the greeting timeout (a few seconds), records the
 * attempt and retries later.
 */
describe('SMTP that never answers', () => {
  let t: TestTally;
  const sockets: Socket[] = [];
  const silent = createServer((s) => {
    sockets.push(s);
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    t = await startTestTally({ config: { smtpUrl: `smtp://127.0.0.1:${port}` } });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
  });

  it('the request is prompt; the job gives up within seconds and keeps the mail pending for a retry', async () => {
    const org = await createOrg(t);
    const started = performance.now();
    const { order } = await buyCluster(t, org);
    expect(performance.now() - started).toBeLessThan(2_000);
    const jobStarted = performance.now();
    await t.jobs.runAllOnce();
    const took = performance.now() - jobStarted;
    expect(took).toBeGreaterThan(4_000);
    expect(took).toBeLessThan(15_000);
    const box = await api(t, 'GET', `/v1/internal/mail?to=${encodeURIComponent(org.admin.email)}`, {
      auth: t.op,
    });
    const mail = box.json.items.find((m: { subject: string }) => m.subject.includes(order.id));
    expect(mail).toMatchObject({ status: 'pending', attempts: 1 });
    expect(mail.lastError).toMatch(/greeting|timeout/i);
  }, 30_000);
});
