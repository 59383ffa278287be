import { beforeAll, describe, expect, it } from 'vitest';
import { ORDER_LIST_MAX_OFFSET } from '../../contract/api.js';
import {
  addRoleMembers,
  api,
  buyCluster,
  createOrg,
  type Member,
  type OrgFixture,
  pay,
  topUp,
} from '../factories.js';
import { startTestTally, type TestTally } from '../harness.js';

/**
 * 共 N 条 and 跳至第 N 页 on the orders list: GET …/orders/count answers what the list pages through with the
 * same filters and the same project scoping, and an offset page is the page the cursors reach.
 */
let t: TestTally;
let org: OrgFixture;
let other: OrgFixture;
let roles: Record<'p1Admin' | 'p1Editor' | 'p2Admin' | 'billingAdmin' | 'orgMember', Member>;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Ids of the orders created, with the instant each was created. */
const created: { id: string; at: string; project: 0 | 1 }[] = [];

const list = (qs: string, as: Member = org.admin) =>
  api(t, 'GET', `/v1/orgs/${org.id}/orders${qs ? `?${qs}` : ''}`, { auth: as.auth });
const count = (qs: string, as: Member = org.admin) =>
  api(t, 'GET', `/v1/orgs/${org.id}/orders/count${qs ? `?${qs}` : ''}`, { auth: as.auth });

/** Every id of the list with these filters, through its cursors, a few rows a page. */
async function walk(qs: string, as: Member = org.admin, limit = 4): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = [qs, `limit=${limit}`, cursor ? `cursor=${cursor}` : ''].filter(Boolean).join('&');
    const r = await list(page, as);
    expect(r.status).toBe(200);
    ids.push(...r.json.items.map((o: { id: string }) => o.id));
    cursor = r.json.nextCursor;
  } while (cursor);
  return ids;
}

beforeAll(async () => {
  t = await startTestTally();
  org = await createOrg(t);
  other = await createOrg(t);
  roles = await addRoleMembers(t, org, ['p1Admin', 'p1Editor', 'p2Admin', 'billingAdmin', 'orgMember']);
  await topUp(t, org, 100_000_000);
  // Eleven orders over eleven hours: eight in the first project, three (the 3rd, 6th, 9th) in the second; the first three are
  // paid, the fourth cancelled, and the fifth and sixth pass their deadline below without the sweeper.
  for (let i = 0; i < 11; i++) {
    const project = i % 3 === 2 ? 1 : 0;
    const r = await buyCluster(t, org, org.admin, {
      projectId: org.projects[project]!.id,
      name: i === 7 ? 'needle-cluster' : `plain-${i}`,
    });
    created.push({ id: r.order.id, at: r.order.createdAt, project });
    t.clock.advance(HOUR);
  }
  for (const o of created.slice(0, 3)) expect((await pay(t, org.id, o.id, org.admin)).status).toBe(200);
  const cancel = await api(t, 'POST', `/v1/orgs/${org.id}/orders/${created[3]!.id}/cancel`, {
    auth: org.admin.auth,
  });
  expect(cancel.status).toBe(200);
  await buyCluster(t, other, other.admin);
  // Seven days after the fifth and sixth orders: both are past their deadline, the rest still payable.
  t.clock.advance(7 * DAY - 6 * HOUR + 1000);
});

describe('GET …/orders/count', () => {
  it('equals the length of the list for each filter, an unpaid order past its deadline counting as timed out', async () => {
    const from = created[2]!.at;
    const to = created[8]!.at;
    const filters = [
      '',
      'status=unpaid',
      'status=paid',
      'status=cancelled',
      'status=timed_out',
      'status=paid,timed_out',
      'type=new_purchase',
      'type=upgrade',
      `projectId=${org.projects[0]!.id}`,
      `projectId=${org.projects[1]!.id}&status=unpaid`,
      `createdFrom=${from}`,
      `createdTo=${to}`,
      `createdFrom=${from}&createdTo=${to}&status=unpaid`,
      `q=${created[5]!.id.slice(0, 12)}`,
      'q=needle',
      'q=no-such-thing',
    ];
    const totals: Record<string, number> = {};
    for (const f of filters) {
      const ids = await walk(f);
      const r = await count(f);
      expect(r.status, f).toBe(200);
      expect(r.json, f).toEqual({ total: ids.length });
      totals[f] = ids.length;
    }
    // The totals are what was made above, not merely equal to a list that could be wrong the same way.
    expect(totals['']).toBe(11);
    expect(totals['status=paid']).toBe(3);
    expect(totals['status=cancelled']).toBe(1);
    expect(totals['status=timed_out']).toBe(2);
    expect(totals['status=unpaid']).toBe(5);
    expect(totals['status=paid,timed_out']).toBe(5);
    expect(totals['type=upgrade']).toBe(0);
    expect(totals[`projectId=${org.projects[0]!.id}`]).toBe(8);
    expect(totals[`projectId=${org.projects[1]!.id}&status=unpaid`]).toBe(1);
    // createdTo is exclusive; createdFrom inclusive.
    expect(totals[`createdFrom=${from}`]).toBe(9);
    expect(totals[`createdTo=${to}`]).toBe(8);
    expect(totals['q=needle']).toBe(1);
    expect(totals['q=no-such-thing']).toBe(0);
  });

  it('is scoped like the list: a project admin counts their project only, another project is 404', async () => {
    const p1 = created.filter((o) => o.project === 0).length;
    const p2 = created.length - p1;
    expect((await count('', roles.p1Admin)).json).toEqual({ total: p1 });
    expect((await walk('', roles.p1Admin)).length).toBe(p1);
    expect((await count('', roles.p2Admin)).json).toEqual({ total: p2 });
    expect((await count('status=unpaid', roles.p2Admin)).json).toEqual({
      total: (await walk('status=unpaid', roles.p2Admin)).length,
    });
    const foreignProject = await count(`projectId=${org.projects[1]!.id}`, roles.p1Admin);
    expect(foreignProject.status).toBe(404);
    expect(foreignProject.json.error.code).toBe('NOT_FOUND');
  });

  it('refuses the roles that may not list orders (403) and another org (404)', async () => {
    for (const who of [roles.p1Editor, roles.billingAdmin, roles.orgMember]) {
      const r = await count('', who);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('FORBIDDEN');
    }
    const foreign = await api(t, 'GET', `/v1/orgs/${other.id}/orders/count`, { auth: org.admin.auth });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('NOT_FOUND');
    const own = await api(t, 'GET', `/v1/orgs/${other.id}/orders/count`, { auth: other.admin.auth });
    expect(own.json).toEqual({ total: 1 });
    expect((await api(t, 'GET', `/v1/orgs/${org.id}/orders/count`)).status).toBe(401);
  });

  it('refuses bad input with 400 VALIDATION_FAILED', async () => {
    for (const qs of [
      'status=bogus',
      'type=refund',
      'createdFrom=yesterday',
      'limit=5',
      'cursor=abc',
      'offset=1',
      'q=',
      `q=${'x'.repeat(65)}`,
      'colour=red',
    ]) {
      const r = await count(qs);
      expect(r.status, qs).toBe(400);
      expect(r.json.error.code, qs).toBe('VALIDATION_FAILED');
    }
  });
});

describe('GET …/orders?offset', () => {
  it('answers the pages the cursors reach, and its cursor goes on from there', async () => {
    for (const f of ['', 'status=unpaid', `projectId=${org.projects[0]!.id}`]) {
      const all = await walk(f, org.admin, 3);
      for (let offset = 0; offset < all.length + 3; offset += 3) {
        const r = await list([f, 'limit=3', `offset=${offset}`].filter(Boolean).join('&'));
        expect(r.status).toBe(200);
        expect(r.json.items.map((o: { id: string }) => o.id)).toEqual(all.slice(offset, offset + 3));
        expect(r.json.nextCursor === null).toBe(offset + 3 >= all.length);
        if (r.json.nextCursor) {
          const next = await list([f, 'limit=3', `cursor=${r.json.nextCursor}`].filter(Boolean).join('&'));
          expect(next.json.items.map((o: { id: string }) => o.id)).toEqual(all.slice(offset + 3, offset + 6));
        }
      }
    }
    // An offset between page boundaries is a row number, not a page number.
    const all = await walk('');
    const r = await list('limit=2&offset=5');
    expect(r.json.items.map((o: { id: string }) => o.id)).toEqual(all.slice(5, 7));
  });

  it('is scoped like the list: a project admin jumps within their project only', async () => {
    const mine = await walk('', roles.p1Admin, 2);
    const r = await list('limit=2&offset=4', roles.p1Admin);
    expect(r.json.items.map((o: { id: string }) => o.id)).toEqual(mine.slice(4, 6));
    expect(r.json.items.every((o: { projectId: string }) => o.projectId === org.projects[0]!.id)).toBe(true);
  });

  it('refuses an offset with a cursor, a negative one and one past the bound', async () => {
    const first = await list('limit=2');
    for (const qs of [
      `limit=2&offset=2&cursor=${first.json.nextCursor}`,
      'offset=-1',
      'offset=1.5',
      'offset=ten',
      `offset=${ORDER_LIST_MAX_OFFSET + 1}`,
    ]) {
      const r = await list(qs);
      expect(r.status, qs).toBe(400);
      expect(r.json.error.code, qs).toBe('VALIDATION_FAILED');
    }
    const deepest = await list(`offset=${ORDER_LIST_MAX_OFFSET}`);
    expect(deepest.status).toBe(200);
    expect(deepest.json).toEqual({ items: [], nextCursor: null });
  });
});
