import { describe, expect, test } from 'vitest';
import { addMember, api, createOrg } from '../factories.js';
import { startTestTally } from '../harness.js';

const t = await startTestTally();

/** GET /v1/orgs/{orgId}/projects: the console's project names (an Org Admin holds no project role). */
describe('projects of an org', () => {
  test('org-wide roles see every project; a Project Admin only theirs; an Org Member none', async () => {
    const org = await createOrg(t, { projects: 2 });
    const [p1, p2] = org.projects;
    const all = await api(t, 'GET', `/v1/orgs/${org.id}/projects`, { auth: org.admin.auth });
    expect(all.status).toBe(200);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...all.json.items].sort(byName)).toEqual([
      { id: p1!.id, name: p1!.name, role: null },
      { id: p2!.id, name: p2!.name, role: null },
    ]);
    const finance = await addMember(t, org.id, 'org_billing_admin');
    expect(
      (await api(t, 'GET', `/v1/orgs/${org.id}/projects`, { auth: finance.auth })).json.items,
    ).toHaveLength(2);
    const pa = await addMember(t, org.id, 'org_member', [{ projectId: p2!.id, role: 'project_admin' }]);
    expect((await api(t, 'GET', `/v1/orgs/${org.id}/projects`, { auth: pa.auth })).json.items).toEqual([
      { id: p2!.id, name: p2!.name, role: 'project_admin' },
    ]);
    const member = await addMember(t, org.id, 'org_member');
    expect((await api(t, 'GET', `/v1/orgs/${org.id}/projects`, { auth: member.auth })).json.items).toEqual(
      [],
    );
  });

  test('another org is not found', async () => {
    const a = await createOrg(t);
    const b = await createOrg(t);
    const r = await api(t, 'GET', `/v1/orgs/${b.id}/projects`, { auth: a.admin.auth });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('NOT_FOUND');
  });
});
