import type { Deps } from '../deps.js';

/** One run of the notification job (SPEC §9): events and alerts into messages, and mail out. */
export async function runNotifications(
  _deps: Deps,
  _now: Date,
): Promise<{ messages: number; mailed: number; failed: number }> {
  return { messages: 0, mailed: 0, failed: 0 };
}
