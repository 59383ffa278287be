import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../../api/endpoints.js';
import type { Cluster } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { ErrorState } from '../../components/states.js';
import { useI18n } from '../../i18n/i18n.js';
import { catalogNames, useCatalog } from '../../lib/catalog.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { termLabel } from '../orders/presentation.js';
import { ClusterStateTag } from './ClusterStateTag.js';
import { RenewDialog } from './RenewDialog.js';
import { UpgradeDialog } from './UpgradeDialog.js';

export function ClustersPage() {
  const { t, locale } = useI18n();
  const { org, projectName, canBuy } = useOrg();
  const catalog = useCatalog();
  const names = catalogNames(catalog, locale);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useAsync(() => api.clusters(org.id, cursor), [org.id, cursor]);
  const [dialog, setDialog] = useState<{ kind: 'upgrade' | 'renew'; cluster: Cluster } | undefined>();

  if (page.error && !page.data) return <ErrorState error={page.error} onRetry={page.reload} />;

  return (
    <Card
      title={t('clusters.title')}
      data-testid="clusters-page"
      extra={
        canBuy && (
          <Link to={`/orgs/${org.id}/clusters/new`}>
            <Button type="primary" icon={<PlusOutlined />} data-testid="create-cluster">
              {t('clusters.create')}
            </Button>
          </Link>
        )
      }
    >
      <CardTable<Cluster>
        rowKey="id"
        size="middle"
        loading={page.loading}
        pagination={false}
        scrollX={1100}
        dataSource={page.data?.items ?? []}
        locale={{ emptyText: page.loading ? ' ' : <Empty description={t('clusters.empty')} /> }}
        columns={[
          { title: t('clusters.col.name'), dataIndex: 'name' },
          { title: t('orders.col.project'), dataIndex: 'projectId', render: (id: string) => projectName(id) },
          { title: t('config.region'), dataIndex: 'region', render: (r: string) => names.region(r) },
          {
            title: t('config.cuType'),
            key: 'cuType',
            render: (_: unknown, c) => names.cuType(c.region, c.cuType),
          },
          {
            title: t('config.cuSize'),
            dataIndex: 'cuSize',
            render: (n: number) => t('config.cuSizeValue', { n }),
          },
          { title: t('config.replicas'), dataIndex: 'replicas' },
          { title: t('config.term'), key: 'term', render: (_: unknown, c) => termLabel(t, c.term) },
          {
            title: t('clusters.col.state'),
            key: 'state',
            render: (_: unknown, c) => <ClusterStateTag cluster={c} />,
          },
          {
            title: t('clusters.col.termEndsAt'),
            dataIndex: 'termEndsAt',
            render: (v: string | null) => formatInstant(v, org.timeZone),
          },
          {
            title: t('orders.col.actions'),
            key: 'actions',
            // Exactly the actions the server allows now; an unpaid upgrade or renewal instead links to its order.
            render: (_: unknown, c) => (
              <Flex gap={4} wrap>
                {c.pendingOrder ? (
                  <Link to={`/orgs/${org.id}/orders/${c.pendingOrder.id}`} data-testid="pending-order">
                    <Button size="small" type="link" danger>
                      {t('clusters.pendingOrder')}
                    </Button>
                  </Link>
                ) : (
                  <>
                    {c.availableActions.includes('renew') && (
                      <Button
                        size="small"
                        type="link"
                        onClick={() => setDialog({ kind: 'renew', cluster: c })}
                        data-testid="renew"
                      >
                        {t('clusters.renew')}
                      </Button>
                    )}
                    {c.availableActions.includes('upgrade') && (
                      <Button
                        size="small"
                        type="link"
                        onClick={() => setDialog({ kind: 'upgrade', cluster: c })}
                        data-testid="upgrade"
                      >
                        {t('clusters.upgrade')}
                      </Button>
                    )}
                  </>
                )}
                <Link to={`/orgs/${org.id}/orders?q=${encodeURIComponent(c.name)}`}>
                  <Button size="small" type="link">
                    {t('clusters.viewOrders')}
                  </Button>
                </Link>
              </Flex>
            ),
          },
        ]}
      />
      <Flex justify="flex-end" gap={8} style={{ marginTop: 16 }}>
        <Button disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          {t('common.prev')}
        </Button>
        <Button
          disabled={!page.data?.nextCursor}
          onClick={() => setCursors((c) => [...c, page.data?.nextCursor ?? undefined])}
        >
          {t('common.next')}
        </Button>
      </Flex>
      {dialog?.kind === 'upgrade' && catalog && (
        <UpgradeDialog cluster={dialog.cluster} catalog={catalog} onClose={() => setDialog(undefined)} />
      )}
      {dialog?.kind === 'renew' && catalog && (
        <RenewDialog cluster={dialog.cluster} catalog={catalog} onClose={() => setDialog(undefined)} />
      )}
    </Card>
  );
}
