import type { ClusterAction, OrderType } from '../../../contract/enums.js';
import type { Cluster } from '../../../contract/responses.js';
import { canProject } from '../access/policy.js';
import type { OrgAccess } from '../http/principal.js';
import type { ClusterRow } from './clusters.repository.js';
import {
  deleteAtOf,
  effectiveClusterState,
  RENEWABLE_STATES,
  recycleAtOf,
  UPGRADABLE_STATES,
} from './term-timeline.js';

/** The cluster's unpaid upgrade or renewal order (SPEC §2: at most one), still payable now. */
export interface PendingOrder {
  id: string;
  type: OrderType;
  expiresAt: Date;
}

/** The buttons the console shows on a cluster: what this caller may do to it now. */
function clusterActions(
  c: ClusterRow,
  state: Cluster['state'],
  access: OrgAccess | null,
  pending: PendingOrder | null,
): ClusterAction[] {
  if (!access || pending) return [];
  const actions: ClusterAction[] = [];
  if (UPGRADABLE_STATES.includes(state) && canProject(access, c.project_id, 'cluster.upgrade'))
    actions.push('upgrade');
  if (RENEWABLE_STATES.includes(state) && canProject(access, c.project_id, 'cluster.renew'))
    actions.push('renew');
  return actions;
}

export function presentCluster(
  c: ClusterRow,
  now: Date,
  ctx: { access: OrgAccess | null; pending: PendingOrder | null },
): Cluster {
  const state = effectiveClusterState(c, now);
  // Only an order the caller may see is named (a project viewer sees the cluster, not its orders).
  const pending =
    ctx.pending && ctx.access && canProject(ctx.access, c.project_id, 'order.read') ? ctx.pending : null;
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
    recycleAt: c.term_ends_at ? recycleAtOf(c.term_ends_at).toISOString() : null,
    deleteAt: c.term_ends_at ? deleteAtOf(c.term_ends_at).toISOString() : null,
    pendingOrder: pending
      ? { id: pending.id, type: pending.type, expiresAt: pending.expiresAt.toISOString() }
      : null,
    availableActions: clusterActions(c, state, ctx.access, ctx.pending),
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}
