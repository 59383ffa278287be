import { type Insertable, sql } from 'kysely';
import type { ClusterState } from '../../../contract/enums.js';
import type { ClustersTable, Queryable, Tx } from '../db/schema.js';
import { effectiveClusterStateSql } from './term-timeline.js';

export type ClusterRow = ClustersTable;

export async function insertCluster(tx: Tx, row: Insertable<ClustersTable>) {
  await tx.insertInto('clusters').values(row).execute();
}

export async function getCluster(db: Queryable, orgId: string, clusterId: string) {
  return db
    .selectFrom('clusters')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', clusterId)
    .executeTakeFirst();
}

export async function lockCluster(tx: Tx, orgId: string, clusterId: string) {
  return tx
    .selectFrom('clusters')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', clusterId)
    .forUpdate()
    .executeTakeFirst();
}

/** Compare-and-set on the cluster's state; the returned row says whether this caller made the move. */
export async function transitionCluster(
  tx: Queryable,
  orgId: string,
  clusterId: string,
  from: ClusterState,
  set: Partial<ClustersTable>,
) {
  return tx
    .updateTable('clusters')
    .set(set)
    .where('org_id', '=', orgId)
    .where('id', '=', clusterId)
    .where('state', '=', from)
    .returningAll()
    .executeTakeFirst();
}

export async function listClusters(
  db: Queryable,
  orgId: string,
  f: { projectIds?: string[] | undefined; state?: ClusterState | undefined },
  now: Date,
  page: { limit: number; after?: { createdAt: Date; id: string } | undefined },
) {
  let q = db.selectFrom('clusters').selectAll().where('org_id', '=', orgId);
  if (f.projectIds) q = q.where('project_id', 'in', f.projectIds.length ? f.projectIds : ['']);
  // The state as of now (exact at read), not as last persisted.
  if (f.state) q = q.where(sql<boolean>`${effectiveClusterStateSql('clusters', now)} = ${f.state}`);
  if (page.after) q = q.where(sql`(created_at, id)`, '<', sql`(${page.after.createdAt}, ${page.after.id})`);
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}
