import { beforeAll, describe, expect, it } from 'vitest';
import { api, createOrg, type OrgFixture, topUp } from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * Ledger entry ids were the platform-wide identity counter: an org reading its ledger learned how many
 * entries every other org made in between. They are random now, and so is the cursor (SPEC §11).
 */
let t: TestTally;
let a: OrgFixture;
let b: OrgFixture;

const ledger = async (org: OrgFixture, query = '') =>
  api(t, 'GET', `/v1/orgs/${org.id}/ledger${query}`, { auth: org.admin.auth });

beforeAll(async () => {
  t = await startTestTally();
  a = await createOrg(t);
  b = await createOrg(t);
  // Interleave the two orgs' entries: with a counter, a's ids would show the gap b's entries made.
  for (let i = 0; i < 3; i++) {
    await topUp(t, a, 1_000 + i);
    await topUp(t, b, 5_000 + i);
  }
});

describe('ledger entry ids reveal nothing about platform volume', () => {
  it('are random prefixed ids, not numbers, distinct within and across orgs', async () => {
    const ra = await ledger(a);
    const rb = await ledger(b);
    expect(ra.status).toBe(200);
    const ids = [...ra.json.items, ...rb.json.items].map((e: { id: string }) => e.id);
    expect(ids).toHaveLength(6);
    for (const id of ids) {
      expect(id).toMatch(/^le_[0-9a-f]{32}$/);
      expect(Number.isNaN(Number(id))).toBe(true);
    }
    expect(new Set(ids).size).toBe(6);
    // Nothing in one org's ids or entries counts the other's: no id shares a long common prefix (a counter
    // or a time-sortable id would).
    const sorted = [...ids].sort();
    for (let i = 1; i < sorted.length; i++) {
      let common = 0;
      while (sorted[i]![common] === sorted[i - 1]![common]) common++;
      expect(common, `${sorted[i - 1]} ${sorted[i]}`).toBeLessThan(3 + 8);
    }
  });

  it('pages newest first through an opaque cursor that holds no counter', async () => {
    const all = (await ledger(a)).json.items as { id: string; amount: number }[];
    expect(all.map((e) => e.amount)).toEqual([1_002, 1_001, 1_000]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await ledger(a, `?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status, r.body).toBe(200);
      seen.push(...r.json.items.map((e: { id: string }) => e.id));
      cursor = r.json.nextCursor;
      if (cursor)
        expect(Buffer.from(cursor, 'base64url').toString('utf8')).not.toMatch(
          /(^|[^0-9a-f])\d+([^0-9a-f]|$)/,
        );
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it("another org's entry id as a cursor shows nothing of that org", async () => {
    const other = (await ledger(b)).json.items[0].id as string;
    const cursor = Buffer.from(JSON.stringify([other])).toString('base64url');
    const r = await ledger(a, `?cursor=${cursor}`);
    expect(r.status).toBeLessThan(500);
    for (const e of r.json.items ?? []) expect(e.amount).toBeLessThan(5_000);
  });
});
