import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { hostOf, isPublicAddress, publicOnlyLookup, urlProblem } from './webhook-address.js';

/** SPEC §9: a 2xx within 10 s is success. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** `Tally-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (SPEC §9). */
export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

export interface AttemptOutcome {
  /** the receiver's HTTP status, or null when none came */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

const ERROR_MAX = 300;

/**
 * One POST of a webhook body. It never throws: a refusal, a network error or the timeout is an outcome.
 * node:http rather than fetch, for its `lookup` hook: the connection goes to the address that was checked
 * (publicOnlyLookup), which fetch cannot promise. No redirect is followed (a 3xx is not success), and the
 * answer's body is not read.
 */
export async function sendWebhook(p: {
  url: string;
  body: string;
  secret: string;
  at: Date;
  allowPrivate: boolean;
  timeoutMs?: number;
}): Promise<AttemptOutcome> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): AttemptOutcome => ({
    statusCode,
    error: error === null ? null : error.slice(0, ERROR_MAX),
    durationMs: Math.max(0, Math.round(performance.now() - started)),
  });
  const problem = urlProblem(p.url, p.allowPrivate);
  if (problem) return done(null, `refused: the URL ${problem}`);
  const url = new URL(p.url);
  const host = hostOf(url);
  // An address in the URL is connected to without a lookup, so it is checked here.
  if (!p.allowPrivate && isIP(host) && !isPublicAddress(host)) {
    return done(null, `refused: ${host} is not a public address`);
  }
  const timeoutMs = p.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const settle = (o: AttemptOutcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(p.body),
          'user-agent': 'Tally-Webhooks/1',
          'tally-signature': signatureHeader(p.secret, p.body, p.at),
        },
        // One connection per attempt: nothing is kept open to a receiver between attempts.
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
        ...(p.allowPrivate ? {} : { lookup: publicOnlyLookup }),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.destroy();
        settle(done(status, status >= 200 && status < 300 ? null : `HTTP ${status}`));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const error =
        err.name === 'AbortError' || err.name === 'TimeoutError'
          ? `no answer within ${timeoutMs / 1000} s`
          : err.code === 'EADDRNOTPUBLIC'
            ? `refused: ${err.message}`
            : `${err.code ?? err.name}: ${err.message}`;
      settle(done(null, error));
    });
    req.end(p.body);
  });
}
