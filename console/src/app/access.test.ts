import { describe, expect, test } from 'vitest';
import { ORG_ROLES, PROJECT_ROLES } from '../../../contract/enums.js';
import { canOrg, POLICY } from '../../../server/src/access/policy.js';
import { CONSOLE_POLICY, type ConsoleAction, can, landingSection } from './access.js';

type OrgRole = (typeof ORG_ROLES)[number];
type ProjectRole = (typeof PROJECT_ROLES)[number];

/** Every org role with no project role, and with each project role (and two at once). */
function combinations(): { orgRole: OrgRole; projects: ProjectRole[] }[] {
  const out: { orgRole: OrgRole; projects: ProjectRole[] }[] = [];
  for (const orgRole of ORG_ROLES) {
    out.push({ orgRole, projects: [] });
    for (const p of PROJECT_ROLES) out.push({ orgRole, projects: [p] });
    out.push({ orgRole, projects: ['project_viewer', 'project_admin'] });
  }
  return out;
}

describe('the console’s roles follow the server’s policy', () => {
  test('each action the console offers is allowed exactly when the server allows it', () => {
    for (const action of Object.keys(CONSOLE_POLICY) as ConsoleAction[]) {
      expect(CONSOLE_POLICY[action]).toEqual(POLICY[action]);
      for (const c of combinations()) {
        const me = {
          orgRole: c.orgRole,
          projects: c.projects.map((role, i) => ({ id: `p${i}`, name: 'p', role })),
        };
        const access = { orgRole: c.orgRole, projects: new Map(c.projects.map((r, i) => [`p${i}`, r])) };
        expect(can(me, action), `${action} for ${JSON.stringify(c)}`).toBe(canOrg(access, action));
      }
    }
  });

  test('each role lands on its first useful page', () => {
    const p = (role: ProjectRole) => [{ id: 'p', name: 'p', role }];
    expect(landingSection({ orgRole: 'org_admin', projects: [] })).toBe('orders');
    expect(landingSection({ orgRole: 'org_billing_admin', projects: [] })).toBe('balance');
    expect(landingSection({ orgRole: 'org_member', projects: [] })).toBe('home');
    expect(landingSection({ orgRole: 'org_member', projects: p('project_admin') })).toBe('orders');
    expect(landingSection({ orgRole: 'org_member', projects: p('project_editor') })).toBe('clusters');
    expect(landingSection({ orgRole: 'org_member', projects: p('project_viewer') })).toBe('clusters');
  });
});
