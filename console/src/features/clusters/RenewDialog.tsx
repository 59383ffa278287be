import { Alert, Descriptions, Flex, Form, Modal } from 'antd';
import { useState } from 'react';
import { api } from '../../api/endpoints.js';
import type { Catalog, Cluster, Term } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatInstant } from '../../lib/time.js';
import { useLiveQuote } from '../../lib/useQuote.js';
import { termLabel } from '../orders/presentation.js';
import { PendingOrderNotice, usePendingOrder } from './PendingOrderNotice.js';
import { QuoteView } from './QuoteView.js';
import { TermSelect } from './TermSelect.js';
import { defaultTerm, termMs } from './terms.js';
import { usePlaceOrder } from './usePlaceOrder.js';

/**
 * 续订: renew a cluster's term for its current configuration, with a live quote. The renewal starts at the current
 * term end (SPEC §8.2), so the new end is known before submitting; submitting lands on the unpaid renewal order.
 */
export function RenewDialog({
  cluster,
  catalog,
  onClose,
}: {
  cluster: Cluster;
  catalog: Catalog;
  onClose(): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [term, setTerm] = useState<Term>(() => defaultTerm(catalog, cluster.term));
  const placing = usePlaceOrder();
  const { busy, error } = placing;
  const input = { clusterId: cluster.id, term: { unit: term.unit, count: term.count } };
  const pending = usePendingOrder(cluster, error);
  const quote = useLiveQuote(input, pending ? undefined : () => api.quoteRenewal(org.id, input));
  const newEnd = cluster.termEndsAt
    ? new Date(new Date(cluster.termEndsAt).getTime() + termMs(catalog, term)).toISOString()
    : null;

  const submit = () =>
    pending ? undefined : placing.submit((key) => api.renewCluster(org.id, cluster.id, input.term, key));

  return (
    <Modal
      open
      width={640}
      title={t('renew.title', { name: cluster.name })}
      onCancel={onClose}
      onOk={submit}
      okText={t('renew.submit')}
      cancelText={t('renew.cancel')}
      okButtonProps={{ disabled: busy || Boolean(pending), loading: busy, 'data-testid': 'renew-confirm' }}
      destroyOnHidden
    >
      <Flex vertical gap={16} data-testid="renew-dialog">
        {pending && <PendingOrderNotice pending={pending} kind="renew" />}
        <Descriptions
          size="small"
          bordered
          column={2}
          title={t('upgrade.current')}
          items={[
            {
              key: 'cu',
              label: t('config.cuSize'),
              children: t('config.cuSizeValue', { n: cluster.cuSize }),
            },
            { key: 'replicas', label: t('config.replicas'), children: cluster.replicas },
            { key: 'term', label: t('config.term'), children: termLabel(t, cluster.term) },
            {
              key: 'end',
              label: t('renew.currentEnd'),
              children: (
                <span data-testid="renew-current-end">{formatInstant(cluster.termEndsAt, org.timeZone)}</span>
              ),
            },
          ]}
        />
        <Form layout="inline">
          <Form.Item label={t('renew.term')} htmlFor="renew-term">
            <TermSelect
              catalog={catalog}
              value={term}
              onChange={setTerm}
              testId="renew-term"
              id="renew-term"
            />
          </Form.Item>
        </Form>
        <Descriptions
          size="small"
          bordered
          column={1}
          items={[
            {
              key: 'newEnd',
              label: t('renew.newEnd'),
              children: <span data-testid="renew-new-end">{formatInstant(newEnd, org.timeZone)}</span>,
            },
          ]}
        />
        {!pending && <QuoteView quote={quote.quote} loading={quote.loading} error={quote.error} />}
        <Alert type="info" title={t('renew.note')} />
        {error !== undefined && (
          <Alert type="error" showIcon title={errorText(error)} data-testid="renew-error" />
        )}
      </Flex>
    </Modal>
  );
}
