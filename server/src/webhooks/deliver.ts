import type { Deps } from '../deps.js';

/** One run of the webhook job (SPEC §9): events into deliveries, and deliveries out with retries. */
export async function runWebhooks(
  _deps: Deps,
  _now: Date,
): Promise<{ delivered: number; retried: number; failed: number }> {
  return { delivered: 0, retried: 0, failed: 0 };
}
