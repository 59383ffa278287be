import { expect } from 'vitest';
import { api, type Member } from '../factories.js';
import type { TestTally } from '../harness.js';

export interface Told {
  id: string;
  orgId: string;
  category: string;
  title: string;
  body: string;
  link: string;
  createdAt: string;
  readAt: string | null;
}

/** Every 站内信 of a member, page by page. */
export async function inbox(t: TestTally, m: Member): Promise<Told[]> {
  const out: Told[] = [];
  let cursor: string | null = null;
  do {
    const r = await api(
      t,
      'GET',
      `/v1/me/notifications?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { auth: m.auth },
    );
    expect(r.status).toBe(200);
    out.push(...r.json.items);
    cursor = r.json.nextCursor;
  } while (cursor);
  return out;
}

/** How many 站内信 matching `match` each named member has. */
export async function countTold<K extends string>(
  t: TestTally,
  members: Record<K, Member>,
  match: (n: Told) => boolean,
): Promise<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const [name, m] of Object.entries(members) as [K, Member][])
    out[name] = (await inbox(t, m)).filter(match).length;
  return out;
}

/** Runs every job `times` times (a repeated run must tell nobody twice). */
export async function runJobs(t: TestTally, times = 3): Promise<void> {
  for (let i = 0; i < times; i++) await t.jobs.runAllOnce();
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
