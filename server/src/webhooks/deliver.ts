import type { WebhookDeliveryStatus } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures } from '../isolation/job-failures.repository.js';
import { markConsumed } from '../outbox/consumers.js';
import { newId } from '../platform/ids.js';
import { sendWebhook, WEBHOOK_TIMEOUT_MS } from './send-webhook.js';
import { webhookBody, webhookEventId, webhookEventsOf } from './webhook-events.js';
import {
  claimUnsentEvents,
  type DueDelivery,
  endpointsOfOrgs,
  insertDeliveries,
  lockDueDeliveries,
  orgsWithUnsentEvents,
  recordAttempt,
  takeDeliveries,
  WEBHOOKS_JOB,
} from './webhooks.repository.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** SPEC §9: retries with growing delays for 3 days after the first attempt, then the delivery has failed. */
export const RETRY_WINDOW_MS = 72 * HOUR;
/** The waits after each failed attempt; the last repeats, and one final attempt is made at the window's end. */
const RETRY_DELAYS_MS = [MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];

/**
 * What follows an attempt. The schedule is reckoned from the first attempt of the window (offsets 1 min,
 * 6 min, 36 min, 2 h 36 min, 8 h 36 min, 20 h 36 min, 44 h 36 min, 68 h 36 min, then 72 h), so that it does
 * not depend on how late a run was, and the window always ends with an attempt at its end.
 */
export function afterAttempt(
  succeeded: boolean,
  at: Date,
  firstAttemptAt: Date,
): { status: WebhookDeliveryStatus; nextAttemptAt: Date | null } {
  if (succeeded) return { status: 'succeeded', nextAttemptAt: null };
  const first = firstAttemptAt.getTime();
  const end = first + RETRY_WINDOW_MS;
  if (at.getTime() >= end) return { status: 'failed', nextAttemptAt: null };
  let offset = 0;
  for (let i = 0; ; i++) {
    offset += RETRY_DELAYS_MS[Math.min(i, RETRY_DELAYS_MS.length - 1)]!;
    if (first + offset > at.getTime()) break;
  }
  return { status: 'pending', nextAttemptAt: new Date(Math.min(first + offset, end)) };
}

/** Outbox events per batch, and batches per run: a backlog drains over several runs. */
const EVENTS_PER_BATCH = 500;
const EVENT_BATCHES_PER_RUN = 10;
/** Deliveries sent per run, per endpoint per run, and at once. */
const DELIVERIES_PER_RUN = 32;
const DELIVERIES_PER_ENDPOINT_PER_RUN = 4;
const CONCURRENCY = 16;
/**
 * How long a taken delivery is another instance's to leave alone: well past one attempt's timeout, so that
 * only a crashed instance's deliveries are taken again.
 */
const LEASE_MS = 5 * MINUTE;

export interface WebhookRunOptions {
  /** for tests of the retry schedule; a server always uses SPEC §9's 10 s */
  timeoutMs?: number;
}

/** One run of the webhook job (SPEC §9): events into deliveries, and deliveries out with retries. */
export async function runWebhooks(
  deps: Deps,
  now: Date,
  opts: WebhookRunOptions = {},
): Promise<{ delivered: number; retried: number; failed: number }> {
  await fanOut(deps, now);
  return sendDue(deps, now, opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
}

// ——— Events into deliveries ———

async function fanOut(deps: Deps, now: Date): Promise<void> {
  for (let i = 0; i < EVENT_BATCHES_PER_RUN; i++) {
    let seen: number;
    try {
      seen = await deps.db.transaction().execute((tx) => fanOutBatch(tx, now));
    } catch {
      // One org's bad data never stops another's: find it by bisection, record it, go on without it.
      const orgs = await orgsWithUnsentEvents(deps.db, now, EVENTS_PER_BATCH);
      const r = await isolateOrgs(deps.db, { name: WEBHOOKS_JOB, now }, orgs, async (ids) => [
        await deps.db.transaction().execute((tx) => fanOutBatch(tx, now, ids)),
      ]);
      seen = r.results.reduce((a, b) => a + b, 0);
    }
    if (seen < EVENTS_PER_BATCH) return;
  }
}

async function fanOutBatch(tx: Parameters<typeof claimUnsentEvents>[0], now: Date, orgIds?: string[]) {
  const events = await claimUnsentEvents(tx, now, EVENTS_PER_BATCH, orgIds);
  if (events.length === 0) return 0;
  const orgs = [...new Set(events.map((e) => e.org_id))];
  const endpoints = await endpointsOfOrgs(tx, orgs);
  const rows = [];
  for (const e of events) {
    const payload = (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload) as Record<
      string,
      unknown
    >;
    for (const w of webhookEventsOf(e.type, payload, e.currency)) {
      // An endpoint hears of what happened after it was registered.
      const to = endpoints.filter(
        (x) => x.org_id === e.org_id && x.events.includes(w.type) && x.created_at <= e.created_at,
      );
      if (to.length === 0) continue;
      const eventId = webhookEventId(e.org_id, e.id, w.type);
      const body = webhookBody({
        id: eventId,
        type: w.type,
        createdAt: e.created_at,
        orgId: e.org_id,
        data: w.data,
      });
      for (const x of to) {
        rows.push({
          org_id: e.org_id,
          id: newId('whd', now),
          endpoint_id: x.id,
          event_id: eventId,
          event_type: w.type,
          outbox_id: e.id,
          body,
          status: 'pending' as const,
          first_attempt_at: null,
          next_attempt_at: now,
          created_at: now,
          updated_at: now,
        });
      }
    }
  }
  await insertDeliveries(tx, rows);
  await markConsumed(tx, 'webhooks', events, now);
  await clearJobFailures(tx, WEBHOOKS_JOB, orgs);
  return events.length;
}

// ——— Deliveries out ———

async function takeDue(deps: Deps, now: Date): Promise<DueDelivery[]> {
  return deps.db.transaction().execute(async (tx) => {
    const due = await lockDueDeliveries(tx, now, DELIVERIES_PER_RUN * 4);
    // A few per endpoint, so that one endpoint's backlog (or one that never answers) leaves room for others.
    const perEndpoint = new Map<string, number>();
    const taken: DueDelivery[] = [];
    for (const d of due) {
      const key = `${d.org_id}/${d.endpoint_id}`;
      const n = perEndpoint.get(key) ?? 0;
      if (n >= DELIVERIES_PER_ENDPOINT_PER_RUN) continue;
      perEndpoint.set(key, n + 1);
      taken.push(d);
      if (taken.length >= DELIVERIES_PER_RUN) break;
    }
    await takeDeliveries(tx, taken, new Date(now.getTime() + LEASE_MS));
    return taken;
  });
}

/**
 * Sends what is due, CONCURRENCY at a time. Nothing is held open while a receiver answers: deliveries are
 * taken in one short transaction and each outcome is recorded in its own, so a run lasts about one timeout
 * per CONCURRENCY deliveries at worst, and a request never waits on it.
 */
async function sendDue(deps: Deps, now: Date, timeoutMs: number) {
  const counts = { delivered: 0, retried: 0, failed: 0 };
  const taken = await takeDue(deps, now);
  let next = 0;
  const worker = async () => {
    while (next < taken.length) {
      const d = taken[next++]!;
      try {
        const outcome = await sendWebhook({
          url: d.url,
          body: d.body,
          secret: d.secret,
          at: now,
          allowPrivate: deps.config.webhookAllowPrivate,
          timeoutMs,
        });
        const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
        const firstAttemptAt = d.first_attempt_at ?? now;
        const after = afterAttempt(ok, now, firstAttemptAt);
        const recorded = await deps.db.transaction().execute((tx) =>
          recordAttempt(
            tx,
            d,
            {
              at: now,
              status_code: outcome.statusCode,
              error: outcome.error,
              duration_ms: outcome.durationMs,
            },
            { ...after, firstAttemptAt },
            now,
          ),
        );
        if (!recorded) continue;
        if (after.status === 'succeeded') counts.delivered++;
        else if (after.status === 'failed') counts.failed++;
        else counts.retried++;
      } catch (err) {
        // Recording failed (the database): the lease runs out and the delivery is sent again later.
        deps.log.warn(
          { job: WEBHOOKS_JOB, org: d.org_id, delivery: d.id, err },
          'webhook attempt not recorded',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, taken.length) }, worker));
  return counts;
}
