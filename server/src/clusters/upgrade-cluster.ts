import { authorizeProject } from '../access/policy.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { presentOrder } from '../orders/orders.presenter.js';
import {
  findUnpaidUpgrade,
  getOrder,
  insertHistory,
  insertOrder,
  timeOutDue,
} from '../orders/orders.repository.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { emit } from '../outbox/outbox.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { quoteUpgrade, type UpgradeQuote } from '../pricing/price.js';
import { effectiveClusterState } from './clusters.presenter.js';
import { type ClusterRow, getCluster, lockCluster } from './clusters.repository.js';

export interface UpgradeInput {
  cuSize?: number | undefined;
  replicas?: number | undefined;
}

/** Prices an upgrade of a running cluster; shared by the quote endpoint and the upgrade itself. */
export function priceUpgrade(deps: Deps, cluster: ClusterRow, input: UpgradeInput, now: Date): UpgradeQuote {
  const state = effectiveClusterState(cluster, now);
  if (state !== 'running' || !cluster.term_ends_at) {
    throw new AppError('CLUSTER_NOT_READY', `only a running cluster can be upgraded; this one is ${state}`, {
      state,
    });
  }
  const before = {
    region: cluster.region,
    cuType: cluster.cu_type,
    cuSize: cluster.cu_size,
    replicas: cluster.replicas,
  };
  const after = { cuSize: input.cuSize ?? cluster.cu_size, replicas: input.replicas ?? cluster.replicas };
  return quoteUpgrade(deps.catalog, before, after, cluster.term_ends_at, now);
}

/**
 * An upgrade order: the cluster row is locked first, so two upgrade requests for one cluster serialize and
 * the second sees the first's unpaid order (UPGRADE_ALREADY_PENDING). An earlier upgrade order that has
 * passed its deadline is persisted as timed out here rather than blocking the new one.
 */
export async function upgradeCluster(
  deps: Deps,
  tx: Tx,
  p: UserPrincipal,
  orgId: string,
  clusterId: string,
  input: UpgradeInput,
  now: Date,
) {
  // Authorize before any write or row lock (a cluster's project never changes), then lock.
  const seen = await requireCluster(tx, orgId, clusterId);
  const access = authorizeProject(p, orgId, seen.project_id, 'cluster.upgrade', 'cluster');
  const cluster = await lockCluster(tx, orgId, clusterId);
  if (!cluster) throw new AppError('NOT_FOUND', 'cluster not found');
  const org = await requireOrg(tx, orgId);
  if (!org.certified)
    throw new AppError('ORG_NOT_CERTIFIED', 'the organization must be certified to upgrade clusters');
  await timeOutDue(tx, now, 10, { orgId, clusterId });
  const pending = await findUnpaidUpgrade(tx, orgId, clusterId);
  if (pending) {
    throw new AppError(
      'UPGRADE_ALREADY_PENDING',
      'this cluster already has an unpaid upgrade order; pay or cancel it first',
      {
        orderId: pending.id,
      },
    );
  }
  const quote = priceUpgrade(deps, cluster, input, now);
  const orderId = newId('ord', now);
  const expiresAt = new Date(now.getTime() + deps.config.orderTtlHours * 3_600_000);
  const term = { unit: cluster.term_unit, count: cluster.term_count };
  const before = {
    region: cluster.region,
    cuType: cluster.cu_type,
    cuSize: cluster.cu_size,
    replicas: cluster.replicas,
    term,
  };
  const after = {
    ...before,
    cuSize: input.cuSize ?? cluster.cu_size,
    replicas: input.replicas ?? cluster.replicas,
  };
  await insertOrder(tx, {
    org_id: orgId,
    id: orderId,
    project_id: cluster.project_id,
    cluster_id: clusterId,
    cluster_name: cluster.name,
    type: 'upgrade',
    status: 'unpaid',
    currency: quote.currency,
    amount: quote.amount,
    list_amount: quote.listAmount,
    discount_amount: quote.discountAmount,
    config: JSON.stringify({ ...after, termEndsAt: cluster.term_ends_at }),
    config_before: JSON.stringify({ ...before, termEndsAt: cluster.term_ends_at }),
    pricing: JSON.stringify(quote),
    created_at: now,
    expires_at: expiresAt,
    paid_at: null,
    cancelled_at: null,
    timed_out_at: null,
    created_by: p.id,
    paid_by: null,
    cancelled_by: null,
    bill_month: null,
  });
  await insertHistory(tx, {
    orgId,
    orderId,
    seq: 1,
    from: null,
    to: 'unpaid',
    actorType: 'user',
    actorId: p.id,
    at: now,
    recordedAt: now,
  });
  await emit(tx, {
    orgId,
    type: 'order.created',
    aggregateId: orderId,
    payload: { orderId, type: 'upgrade', clusterId },
    now,
  });
  const order = (await getOrder(tx, orgId, orderId))!;
  return { order: presentOrder(order, access, now) };
}

export async function requireCluster(db: Tx | Deps['db'], orgId: string, clusterId: string) {
  const c = await getCluster(db, orgId, clusterId);
  if (!c) throw new AppError('NOT_FOUND', 'cluster not found');
  return c;
}
