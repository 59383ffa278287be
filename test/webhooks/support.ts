import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';
import type { WebhookDelivery } from '../../contract/webhooks.js';
import { api } from '../factories.js';
import type { TestTally } from '../harness.js';

/**
 * What a receiver does with a Tally webhook before trusting it: the lines the README offers to copy. The
 * signature is over "<t>.<raw body>", so it is checked on the bytes received, before parsing them.
 */
export function verifyTallySignature(
  secret: string,
  header: string,
  rawBody: string,
  nowSeconds = Date.now() / 1000,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = parts.get('t') ?? '';
  const v1 = parts.get('v1') ?? '';
  if (!/^\d+$/.test(t) || Math.abs(nowSeconds - Number(t)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return v1.length === expected.length && timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request had fully arrived */
  atMs: number;
}

/**
 * A real HTTP receiver on a random port. `answer(path, n)` gives the status for the n-th request (1-based) to
 * that path; `null` means never answer (the connection stays open until the server closes).
 */
export async function startReceiver(answer: (path: string, n: number) => number | null = () => 200) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        atMs: performance.now(),
      });
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const status = answer(path, n);
      if (status === null) return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { received, url: (path: string) => `http://127.0.0.1:${port}${path}`, server };
}

/** The factories' request helper, under the name these tests use. */
export const request = api;

export async function register(
  t: TestTally,
  orgId: string,
  auth: { authorization: string },
  url: string,
  events: string[],
): Promise<{ id: string; secret: string; url: string; events: string[] }> {
  const r = await request(t, 'POST', `/v1/orgs/${orgId}/webhooks`, { auth, body: { url, events } });
  if (r.status !== 201) throw new Error(`register webhook: ${r.status} ${r.body}`);
  return r.json;
}

export async function deliveries(
  t: TestTally,
  orgId: string,
  webhookId: string,
  auth: { authorization: string },
) {
  const r = await request(t, 'GET', `/v1/orgs/${orgId}/webhooks/${webhookId}/deliveries?limit=100`, { auth });
  if (r.status !== 200) throw new Error(`deliveries: ${r.status} ${r.body}`);
  return r.json.items as WebhookDelivery[];
}

/** The endpoint's newest delivery (the tests that use it make one event at a time). */
export async function latestDelivery(
  t: TestTally,
  orgId: string,
  webhookId: string,
  auth: { authorization: string },
): Promise<WebhookDelivery> {
  const [d] = await deliveries(t, orgId, webhookId, auth);
  if (!d) throw new Error('no delivery');
  return d;
}
