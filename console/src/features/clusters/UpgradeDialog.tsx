import { Alert, Checkbox, Descriptions, Flex, Form, InputNumber, Modal, Select } from 'antd';
import { useState } from 'react';
import { api } from '../../api/endpoints.js';
import type { Catalog, Cluster, Term } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';
import { useLiveQuote } from '../../lib/useQuote.js';
import { PendingOrderNotice, usePendingOrder } from './PendingOrderNotice.js';
import { QuoteView } from './QuoteView.js';
import { TermSelect } from './TermSelect.js';
import { defaultTerm } from './terms.js';
import { usePlaceOrder } from './usePlaceOrder.js';

/**
 * 升配: raise the CU size and/or the replicas of a running cluster, with a live prorated quote; optionally also
 * extend the term (同时延长有效期, SPEC §8.3), priced as the new configuration for the new term less the credit.
 */
export function UpgradeDialog({
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
  const [cuSize, setCuSize] = useState(cluster.cuSize);
  const [replicas, setReplicas] = useState(cluster.replicas);
  const placing = usePlaceOrder();
  const { busy, error } = placing;
  const [extend, setExtend] = useState(false);
  const [term, setTerm] = useState<Term>(() => defaultTerm(catalog, cluster.term));
  const changed = cuSize * replicas > cluster.cuSize * cluster.replicas;
  const newTerm = extend ? { unit: term.unit, count: term.count } : undefined;
  const input = { clusterId: cluster.id, cuSize, replicas, ...(newTerm ? { term: newTerm } : {}) };
  const pending = usePendingOrder(cluster, error);
  const quote = useLiveQuote(input, changed && !pending ? () => api.quoteUpgrade(org.id, input) : undefined);

  const submit = async () => {
    if (!changed || pending) return;
    const body = {
      ...(cuSize !== cluster.cuSize ? { cuSize } : {}),
      ...(replicas !== cluster.replicas ? { replicas } : {}),
      ...(newTerm ? { term: newTerm } : {}),
    };
    await placing.submit((key) => api.upgradeCluster(org.id, cluster.id, body, key));
  };

  return (
    <Modal
      open
      width={640}
      title={t('upgrade.title', { name: cluster.name })}
      onCancel={onClose}
      onOk={submit}
      okText={t('upgrade.submit')}
      cancelText={t('upgrade.cancel')}
      okButtonProps={{
        disabled: !changed || busy || Boolean(pending),
        loading: busy,
        'data-testid': 'upgrade-confirm',
      }}
      destroyOnHidden
    >
      <Flex vertical gap={16} data-testid="upgrade-dialog">
        {pending && <PendingOrderNotice pending={pending} kind="upgrade" />}
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
          ]}
        />
        <Form layout="inline">
          <Form.Item label={t('config.cuSize')} htmlFor="upgrade-cusize">
            <Select
              id="upgrade-cusize"
              style={{ width: 140 }}
              value={cuSize}
              onChange={setCuSize}
              options={catalog.cuSizes
                .filter((n) => n >= cluster.cuSize)
                .map((n) => ({ value: n, label: t('config.cuSizeValue', { n }) }))}
              data-testid="upgrade-cusize"
            />
          </Form.Item>
          <Form.Item label={t('config.replicas')} htmlFor="upgrade-replicas">
            <InputNumber
              id="upgrade-replicas"
              min={cluster.replicas}
              max={catalog.replicas.max}
              precision={0}
              value={replicas}
              onChange={(v) => setReplicas(v ?? cluster.replicas)}
              data-testid="upgrade-replicas"
            />
          </Form.Item>
        </Form>
        <Flex gap={16} align="center" wrap>
          <Checkbox
            checked={extend}
            onChange={(e) => setExtend(e.target.checked)}
            data-testid="upgrade-extend"
          >
            {t('upgrade.extend')}
          </Checkbox>
          {extend && (
            <TermSelect
              catalog={catalog}
              value={term}
              onChange={setTerm}
              testId="upgrade-term"
              ariaLabel={t('a11y.extendTerm')}
            />
          )}
        </Flex>
        {pending ? null : changed ? (
          <QuoteView quote={quote.quote} loading={quote.loading} error={quote.error} />
        ) : (
          <Alert type="info" showIcon title={t('upgrade.noChange')} />
        )}
        <Alert type="info" title={t(extend ? 'upgrade.extendNote' : 'upgrade.note')} />
        {error !== undefined && (
          <Alert type="error" showIcon title={errorText(error)} data-testid="upgrade-error" />
        )}
      </Flex>
    </Modal>
  );
}
