import type { OrgRole, ProjectRole } from '../../../contract/enums.js';
import type { Queryable, Tx } from '../db/schema.js';

export async function insertOrgIfCodeFree(
  tx: Tx,
  org: {
    id: string;
    name: string;
    currency: string;
    timeZone: string;
    certified: boolean;
    remittanceCode: string;
    now: Date;
  },
): Promise<boolean> {
  const r = await tx
    .insertInto('orgs')
    .values({
      id: org.id,
      name: org.name,
      currency: org.currency,
      time_zone: org.timeZone,
      certified: org.certified,
      remittance_code: org.remittanceCode,
      created_at: org.now,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

/** A new org's cash balance, empty, in its currency: written in the transaction that creates the org. */
export async function createBalance(tx: Tx, orgId: string, currency: string, now: Date): Promise<void> {
  await tx.insertInto('balances').values({ org_id: orgId, currency, cash: 0, updated_at: now }).execute();
}

export async function getOrg(db: Queryable, orgId: string) {
  return db.selectFrom('orgs').selectAll().where('id', '=', orgId).executeTakeFirst();
}

export async function findOrgByRemittanceCode(db: Queryable, code: string) {
  return db.selectFrom('orgs').selectAll().where('remittance_code', '=', code).executeTakeFirst();
}

/** The certification data (SPEC §10.4): the buyer of the org's invoices. */
export interface CertificationData {
  kind: 'enterprise' | 'personal';
  title: string;
  taxId: string | null;
  address: string | null;
  phone: string | null;
  bank: string | null;
  bankAccount: string | null;
}

/** Sets whether the org is certified and, when given, replaces its certification data as a whole. */
export async function setCertified(tx: Tx, orgId: string, certified: boolean, data?: CertificationData) {
  return tx
    .updateTable('orgs')
    .set({
      certified,
      ...(data
        ? {
            cert_kind: data.kind,
            cert_title: data.title,
            cert_tax_id: data.taxId,
            cert_address: data.address,
            cert_phone: data.phone,
            cert_bank: data.bank,
            cert_bank_account: data.bankAccount,
          }
        : {}),
    })
    .where('id', '=', orgId)
    .returningAll()
    .executeTakeFirst();
}

export async function insertProject(tx: Tx, p: { orgId: string; id: string; name: string; now: Date }) {
  return tx
    .insertInto('projects')
    .values({ org_id: p.orgId, id: p.id, name: p.name, created_at: p.now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getProject(db: Queryable, orgId: string, projectId: string) {
  return db
    .selectFrom('projects')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', projectId)
    .executeTakeFirst();
}

export async function listProjects(db: Queryable, orgId: string) {
  return db
    .selectFrom('projects')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function insertMembershipIfAbsent(
  tx: Tx,
  m: { orgId: string; userId: string; orgRole: OrgRole; now: Date },
) {
  const r = await tx
    .insertInto('memberships')
    .values({ org_id: m.orgId, user_id: m.userId, org_role: m.orgRole, created_at: m.now })
    .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function insertProjectRole(
  tx: Tx,
  r: { orgId: string; projectId: string; userId: string; role: ProjectRole },
) {
  await tx
    .insertInto('project_roles')
    .values({ org_id: r.orgId, project_id: r.projectId, user_id: r.userId, role: r.role })
    .onConflict((oc) => oc.columns(['org_id', 'project_id', 'user_id']).doUpdateSet({ role: r.role }))
    .execute();
}

export async function listOrgsOfUser(db: Queryable, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('orgs as o', 'o.id', 'm.org_id')
    .select(['o.id', 'o.name', 'o.currency', 'o.time_zone', 'o.certified', 'm.org_role'])
    .where('m.user_id', '=', userId)
    .orderBy('o.created_at')
    .execute();
}

export async function listProjectsOfUser(db: Queryable, userId: string) {
  return db
    .selectFrom('project_roles as r')
    .innerJoin('projects as p', (j) =>
      j.onRef('p.org_id', '=', 'r.org_id').onRef('p.id', '=', 'r.project_id'),
    )
    .select(['p.org_id', 'p.id', 'p.name', 'r.role'])
    .where('r.user_id', '=', userId)
    .execute();
}
