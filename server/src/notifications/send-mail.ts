import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import type { Deps } from '../deps.js';
import { errorText } from '../isolation/job-failures.repository.js';

/**
 * Sends the pending mails over SMTP (SPEC §9), in the job, never in a request. Each run claims a few due mails
 * by pushing their next attempt out by a lease (SKIP LOCKED, so instances take different mails), sends them,
 * and records the outcome: `sent`, or the next attempt after a growing delay, or `failed` after the last
 * attempt (kept, visible to the operator, who may retry it). A send that cannot connect or stalls gives up
 * after a few seconds (the timeouts below), so a dead or slow SMTP server delays only this job. If an
 * instance dies while sending, the lease ends and another sends the mail again: at least once.
 */
export const MAIL_BATCH = 20;
export const MAIL_MAX_ATTEMPTS = 15;
/** delay after the n-th failed attempt: 1 min × 2^(n−1), at most 6 h (about 44 h over all attempts) */
export const MAIL_RETRY_FIRST_MS = 60_000;
export const MAIL_RETRY_MAX_MS = 6 * 3_600_000;
const LEASE_MS = 10 * 60_000;
const SMTP_TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000 };

export const retryDelayMs = (attempts: number) =>
  Math.min(MAIL_RETRY_MAX_MS, MAIL_RETRY_FIRST_MS * 2 ** Math.min(30, Math.max(0, attempts - 1)));

export async function sendDueMails(deps: Deps, now: Date): Promise<{ mailed: number; failed: number }> {
  const smtpUrl = deps.config.smtpUrl;
  if (!smtpUrl) return { mailed: 0, failed: 0 };
  const claimed = await sql<{
    org_id: string;
    id: string;
    to_address: string;
    subject: string;
    text_body: string;
    html_body: string;
    category: string;
    attempts: number;
  }>`
    update mails m set attempts = m.attempts + 1,
      next_attempt_at = ${now}::timestamptz + make_interval(secs => ${LEASE_MS / 1000})
    from (select org_id, id from mails where status = 'pending' and next_attempt_at <= ${now}::timestamptz
      order by next_attempt_at, id limit ${MAIL_BATCH} for update skip locked) due
    where m.org_id = due.org_id and m.id = due.id
    returning m.org_id, m.id, m.to_address, m.subject, m.text_body, m.html_body, m.category, m.attempts`.execute(
    deps.db,
  );
  if (claimed.rows.length === 0) return { mailed: 0, failed: 0 };
  const transport = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS });
  let mailed = 0;
  let failed = 0;
  try {
    await Promise.all(
      claimed.rows.map(async (m) => {
        try {
          await transport.sendMail({
            from: deps.config.mailFrom,
            to: m.to_address,
            subject: m.subject,
            text: m.text_body,
            html: m.html_body,
            headers: { 'X-Tally-Category': m.category, 'X-Tally-Mail-Id': m.id },
          });
          await deps.db
            .updateTable('mails')
            .set({ status: 'sent', sent_at: deps.clock.now(), last_error: null })
            .where('org_id', '=', m.org_id)
            .where('id', '=', m.id)
            .where('status', '=', 'pending')
            .execute();
          mailed++;
        } catch (err) {
          failed++;
          const last = m.attempts >= MAIL_MAX_ATTEMPTS;
          await deps.db
            .updateTable('mails')
            .set({
              status: last ? 'failed' : 'pending',
              next_attempt_at: new Date(now.getTime() + retryDelayMs(m.attempts)),
              last_error: errorText(err),
            })
            .where('org_id', '=', m.org_id)
            .where('id', '=', m.id)
            .where('status', '=', 'pending')
            .execute();
          deps.log.warn(
            { job: 'notifications', mailId: m.id, attempts: m.attempts, gaveUp: last, err: errorText(err) },
            'mail not sent',
          );
        }
      }),
    );
  } finally {
    transport.close();
  }
  return { mailed, failed };
}

/** How many mails wait to be sent and how many were given up (for /metrics). */
export async function mailQueueCounts(deps: Pick<Deps, 'db'>): Promise<{ pending: number; failed: number }> {
  const r = await sql<{ pending: number; failed: number }>`
    select count(*) filter (where status = 'pending')::int as pending,
      count(*) filter (where status = 'failed')::int as failed
    from mails where status in ('pending', 'failed')`.execute(deps.db);
  return { pending: r.rows[0]?.pending ?? 0, failed: r.rows[0]?.failed ?? 0 };
}
