import type { Deps } from '../deps.js';
import { errorText } from '../isolation/job-failures.repository.js';
import { ALERT_SCANS, takeAlerts } from './alerts.js';
import { tellEvents } from './deliver-events.js';
import { sendDueMails } from './send-mail.js';

/**
 * One run of the notification job (SPEC §9): the time-based alerts are taken (into the outbox), the outbox's
 * events become 站内信 and mails for the people each concerns, and due mails are sent. `messages`: 站内信
 * made; `mailed`: mails sent; `failed`: mail attempts that failed, orgs whose events could not be told or whose
 * alerts could not be taken (each retried after a backoff), and alert scans that failed as a whole this run.
 */
export async function runNotifications(
  deps: Deps,
  now: Date,
): Promise<{ messages: number; mailed: number; failed: number }> {
  let failed = 0;
  for (const scan of ALERT_SCANS) {
    try {
      failed += (await takeAlerts(deps.db, scan, now)).failed;
    } catch (err) {
      // One scan failing does not stop the others nor the telling of what is already in the outbox.
      failed++;
      deps.log.warn({ job: 'notifications', alerts: scan.key, err: errorText(err) }, 'alert scan failed');
    }
  }
  const told = await tellEvents(deps, now);
  const sent = await sendDueMails(deps, now);
  return { messages: told.messages, mailed: sent.mailed, failed: failed + told.failed + sent.failed };
}
