import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import {
  CRITICAL_CATEGORIES,
  type Locale,
  type Mail,
  type Notification,
  NotificationCategory,
  type NotificationSettings,
} from '../../../contract/notifications.js';
import type { MailsTable, NotificationsTable, Queryable } from '../db/schema.js';

type MailRow = Selectable<MailsTable>;

import { decodeCursor, type Page, pageOf } from '../platform/pagination.js';

/** The queries of 站内信, the user's settings and the operator's mail box (SPEC §9). */

export function presentNotification(n: NotificationsTable): Notification {
  return {
    id: n.id,
    orgId: n.org_id,
    category: NotificationCategory.parse(n.category),
    title: n.title,
    body: n.body,
    link: n.link,
    createdAt: n.created_at.toISOString(),
    readAt: n.read_at?.toISOString() ?? null,
  };
}

/**
 * The user's 站内信 in the orgs given (those the caller acts in: one for an API key), unread first, then
 * newest first; the cursor holds (unread, createdAt, id).
 */
export async function listNotifications(
  db: Queryable,
  userId: string,
  orgIds: string[],
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<Notification>> {
  const unread = sql<number>`(case when read_at is null then 1 else 0 end)`;
  let q = db
    .selectFrom('notifications')
    .selectAll()
    .where('user_id', '=', userId)
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`);
  if (page.cursor) {
    const [u, at, id] = decodeCursor<[number, string, string]>(page.cursor, ['number', 'date', 'string']);
    q = q.where(
      sql<boolean>`(${unread}, created_at, id) < (${u}::int, ${new Date(at)}::timestamptz, ${id}::text)`,
    );
  }
  const rows = await q
    .orderBy(unread, 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return pageOf(rows, page.limit, presentNotification, (r) => [
    r.read_at === null ? 1 : 0,
    r.created_at.toISOString(),
    r.id,
  ]);
}

export async function countUnread(db: Queryable, userId: string, orgIds: string[]): Promise<number> {
  const r = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Marks one of the user's 站内信 read (once: a second call keeps the first time); undefined: not theirs. */
export async function markRead(
  db: Queryable,
  userId: string,
  orgIds: string[],
  id: string,
  now: Date,
): Promise<NotificationsTable | undefined> {
  await db
    .updateTable('notifications')
    .set({ read_at: now })
    .where('user_id', '=', userId)
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .where('id', '=', id)
    .where('read_at', 'is', null)
    .execute();
  return db
    .selectFrom('notifications')
    .selectAll()
    .where('user_id', '=', userId)
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function markAllRead(
  db: Queryable,
  userId: string,
  orgIds: string[],
  now: Date,
): Promise<number> {
  const r = await db
    .updateTable('notifications')
    .set({ read_at: now })
    .where('user_id', '=', userId)
    .where('org_id', '=', sql<string>`any(${orgIds}::text[])`)
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function readNotificationSettings(db: Queryable, userId: string): Promise<NotificationSettings> {
  const s = await db
    .selectFrom('notification_settings')
    .select('muted')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  const stored = Array.isArray(s?.muted) ? (s.muted as unknown[]) : [];
  return {
    muted: stored.flatMap((c) => {
      const p = NotificationCategory.safeParse(c);
      return p.success ? [p.data] : [];
    }),
    critical: [...CRITICAL_CATEGORIES],
  };
}

export async function writeNotificationSettings(
  db: Queryable,
  userId: string,
  muted: string[],
  now: Date,
): Promise<void> {
  const value = JSON.stringify([...new Set(muted)].sort());
  await db
    .insertInto('notification_settings')
    .values({ user_id: userId, muted: value, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ muted: value, updated_at: now }))
    .execute();
}

export async function readLocale(db: Queryable, userId: string): Promise<Locale> {
  const u = await db.selectFrom('users').select('locale').where('id', '=', userId).executeTakeFirstOrThrow();
  return u.locale;
}

export async function writeLocale(db: Queryable, userId: string, locale: Locale): Promise<void> {
  await db.updateTable('users').set({ locale }).where('id', '=', userId).execute();
}

export async function readLowBalanceSetting(db: Queryable, orgId: string) {
  return db
    .selectFrom('orgs')
    .select(['low_balance_threshold', 'currency'])
    .where('id', '=', orgId)
    .executeTakeFirst();
}

export async function writeLowBalanceThreshold(
  db: Queryable,
  orgId: string,
  threshold: number,
): Promise<void> {
  await db.updateTable('orgs').set({ low_balance_threshold: threshold }).where('id', '=', orgId).execute();
}

export function presentMail(m: MailRow): Mail {
  return {
    id: m.id,
    orgId: m.org_id,
    to: m.to_address,
    subject: m.subject,
    text: m.text_body,
    html: m.html_body,
    category: NotificationCategory.parse(m.category),
    locale: m.locale === 'en' ? 'en' : 'zh-CN',
    status: m.status,
    attempts: m.attempts,
    lastError: m.last_error,
    createdAt: m.created_at.toISOString(),
    sentAt: m.sent_at?.toISOString() ?? null,
  };
}

/** Every mail, newest first (the operator's mail box), optionally to one address. */
export async function listMails(
  db: Queryable,
  q: { limit: number; cursor?: string | undefined; to?: string | undefined },
): Promise<Page<Mail>> {
  let query = db.selectFrom('mails').selectAll();
  if (q.to) query = query.where(sql<boolean>`lower(to_address) = lower(${q.to})`);
  if (q.cursor) {
    const [at, id] = decodeCursor<[string, string]>(q.cursor, ['date', 'string']);
    query = query.where(sql<boolean>`(created_at, id) < (${new Date(at)}::timestamptz, ${id}::text)`);
  }
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, presentMail, (r) => [r.created_at.toISOString(), r.id]);
}

/**
 * Sends a mail (failed, or any other) again from the next run of the job, with a fresh count of attempts.
 * Without SMTP nothing can be sent: the mail is answered as it is.
 */
export async function retryMail(
  db: Queryable,
  id: string,
  now: Date,
  canSend: boolean,
): Promise<MailRow | undefined> {
  if (canSend) {
    const m = await db
      .updateTable('mails')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (m) return m;
  }
  return db.selectFrom('mails').selectAll().where('id', '=', id).executeTakeFirst();
}
