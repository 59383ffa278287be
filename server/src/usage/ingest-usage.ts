import { sql } from 'kysely';
import type { z } from 'zod';
import type { UsageEvent } from '../../../contract/api.js';
import { addMonths, currentMonth } from '../billing/bill-period.js';
import { lockBillMonthsShared } from '../billing/billing.repository.js';
import {
  billableUnits,
  MAX_EVENT_SPAN_MS,
  MAX_FUTURE_END_MS,
  MAX_PAST_START_MS,
  MAX_QUANTITY_GB,
  toMilli,
} from '../billing/usage-units.js';
import { deleteAtOf } from '../clusters/term-timeline.js';
import type { Tx } from '../db/schema.js';
import { AppError } from '../platform/errors.js';
import { monthOf } from '../platform/time.js';
import type { Catalog } from '../pricing/catalog.js';

type Event = z.infer<typeof UsageEvent>;

interface Issue {
  field: string;
  message: string;
  eventId?: string;
  rule?: string;
}

/**
 * Records a batch of pay-as-you-go usage events, each once per (org, event id) however often it is sent.
 * The price per unit comes from the catalog (the cluster's region) and is frozen on the event. An event
 * belongs to the bill of the month its period starts in (billing time zone), unless that bill is already
 * issued (or the month precedes the org): then it lands in the current, open month. The batch is all or
 * nothing: an event naming an unknown cluster, or outside the bounds of usage-units.ts (span, quantity, how far
 * in the future or the past), fails it with VALIDATION_FAILED naming the event and the rule, and nothing is stored.
 */
export async function ingestUsage(
  tx: Tx,
  ctx: { catalog: Catalog; billingTimeZone: string },
  events: Event[],
  now: Date,
): Promise<{
  accepted: number;
  duplicates: number;
  events: { id: string; status: 'accepted' | 'duplicate'; billMonth?: string }[];
}> {
  const issues: Issue[] = [];
  const open = currentMonth(now, ctx.billingTimeZone);
  events.forEach((e, i) => {
    // The bounds of SPEC §11: a sum of bounded events cannot overflow, and one absurd event cannot poison a bill.
    const refuse = (field: string, rule: string, message: string) =>
      issues.push({
        field: `events.${i}.${field}`,
        message: `event ${e.id}: ${message}`,
        eventId: e.id,
        rule,
      });
    const span = e.end.getTime() - e.start.getTime();
    if (span <= 0) refuse('end', 'end_after_start', 'end must be after start');
    else if (span > MAX_EVENT_SPAN_MS) refuse('end', 'max_span', 'an event spans at most 31 days');
    if (e.end.getTime() > now.getTime() + MAX_FUTURE_END_MS)
      refuse('end', 'max_future_end', 'end may be at most 1 hour after now');
    if (e.start.getTime() < now.getTime() - MAX_PAST_START_MS)
      refuse('start', 'max_past_start', 'start may be at most 366 days before now');
    if (e.quantity > MAX_QUANTITY_GB)
      refuse('quantity', 'max_quantity', `quantity is at most ${MAX_QUANTITY_GB} GB`);
    else if (toMilli(e.quantity) === undefined)
      refuse('quantity', 'quantity_decimals', 'quantity has at most 3 decimals (GB)');
    if (monthOf(e.start, ctx.billingTimeZone) > open)
      refuse('start', 'month_not_begun', 'start is in a month that has not begun');
  });
  const keys = [...new Set(events.map((e) => `${e.orgId}\u0000${e.clusterId}`))].map((k) =>
    k.split('\u0000'),
  );
  // Two array parameters, not a list of row tuples (a long tuple IN-list stalls PGlite).
  const clusters = (
    await sql<{
      org_id: string;
      id: string;
      region: string;
      term_ends_at: Date | null;
      org_created_at: Date;
    }>`
      select c.org_id, c.id, c.region, c.term_ends_at, o.created_at as org_created_at
      from unnest(${keys.map((k) => k[0])}::text[], ${keys.map((k) => k[1])}::text[]) as k(org_id, id)
      join clusters c on c.org_id = k.org_id and c.id = k.id
      join orgs o on o.id = c.org_id`.execute(tx)
  ).rows;
  const byKey = new Map(clusters.map((c) => [`${c.org_id}\u0000${c.id}`, c]));
  events.forEach((e, i) => {
    const c = byKey.get(`${e.orgId}\u0000${e.clusterId}`);
    if (!c) issues.push({ field: `events.${i}.clusterId`, message: 'no such cluster in this org' });
    else if (!ctx.catalog.regions.some((r) => r.id === c.region))
      issues.push({ field: `events.${i}.clusterId`, message: `no usage prices for region ${c.region}` });
    // SPEC §8.1: an expired or recycled cluster's data is kept and billed; a deleted one has none after deleteAt.
    else if (c.term_ends_at && e.end.getTime() > deleteAtOf(c.term_ends_at).getTime())
      issues.push({
        field: `events.${i}.end`,
        message: `the cluster was deleted at ${deleteAtOf(c.term_ends_at).toISOString()}; no usage after that`,
      });
  });
  if (issues.length) {
    throw new AppError('VALIDATION_FAILED', `${issues[0]!.field}: ${issues[0]!.message}`, {
      in: 'body',
      issues: issues.slice(0, 50),
    });
  }

  // Which month each event lands in: decided under the (org, month) lock that bill issue takes exclusively.
  // All the batch's (org, month) pairs are locked and checked at once; a month already issued (rare: late
  // usage) sends its events to the open month, checked the same way.
  const wantedMonth = (e: Event) => {
    const c = byKey.get(`${e.orgId}\u0000${e.clusterId}`)!;
    const m = monthOf(e.start, ctx.billingTimeZone);
    return m < monthOf(c.org_created_at, ctx.billingTimeZone) ? open : m;
  };
  const pairKey = (orgId: string, month: string) => `${orgId}\u0000${month}`;
  const target = new Map<string, string>();
  let pending = [...new Map(events.map((e) => [pairKey(e.orgId, wantedMonth(e)), e])).values()].map((e) => ({
    orgId: e.orgId,
    month: wantedMonth(e),
    from: pairKey(e.orgId, wantedMonth(e)),
  }));
  while (pending.length) {
    const issued = await lockBillMonthsShared(tx, pending);
    const next = [];
    for (const p of pending) {
      if (!issued.has(pairKey(p.orgId, p.month))) target.set(p.from, p.month);
      else next.push({ ...p, month: p.month < open ? open : addMonths(p.month, 1) });
    }
    pending = next;
  }

  const seen = new Set<string>();
  const rows = [];
  for (const e of events) {
    const k = `${e.orgId}\u0000${e.id}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const c = byKey.get(`${e.orgId}\u0000${e.clusterId}`)!;
    const region = ctx.catalog.regions.find((r) => r.id === c.region)!;
    rows.push({
      org_id: e.orgId,
      id: e.id,
      cluster_id: e.clusterId,
      metric: e.metric,
      quantity_milli: toMilli(e.quantity)!,
      start_at: e.start,
      end_at: e.end,
      units: billableUnits(e.metric, e.start, e.end),
      micros_per_unit: region.usagePrices[e.metric].microsPerUnit,
      bill_month: target.get(pairKey(e.orgId, wantedMonth(e)))!,
      received_at: now,
    });
  }
  const inserted = await tx
    .insertInto('usage_events')
    .values(rows)
    .onConflict((oc) => oc.columns(['org_id', 'id']).doNothing())
    .returning(['org_id', 'id', 'bill_month'])
    .execute();
  const fresh = new Map(inserted.map((r) => [`${r.org_id}\u0000${r.id}`, r.bill_month]));
  // A repeated id within one batch is accepted once and reported as a duplicate after that.
  const firstSeen = new Set<string>();
  const results = events.map((e) => {
    const k = `${e.orgId}\u0000${e.id}`;
    const m = fresh.get(k);
    const first = !firstSeen.has(k);
    firstSeen.add(k);
    return m && first
      ? { id: e.id, status: 'accepted' as const, billMonth: m }
      : { id: e.id, status: 'duplicate' as const };
  });
  return {
    accepted: results.filter((r) => r.status === 'accepted').length,
    duplicates: results.filter((r) => r.status === 'duplicate').length,
    events: results,
  };
}
