import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { api } from '../api/endpoints.js';
import type { MeOrg, Project } from '../api/types.js';
import { can } from './access.js';

interface OrgContextValue {
  org: MeOrg;
  /** The projects the caller can see (all of them for org-wide roles); empty until loaded. */
  projects: Project[];
  /** The project's name, undefined until the names are loaded (never its id, which means nothing to a user). */
  projectName(id: string): string | undefined;
  /** May the caller create clusters (Org Admin, or Project Admin of some project)? */
  canBuy: boolean;
}

const OrgContext = createContext<OrgContextValue | null>(null);

export function OrgProvider({ org, children }: { org: MeOrg; children: ReactNode }) {
  const [projects, setProjects] = useState<Project[]>(() =>
    org.projects.map((p) => ({ id: p.id, name: p.name, role: p.role })),
  );
  useEffect(() => {
    let live = true;
    setProjects(org.projects.map((p) => ({ id: p.id, name: p.name, role: p.role })));
    api.projects(org.id).then(
      (r) => live && setProjects(r.items),
      () => {
        // keep the projects /v1/me named: the console works without the names of the others
      },
    );
    return () => {
      live = false;
    };
  }, [org]);
  const value = useMemo<OrgContextValue>(() => {
    const names = new Map(projects.map((p) => [p.id, p.name]));
    return {
      org,
      projects,
      projectName: (id) => names.get(id),
      canBuy: can(org, 'cluster.create'),
    };
  }, [org, projects]);
  return <OrgContext.Provider value={value}>{children}</OrgContext.Provider>;
}

export function useOrg(): OrgContextValue {
  const v = useContext(OrgContext);
  if (!v) throw new Error('useOrg outside OrgProvider');
  return v;
}

export { landingPath } from './access.js';
