import type { z } from 'zod';
import type { CreateClusterBody } from '../../../contract/api.js';
import { authorizeProject } from '../access/policy.js';
import type { Tx } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { UserPrincipal } from '../http/principal.js';
import { presentOrder } from '../orders/orders.presenter.js';
import { getOrder, insertHistory, insertOrder } from '../orders/orders.repository.js';
import { getProject } from '../orgs/orgs.repository.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { emit } from '../outbox/outbox.js';
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
  await insertOrder(tx, {
    org_id: orgId,
    id: orderId,
    project_id: input.projectId,
    cluster_id: clusterId,
    cluster_name: input.name,
    type: 'new_purchase',
    status: 'unpaid',
    currency: quote.currency,
    amount: quote.amount,
    list_amount: quote.listAmount,
    discount_amount: quote.discountAmount,
    config: JSON.stringify(config),
    config_before: null,
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
    payload: { orderId, type: 'new_purchase', clusterId },
    now,
  });
  const cluster = (await getCluster(tx, orgId, clusterId))!;
  const order = (await getOrder(tx, orgId, orderId))!;
  return { cluster: presentCluster(cluster, now), order: presentOrder(order, access, now) };
}
