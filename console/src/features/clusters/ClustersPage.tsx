import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints.js';
import type { Cluster } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { LinkButton } from '../../components/LinkButton.js';
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
  const { org, projects, canBuy } = useOrg();
  const catalog = useCatalog();
  const names = catalogNames(catalog, locale);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useAsync(() => api.clusters(org.id, cursor), [org.id, cursor]);
  const [dialog, setDialog] = useState<{ kind: 'upgrade' | 'renew'; cluster: Cluster } | undefined>();
  // The dialogs unmount as they close: the button that opened one gets the focus back.
  const opener = useRef<HTMLElement | null>(null);
  const openDialog = (kind: 'upgrade' | 'renew', cluster: Cluster) => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setDialog({ kind, cluster });
  };
  const closeDialog = () => setDialog(undefined);
  useEffect(() => {
    if (dialog || !opener.current) return;
    const el = opener.current;
    opener.current = null;
    if (el.isConnected) el.focus();
  }, [dialog]);
  // A project's name, never its id: nothing until the names have loaded.
  const projectName = (id: string) => projects.find((p) => p.id === id)?.name;

  if (page.error && !page.data) return <ErrorState error={page.error} onRetry={page.reload} />;

  return (
    <Card
      title={t('clusters.title')}
      data-testid="clusters-page"
      extra={
        canBuy && (
          <LinkButton
            to={`/orgs/${org.id}/clusters/new`}
            type="primary"
            icon={<PlusOutlined />}
            data-testid="create-cluster"
          >
            {t('clusters.create')}
          </LinkButton>
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
          {
            title: t('orders.col.project'),
            dataIndex: 'projectId',
            render: (id: string) =>
              projectName(id) ?? (
                <span role="status" aria-label={t('a11y.projectLoading')}>
                  …
                </span>
              ),
          },
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
                  <LinkButton
                    to={`/orgs/${org.id}/orders/${c.pendingOrder.id}`}
                    size="small"
                    type="link"
                    danger
                    data-testid="pending-order"
                  >
                    {t('clusters.pendingOrder')}
                  </LinkButton>
                ) : (
                  <>
                    {c.availableActions.includes('renew') && (
                      <Button
                        size="small"
                        type="link"
                        onClick={() => openDialog('renew', c)}
                        data-testid="renew"
                      >
                        {t('clusters.renew')}
                      </Button>
                    )}
                    {c.availableActions.includes('upgrade') && (
                      <Button
                        size="small"
                        type="link"
                        onClick={() => openDialog('upgrade', c)}
                        data-testid="upgrade"
                      >
                        {t('clusters.upgrade')}
                      </Button>
                    )}
                  </>
                )}
                <LinkButton
                  to={`/orgs/${org.id}/orders?q=${encodeURIComponent(c.name)}`}
                  size="small"
                  type="link"
                >
                  {t('clusters.viewOrders')}
                </LinkButton>
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
        <UpgradeDialog cluster={dialog.cluster} catalog={catalog} onClose={closeDialog} />
      )}
      {dialog?.kind === 'renew' && catalog && (
        <RenewDialog cluster={dialog.cluster} catalog={catalog} onClose={closeDialog} />
      )}
    </Card>
  );
}
