import { Alert, Modal, Typography } from 'antd';
import { useRef, useState } from 'react';
import { ApiError, newIdempotencyKey } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { Order } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';

/** 取消订单 → a warning that it is irreversible → 确定取消. */
export function CancelDialog({
  order,
  onClose,
  onCancelled,
  onStale,
}: {
  order: Order;
  onClose(): void;
  onCancelled(order: Order): void;
  onStale(order: Order): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const inFlight = useRef(false);
  const key = useRef(newIdempotencyKey());

  const confirm = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.cancel(org.id, order.id, key.current);
      onCancelled(r.order);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.status === 409) onStale(order);
      key.current = newIdempotencyKey();
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('cancel.title')}
      onCancel={onClose}
      onOk={confirm}
      okText={t('cancel.confirm')}
      cancelText={t('cancel.dismiss')}
      okButtonProps={{ danger: true, loading: busy, disabled: busy, 'data-testid': 'cancel-confirm' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
    >
      <div data-testid="cancel-dialog">
        <Alert type="warning" showIcon title={t('cancel.warning')} style={{ marginBottom: 12 }} />
        <Typography.Text>{t('cancel.order', { id: order.id })}</Typography.Text>
        {error !== undefined && (
          <Alert
            type="error"
            showIcon
            title={errorText(error)}
            style={{ marginTop: 12 }}
            data-testid="cancel-error"
          />
        )}
      </div>
    </Modal>
  );
}
