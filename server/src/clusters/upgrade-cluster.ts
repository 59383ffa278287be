import type { Term } from '../../../contract/responses.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { presentOrder } from '../orders/orders.presenter.js';
import { placeOrder } from '../orders/place-order.js';
import { AppError } from '../platform/errors.js';
import { quoteUpgrade, type UpgradeQuote } from '../pricing/price.js';
import { authorizeClusterChange, currentShape, refusePending } from './cluster-change.js';
import type { ClusterRow } from './clusters.repository.js';
import { effectiveClusterState, UPGRADABLE_STATES } from './term-timeline.js';

export interface UpgradeInput {
  cuSize?: number | undefined;
  replicas?: number | undefined;
  /** 升配并延长有效期 (SPEC §8.3): a new term from the payment */
  term?: Term | undefined;
}

/** Prices an upgrade of a running (or expiring) cluster; shared by the quote endpoint and the upgrade itself. */
export function priceUpgrade(deps: Deps, cluster: ClusterRow, input: UpgradeInput, now: Date): UpgradeQuote {
  const state = effectiveClusterState(cluster, now);
  if (!UPGRADABLE_STATES.includes(state) || !cluster.term_ends_at) {
    throw new AppError('CLUSTER_NOT_READY', `only a running cluster can be upgraded; this one is ${state}`, {
      state,
    });
  }
  const before = {
    ...currentShape(cluster),
    term: { unit: cluster.term_unit, count: cluster.term_count },
  };
  const after = { cuSize: input.cuSize ?? cluster.cu_size, replicas: input.replicas ?? cluster.replicas };
  return quoteUpgrade(deps.catalog, before, after, cluster.term_ends_at, now, input.term);
}

/**
 * An upgrade order. Without a term it keeps the term end; with one (SPEC §8.3) the new term starts at
 * payment. Unpaid at the cluster's expiry, the system cancels it (SPEC §8.1).
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
  const { access, cluster, pending } = await authorizeClusterChange(
    tx,
    p,
    orgId,
    clusterId,
    'cluster.upgrade',
    now,
  );
  if (pending) refusePending(pending, 'upgrade');
  const quote = priceUpgrade(deps, cluster, input, now);
  const termEndsAt = cluster.term_ends_at!;
  const before = {
    ...currentShape(cluster),
    term: { unit: cluster.term_unit, count: cluster.term_count },
    termEndsAt: termEndsAt.toISOString(),
  };
  const after = {
    ...before,
    cuSize: input.cuSize ?? cluster.cu_size,
    replicas: input.replicas ?? cluster.replicas,
    term: input.term ?? before.term,
    // With a new term the end is known only at payment.
    termEndsAt: input.term ? null : before.termEndsAt,
  };
  const order = await placeOrder(tx, {
    orgId,
    projectId: cluster.project_id,
    clusterId,
    clusterName: cluster.name,
    type: 'upgrade',
    quote,
    config: after,
    configBefore: before,
    cancelAt: termEndsAt,
    createdBy: p.id,
    ttlHours: deps.config.orderTtlHours,
    now,
  });
  return { order: presentOrder(order, access, now) };
}
