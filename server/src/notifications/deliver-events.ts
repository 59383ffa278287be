import type { Insertable, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { OrgRole } from '../../../contract/enums.js';
import { isCritical, type NotificationCategory } from '../../../contract/notifications.js';
import { deleteAtOf, recycleAtOf } from '../clusters/term-timeline.js';
import { PREPARED } from '../db/prepared.js';
import type { MailsTable, NotificationsTable, OrdersTable, Queryable, Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { isolateOrgs } from '../isolation/isolate.js';
import { clearJobFailures, inBackoff } from '../isolation/job-failures.repository.js';
import { actsOn, markConsumed } from '../outbox/consumers.js';
import { newId } from '../platform/ids.js';
import { type MailLocale, type MessageFacts, renderMessage } from './templates.js';

export const NOTIFICATIONS_JOB = 'notifications';
/**
 * The job's parts record their failing orgs under their own keys: telling the outbox's events under '' and the
 * time-based alert scans under `alerts:<kind>` (alerts.ts), so that an org failing one part still gets the others.
 */
export const TELL_KEY = '';

/** Who is told (SPEC §9's table), resolved when the message is made, from the roles the org has then. */
interface Audience {
  orgRoles: OrgRole[];
  /** the order's creator (null for the system's orders), told while still a member of the org */
  creator?: string | null;
  /** the Project Admins of this project */
  projectAdminsOf?: string;
}

interface Plan {
  audience: Audience;
  facts: MessageFacts;
}

interface EventRow {
  org_id: string;
  id: number;
  type: string;
  aggregate_id: string;
  payload: unknown;
  created_at: Date;
}

interface OrgFacts {
  orgName: string;
  timeZone: string;
  currency: string;
}

const ADMINS: OrgRole[] = ['org_admin'];
const MONEY_ADMINS: OrgRole[] = ['org_admin', 'org_billing_admin'];

/**
 * Tells the outbox's events (SPEC §9): each event not yet told is claimed with SKIP LOCKED, planned (its
 * category, the facts it names, who is told), and one 站内信 and one mail are written per recipient who has
 * not muted the category, in the claiming transaction; the event is then marked (`notified_at`). The messages'
 * key (org, event, user) is unique, so no run and no instance ever tells anyone twice. A batch that fails is
 * retried org by org; a failing org waits out its backoff while the others' events are told (SPEC §11).
 */
export async function tellEvents(
  deps: Deps,
  now: Date,
  opts: { batch?: number; maxBatches?: number } = {},
): Promise<{ events: number; messages: number; failed: number }> {
  const batch = opts.batch ?? 200;
  const out = { events: 0, messages: 0, failed: 0 };
  for (let i = 0; i < (opts.maxBatches ?? 20); i++) {
    let r: { events: number; messages: number };
    try {
      r = await deps.db.transaction().execute((tx) => tellBatch(tx, deps, now, batch));
    } catch {
      const orgs = await deps.db
        .selectFrom('outbox_events')
        .select('org_id')
        .distinct()
        .where('notified_at', 'is', null)
        .where(sql<boolean>`not ${inBackoff(NOTIFICATIONS_JOB, 'outbox_events.org_id', now, TELL_KEY)}`)
        .orderBy('org_id')
        .limit(batch)
        .execute();
      const iso = await isolateOrgs(
        deps.db,
        { name: NOTIFICATIONS_JOB, key: TELL_KEY, now },
        orgs.map((o) => o.org_id),
        async (ids) => [await deps.db.transaction().execute((tx) => tellBatch(tx, deps, now, batch, ids))],
      );
      for (const x of iso.results) {
        out.events += x.events;
        out.messages += x.messages;
      }
      out.failed += iso.failed.length;
      return out;
    }
    out.events += r.events;
    out.messages += r.messages;
    if (r.events < batch) break;
  }
  return out;
}

async function tellBatch(
  tx: Tx,
  deps: Deps,
  now: Date,
  batch: number,
  orgIds?: string[],
): Promise<{ events: number; messages: number }> {
  let q = tx
    .selectFrom('outbox_events')
    .select(['org_id', 'id', 'type', 'aggregate_id', 'payload', 'created_at'])
    .where('notified_at', 'is', null)
    .where(sql<boolean>`not ${inBackoff(NOTIFICATIONS_JOB, 'outbox_events.org_id', now, TELL_KEY)}`);
  if (orgIds) q = q.where('org_id', '=', sql<string>`any(${orgIds}::text[])`);
  const events = await q
    .orderBy('id')
    .limit(batch)
    .forUpdate()
    .skipLocked()
    .modifyEnd(sql.raw(PREPARED))
    .execute();
  if (events.length === 0) return { events: 0, messages: 0 };
  // What the batch's events read, read once: the orgs and the orders they name, then every audience of the
  // batch's plans (one query each, however many orgs the batch spans).
  const orgs = await orgFactsOf(tx, [...new Set(events.map((e) => e.org_id))]);
  const orders = await ordersNamed(tx, events);
  const planned: { e: EventRow; plan: Plan; audience: number }[] = [];
  const audiences = new Map<string, number>();
  const asked: AudienceOf[] = [];
  for (const e of events) {
    const org = orgs.get(e.org_id);
    const plan = org ? await planFor(tx, e, org, now, orders) : null;
    if (!plan) continue;
    const key = JSON.stringify([e.org_id, plan.audience, plan.facts.category]);
    let audience = audiences.get(key);
    if (audience === undefined) {
      audience = asked.push({ orgId: e.org_id, audience: plan.audience, category: plan.facts.category }) - 1;
      audiences.set(key, audience);
    }
    planned.push({ e, plan, audience });
  }
  const users = await recipientsOf(tx, asked);
  const out: Outgoing = { notifications: [], mails: [] };
  for (const x of planned) addMessages(out, deps, x.e, x.plan, users[x.audience] ?? []);
  const messages = await writeMessages(tx, out);
  await markConsumed(tx, 'notifications', events, now);
  await clearJobFailures(tx, NOTIFICATIONS_JOB, [...new Set(events.map((e) => e.org_id))], TELL_KEY);
  return { events: events.length, messages };
}

/** The facts of the orgs a batch's events belong to, in one query. */
async function orgFactsOf(tx: Tx, orgIds: string[]): Promise<Map<string, OrgFacts>> {
  const rows = await tx
    .selectFrom('orgs')
    .select(['id', 'name', 'time_zone', 'currency'])
    .where('id', '=', sql<string>`any(${orgIds}::text[])`)
    .modifyEnd(sql.raw(PREPARED))
    .execute();
  return new Map(rows.map((o) => [o.id, { orgName: o.name, timeZone: o.time_zone, currency: o.currency }]));
}

type Payload = Record<string, unknown>;
const str = (p: Payload, k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
const num = (p: Payload, k: string) => (typeof p[k] === 'number' ? (p[k] as number) : undefined);

/** The events that name an order in their payload (`orderId`): their plans read it. */
const ORDER_EVENTS = new Set([
  'order.created',
  'order.paid',
  'order.timed_out',
  'alert.order_unpaid',
  'renewal.attempted',
]);

type OrderRow = Selectable<OrdersTable>;
const orderKey = (orgId: string, orderId: string) => `${orgId}/${orderId}`;

/** The orders a batch's events name, in one query, by org and id. */
async function ordersNamed(tx: Tx, events: EventRow[]): Promise<Map<string, OrderRow>> {
  const named = new Map<string, [string, string]>();
  for (const e of events) {
    const id = ORDER_EVENTS.has(e.type) ? str((e.payload ?? {}) as Payload, 'orderId') : undefined;
    if (id) named.set(orderKey(e.org_id, id), [e.org_id, id]);
  }
  if (named.size === 0) return new Map();
  const rows = await tx
    .selectFrom('orders')
    .selectAll()
    .where(
      sql`(org_id, id)`,
      'in',
      sql`(${sql.join([...named.values()].map(([o, i]) => sql`(${o}, ${i})`))})`,
    )
    .execute();
  return new Map(rows.map((o) => [orderKey(o.org_id, o.id), o]));
}

/** What an event tells and to whom; null: nothing (an event SPEC §9 does not tell, or no longer true). */
async function planFor(
  tx: Tx,
  e: EventRow,
  org: OrgFacts,
  now: Date,
  orders: Map<string, OrderRow>,
): Promise<Plan | null> {
  const p = (e.payload ?? {}) as Payload;
  // What this job acts on is declared with the outbox's other consumers: the rest is born told.
  if (!actsOn('notifications', e.type, p)) return null;
  const base = { ...org, path: `/orgs/${e.org_id}` };
  const orderPlan = async (category: NotificationCategory, orderId: string | undefined) => {
    if (!orderId) return null;
    const o =
      orders.get(orderKey(e.org_id, orderId)) ??
      (await tx
        .selectFrom('orders')
        .selectAll()
        .where('org_id', '=', e.org_id)
        .where('id', '=', orderId)
        .executeTakeFirst());
    if (!o) return null;
    const deadline =
      o.cancel_at && o.cancel_at.getTime() < o.expires_at.getTime() ? o.cancel_at : o.expires_at;
    // The 24-hour reminder of an order paid or ended since the alert was taken tells nothing.
    if (category === 'order_unpaid' && (o.status !== 'unpaid' || deadline.getTime() <= now.getTime()))
      return null;
    return {
      audience: { orgRoles: ADMINS, creator: o.created_by },
      facts: {
        ...base,
        category,
        currency: o.currency,
        path: `/orgs/${e.org_id}/orders/${o.id}`,
        orderId: o.id,
        orderType: o.type,
        amount: o.amount,
        deadline,
        paidAt: o.paid_at ?? e.created_at,
        clusterName: o.cluster_name,
      },
    } satisfies Plan;
  };
  switch (e.type) {
    case 'order.created':
      return orderPlan('order_created', str(p, 'orderId'));
    case 'order.paid':
      return orderPlan('order_paid', str(p, 'orderId'));
    case 'order.timed_out':
      return orderPlan('order_timed_out', str(p, 'orderId'));
    case 'alert.order_unpaid':
      return orderPlan('order_unpaid', str(p, 'orderId'));
    case 'topup.credited': {
      const b = await tx
        .selectFrom('balances')
        .select(['cash', 'currency'])
        .where('org_id', '=', e.org_id)
        .executeTakeFirst();
      return {
        audience: { orgRoles: MONEY_ADMINS },
        facts: {
          ...base,
          category: 'topup_credited',
          path: `/orgs/${e.org_id}/balance`,
          amount: num(p, 'amount') ?? 0,
          cash: b?.cash ?? 0,
          at: e.created_at,
        },
      };
    }
    case 'bill.issued':
    case 'bill.overdue':
    case 'bill.unpaid': {
      const month = str(p, 'month');
      if (!month) return null;
      const b = await tx
        .selectFrom('bills')
        .select(['amount_due', 'paid_amount', 'status', 'currency'])
        .where('org_id', '=', e.org_id)
        .where('month', '=', month)
        .executeTakeFirst();
      if (!b) return null;
      // A reminder of a bill paid since tells nothing; the issue itself is told whatever happened after.
      if (e.type !== 'bill.issued' && b.status === 'paid') return null;
      const category =
        e.type === 'bill.issued' ? 'bill_issued' : e.type === 'bill.overdue' ? 'bill_overdue' : 'bill_unpaid';
      return {
        audience: { orgRoles: MONEY_ADMINS },
        facts: {
          ...base,
          category,
          currency: b.currency,
          path: `/orgs/${e.org_id}/bills`,
          month,
          amountDue: b.amount_due,
          unpaidAmount: Math.max(0, b.amount_due - b.paid_amount),
        },
      };
    }
    case 'alert.cluster_expiring':
    case 'cluster.state_changed': {
      const to = str(p, 'to');
      if (e.type === 'cluster.state_changed' && to !== 'expired' && to !== 'recycled') return null;
      const c = await tx
        .selectFrom('clusters')
        .select(['id', 'name', 'project_id', 'term_ends_at'])
        .where('org_id', '=', e.org_id)
        .where('id', '=', e.aggregate_id)
        .executeTakeFirst();
      if (!c?.term_ends_at) return null;
      // None once renewed (SPEC §9): the term the alert was about is no longer the cluster's.
      if (e.type === 'alert.cluster_expiring' && c.term_ends_at.toISOString() !== str(p, 'termEndsAt'))
        return null;
      if (to === 'expired' && c.term_ends_at.getTime() > now.getTime()) return null;
      const daysLeft = num(p, 'daysLeft') ?? 0;
      const category: NotificationCategory =
        e.type === 'alert.cluster_expiring'
          ? daysLeft <= 3
            ? 'cluster_expiring_soon'
            : 'cluster_expiring'
          : to === 'expired'
            ? 'cluster_expired'
            : 'cluster_recycled';
      return {
        audience: { orgRoles: ADMINS, projectAdminsOf: c.project_id },
        facts: {
          ...base,
          category,
          path: `/orgs/${e.org_id}/clusters`,
          clusterName: c.name,
          daysLeft,
          termEndsAt: c.term_ends_at,
          recycleAt: recycleAtOf(c.term_ends_at),
          deleteAt: deleteAtOf(c.term_ends_at),
        },
      };
    }
    case 'renewal.attempted': {
      if (str(p, 'outcome') !== 'failed') return null;
      const plan = await orderPlan('auto_renew_failed', str(p, 'orderId'));
      if (!plan) return null;
      return {
        audience: { orgRoles: MONEY_ADMINS },
        facts: { ...plan.facts, shortfall: num(p, 'shortfall') ?? 0 },
      };
    }
    case 'alert.balance_low':
    case 'alert.balance_recovered':
      return {
        audience: { orgRoles: MONEY_ADMINS },
        facts: {
          ...base,
          category: e.type === 'alert.balance_low' ? 'balance_low' : 'balance_recovered',
          currency: str(p, 'currency') ?? org.currency,
          path: `/orgs/${e.org_id}/balance`,
          cash: num(p, 'cash') ?? 0,
          threshold: num(p, 'threshold') ?? 0,
        },
      };
    default:
      return null;
  }
}

/** An audience of one org, for one category. */
interface AudienceOf {
  orgId: string;
  audience: Audience;
  category: NotificationCategory;
}

/**
 * The recipients of each audience now, less those who muted its category (critical ones cannot be muted), in
 * one query for the whole batch: from each org's memberships and project roles (their keys start with the
 * org), not from every user. Answered in the order asked, each audience's users by id.
 */
async function recipientsOf(tx: Tx, asked: AudienceOf[]): Promise<Recipient[][]> {
  if (asked.length === 0) return [];
  const r = await sql<{ i: number; id: string; email: string; locale: MailLocale }>`
    select a.i, u.id, u.email, u.locale
    from unnest(${asked.map((_, i) => i)}::int[], ${asked.map((a) => a.orgId)}::text[],
                ${asked.map((a) => a.audience.orgRoles.join(','))}::text[],
                ${asked.map((a) => a.audience.creator ?? null)}::text[],
                ${asked.map((a) => a.audience.projectAdminsOf ?? null)}::text[],
                ${asked.map((a) => a.category)}::text[], ${asked.map((a) => isCritical(a.category))}::bool[])
      as a(i, org_id, org_roles, creator, project, category, critical)
    cross join lateral (
        select m.user_id from memberships m where m.org_id = a.org_id
          and (m.org_role = any(string_to_array(a.org_roles, ',')) or m.user_id = a.creator)
        union
        select pr.user_id from project_roles pr where pr.org_id = a.org_id
          and pr.project_id = a.project and pr.role = 'project_admin') w
    join users u on u.id = w.user_id
    where a.critical or not exists (select 1 from notification_settings s
        where s.user_id = u.id and s.muted @> jsonb_build_array(a.category))
    order by a.i, u.id ${sql.raw(PREPARED)}`.execute(tx);
  const out: Recipient[][] = asked.map(() => []);
  for (const { i, ...u } of r.rows) out[i]!.push(u);
  return out;
}

type Recipient = { id: string; email: string; locale: MailLocale };

/** The batch's 站内信 and mails, written together at its end (writeMessages). */
interface Outgoing {
  notifications: Insertable<NotificationsTable>[];
  mails: Insertable<MailsTable>[];
}

/** One 站内信 and one mail per recipient of the event. */
function addMessages(out: Outgoing, deps: Deps, e: EventRow, plan: Plan, users: Recipient[]): void {
  if (users.length === 0) return;
  const eventKey = `e${e.id}`;
  const rendered = new Map<MailLocale, ReturnType<typeof renderMessage>>();
  const render = (locale: MailLocale) => {
    let m = rendered.get(locale);
    if (!m) {
      m = renderMessage(locale, plan.facts, deps.config.publicUrl);
      rendered.set(locale, m);
    }
    return m;
  };
  const created = e.created_at;
  const status = deps.config.smtpUrl ? 'pending' : 'kept';
  for (const u of users) {
    const m = render(u.locale);
    out.notifications.push({
      org_id: e.org_id,
      id: newId('ntf', created),
      user_id: u.id,
      event_key: eventKey,
      category: plan.facts.category,
      title: m.title,
      body: m.body,
      link: plan.facts.path,
      created_at: created,
      read_at: null,
    });
    out.mails.push({
      org_id: e.org_id,
      id: newId('mail', created),
      user_id: u.id,
      event_key: eventKey,
      to_address: u.email,
      locale: u.locale,
      category: plan.facts.category,
      subject: m.title,
      text_body: m.text,
      html_body: m.html,
      status,
      next_attempt_at: created,
      last_error: null,
      created_at: created,
      sent_at: null,
    });
  }
}

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters at 15 columns. */
const INSERT_ROWS = 1_000;

/**
 * The batch's messages in a few statements instead of two per event; answers how many 站内信 were new (one
 * already there for its user and event — an event told before a crash, say — is left as it is).
 */
async function writeMessages(tx: Tx, out: Outgoing): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < out.notifications.length; i += INSERT_ROWS) {
    const r = await tx
      .insertInto('notifications')
      .values(out.notifications.slice(i, i + INSERT_ROWS))
      .onConflict((oc) => oc.doNothing())
      .returning('user_id')
      .execute();
    inserted += r.length;
  }
  for (let i = 0; i < out.mails.length; i += INSERT_ROWS) {
    await tx
      .insertInto('mails')
      .values(out.mails.slice(i, i + INSERT_ROWS))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return inserted;
}

/** How far telling is behind (for /metrics): seconds since the oldest event not yet told; 0 when none. */
export async function untoldLagSeconds(db: Queryable, now: Date): Promise<number> {
  const r = await db
    .selectFrom('outbox_events')
    .select((eb) => eb.fn.min('created_at').as('oldest'))
    .where('notified_at', 'is', null)
    .executeTakeFirst();
  const oldest = r?.oldest ? new Date(r.oldest as Date) : null;
  return oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0;
}
