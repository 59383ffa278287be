import { Alert } from 'antd';
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { Cluster } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';
import { useAsync } from '../../lib/useAsync.js';

/** The refusals that mean "this cluster already has an unpaid upgrade or renewal". */
const PENDING_CODES = new Set(['UPGRADE_ALREADY_PENDING', 'CLUSTER_ORDER_PENDING']);

/**
 * The cluster's unpaid upgrade or renewal, read afresh when a dialog opens (the list on screen may be older than
 * an order placed elsewhere) and again when placing an order is refused for it.
 */
export function usePendingOrder(cluster: Cluster, refusal: unknown): Cluster['pendingOrder'] {
  const { org } = useOrg();
  const fresh = useAsync(() => api.cluster(org.id, cluster.id), [org.id, cluster.id]);
  const refusedForPending = refusal instanceof ApiError && PENDING_CODES.has(refusal.code);
  const { reload } = fresh;
  useEffect(() => {
    if (refusedForPending) reload();
  }, [refusedForPending, reload]);
  return fresh.data ? fresh.data.pendingOrder : cluster.pendingOrder;
}

/** Said first in 升配 and 续订: the unpaid order that blocks them, with the way to it (查看待支付订单). */
export function PendingOrderNotice({
  pending,
  kind,
}: {
  pending: NonNullable<Cluster['pendingOrder']>;
  kind: 'upgrade' | 'renew';
}) {
  const { t } = useI18n();
  const { org } = useOrg();
  return (
    <Alert
      type="warning"
      showIcon
      role="alert"
      data-testid={`${kind}-pending`}
      title={t(kind === 'upgrade' ? 'a11y.pending.upgrade' : 'a11y.pending.renew', {
        type: t(`order.type.${pending.type}`),
      })}
      action={
        <Link to={`/orgs/${org.id}/orders/${pending.id}`} data-testid={`${kind}-pending-link`}>
          {t('a11y.pending.view')}
        </Link>
      }
    />
  );
}
