import { Flex, Tag } from 'antd';
import type { Cluster, ClusterState } from '../../api/types.js';
import { useI18n } from '../../i18n/i18n.js';
import { daysUntil } from '../../lib/time.js';
import { useNow } from '../../lib/useNow.js';

const STATE_COLORS: Record<ClusterState, string> = {
  pending_payment: 'orange',
  creating: 'processing',
  running: 'green',
  upgrading: 'processing',
  expiring: 'gold',
  expired: 'red',
  recycled: 'default',
  deleted: 'default',
  cancelled: 'default',
};

/**
 * The cluster's state as the server reads it now, with what comes next on the expiry timeline (SPEC §8.1):
 * 即将过期 — days to the term end; 已过期 — days to the recycle bin; 回收站 — days to deletion.
 */
export function ClusterStateTag({ cluster }: { cluster: Cluster }) {
  const { t } = useI18n();
  const nowMs = useNow();
  const next =
    cluster.state === 'expiring' && cluster.termEndsAt
      ? t('cluster.expiresIn', { n: daysUntil(cluster.termEndsAt, nowMs) })
      : cluster.state === 'expired' && cluster.recycleAt
        ? t('cluster.recyclesIn', { n: daysUntil(cluster.recycleAt, nowMs) })
        : cluster.state === 'recycled' && cluster.deleteAt
          ? t('cluster.deletesIn', { n: daysUntil(cluster.deleteAt, nowMs) })
          : undefined;
  return (
    <Flex vertical gap={2} align="flex-start">
      <Tag color={STATE_COLORS[cluster.state]} data-testid="cluster-state" style={{ marginInlineEnd: 0 }}>
        {t(`cluster.state.${cluster.state}`)}
      </Tag>
      {next && (
        <span
          style={{ fontSize: 12, color: cluster.state === 'expiring' ? '#ad4e00' : '#cf1322' }}
          data-testid="cluster-state-next"
        >
          {next}
        </span>
      )}
    </Flex>
  );
}
