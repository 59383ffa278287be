import type { Term } from '../../../contract/responses.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { presentOrder } from '../orders/orders.presenter.js';
import type { OrderRow } from '../orders/orders.repository.js';
import { placeOrder } from '../orders/place-order.js';
import { AppError } from '../platform/errors.js';
import { quoteRenewal, type RenewalQuote, termEndAfterRenewal } from '../pricing/price.js';
import { authorizeClusterChange, currentShape, refusePending } from './cluster-change.js';
import type { ClusterRow } from './clusters.repository.js';
import { effectiveClusterState, RENEWABLE_STATES, recycleAtOf } from './term-timeline.js';

/** 续订 is open while the cluster is creating, running, upgrading, expiring or expired (SPEC §8.2). */
export function requireRenewable(cluster: ClusterRow, now: Date): Date {
  const state = effectiveClusterState(cluster, now);
  if (!RENEWABLE_STATES.includes(state) || !cluster.term_ends_at) {
    throw new AppError('CLUSTER_NOT_RENEWABLE', `a ${state} cluster cannot be renewed`, { state });
  }
  return cluster.term_ends_at;
}

/** Prices a renewal of the cluster's configuration (the one being applied while it upgrades). */
export function priceRenewal(deps: Deps, cluster: ClusterRow, term: Term, now: Date): RenewalQuote {
  requireRenewable(cluster, now);
  return quoteRenewal(deps.catalog, currentShape(cluster), term);
}

/**
 * The unpaid renewal order of a locked, renewable cluster without a pending order: the term is added to the
 * old end when paid, so the new end is known now. Unpaid at the cluster's recycle, the system cancels it
 * (SPEC §8.1). `createdBy` null: made by auto-renew.
 */
export async function placeRenewal(
  deps: Deps,
  tx: Tx,
  cluster: ClusterRow,
  term: Term,
  createdBy: string | null,
  now: Date,
): Promise<OrderRow> {
  const termEndsAt = requireRenewable(cluster, now);
  const shape = currentShape(cluster);
  const quote = quoteRenewal(deps.catalog, shape, term);
  return placeOrder(tx, {
    orgId: cluster.org_id,
    projectId: cluster.project_id,
    clusterId: cluster.id,
    clusterName: cluster.name,
    type: 'renewal',
    quote,
    config: { ...shape, term, termEndsAt: termEndAfterRenewal(termEndsAt, term).toISOString() },
    configBefore: {
      ...shape,
      term: { unit: cluster.term_unit, count: cluster.term_count },
      termEndsAt: termEndsAt.toISOString(),
    },
    cancelAt: recycleAtOf(termEndsAt),
    createdBy,
    ttlHours: deps.config.orderTtlHours,
    now,
  });
}

/** POST …/clusters/{id}/renew: 续订 by Org Admin or the project's Project Admin. */
export async function renewCluster(
  deps: Deps,
  tx: Tx,
  p: UserPrincipal,
  orgId: string,
  clusterId: string,
  input: { term: Term },
  now: Date,
) {
  const { access, cluster, pending } = await authorizeClusterChange(
    tx,
    p,
    orgId,
    clusterId,
    'cluster.renew',
    now,
  );
  requireRenewable(cluster, now);
  if (pending) refusePending(pending, 'renewal');
  const order = await placeRenewal(deps, tx, cluster, input.term, p.id, now);
  return { order: presentOrder(order, access, now) };
}
