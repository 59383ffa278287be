import type { ClusterState } from '../../../contract/enums.js';
import type { Cluster } from '../../../contract/responses.js';
import type { ClusterRow } from './clusters.repository.js';

/** A new purchase's cluster reads as cancelled from its order's deadline on, swept or not. */
export function effectiveClusterState(c: ClusterRow, now: Date): ClusterState {
  if (c.state === 'pending_payment' && c.payment_deadline && now.getTime() >= c.payment_deadline.getTime()) {
    return 'cancelled';
  }
  return c.state;
}

export function presentCluster(c: ClusterRow, now: Date): Cluster {
  const state = effectiveClusterState(c, now);
  return {
    id: c.id,
    orgId: c.org_id,
    projectId: c.project_id,
    name: c.name,
    region: c.region,
    cuType: c.cu_type,
    cuSize: c.cu_size,
    replicas: c.replicas,
    term: { unit: c.term_unit, count: c.term_count },
    state,
    termEndsAt: c.term_ends_at?.toISOString() ?? null,
    paymentDeadline: state === 'pending_payment' ? (c.payment_deadline?.toISOString() ?? null) : null,
    upgradingTo:
      state === 'upgrading' && c.target_cu_size !== null && c.target_replicas !== null
        ? { cuSize: c.target_cu_size, replicas: c.target_replicas }
        : null,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}
