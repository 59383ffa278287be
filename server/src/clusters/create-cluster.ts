import type { z } from 'zod';
import type { CreateClusterBody } from '../../../contract/api.js';
import { authorizeProject } from '../access/policy.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { assertNotFrozen } from '../ledger/arrears.js';
import { presentOrder } from '../orders/orders.presenter.js';
import { placeOrder } from '../orders/place-order.js';
import { getProject } from '../orgs/orgs.repository.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { quotePurchase } from '../pricing/price.js';
import { presentCluster } from './clusters.presenter.js';
import { getCluster, insertCluster } from './clusters.repository.js';

/** The validated body of POST /v1/orgs/{orgId}/clusters (contract/api.ts). */
export type CreateClusterInput = z.infer<typeof CreateClusterBody>;

/**
 * Creating a subscription cluster creates its unpaid new-purchase order. Every check runs before the first
 * write, and all writes share one transaction: a submission that fails creates no order and no cluster.
 */
export async function createCluster(
  deps: Deps,
  tx: Tx,
  p: UserPrincipal,
  orgId: string,
  input: CreateClusterInput,
  now: Date,
) {
  const access = authorizeProject(p, orgId, input.projectId, 'cluster.create', 'project');
  const org = await requireOrg(tx, orgId);
  // SPEC §10.3: a frozen org (an overdue bill unpaid) cannot create clusters.
  await assertNotFrozen(tx, orgId, now);
  if (!(await getProject(tx, orgId, input.projectId))) throw new AppError('NOT_FOUND', 'project not found');
  if (!org.certified) {
    throw new AppError(
      'ORG_NOT_CERTIFIED',
      'the organization must be certified before it can buy subscription clusters',
    );
  }
  const quote = quotePurchase(deps.catalog, input, input.term);
  const expiresAt = new Date(now.getTime() + deps.config.orderTtlHours * 3_600_000);
  const clusterId = newId('cls', now);
  const orderId = newId('ord', now);
  await insertCluster(tx, {
    org_id: orgId,
    id: clusterId,
    project_id: input.projectId,
    name: input.name,
    region: input.region,
    cu_type: input.cuType,
    cu_size: input.cuSize,
    replicas: input.replicas,
    term_unit: input.term.unit,
    term_count: input.term.count,
    state: 'pending_payment',
    payment_deadline: expiresAt,
    term_ends_at: null,
    target_cu_size: null,
    target_replicas: null,
    ready_at: null,
    created_at: now,
    updated_at: now,
  });
  const config = {
    region: input.region,
    cuType: input.cuType,
    cuSize: input.cuSize,
    replicas: input.replicas,
    term: input.term,
  };
  const order = await placeOrder(
    tx,
    {
      orgId,
      projectId: input.projectId,
      clusterId,
      clusterName: input.name,
      type: 'new_purchase',
      quote,
      config,
      configBefore: null,
      cancelAt: null,
      createdBy: p.id,
      ttlHours: deps.config.orderTtlHours,
      now,
    },
    orderId,
  );
  const cluster = (await getCluster(tx, orgId, clusterId))!;
  return {
    cluster: presentCluster(cluster, now, { access, pending: null }),
    order: presentOrder(order, access, now),
  };
}
