import { Alert, Modal, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../api/endpoints.js';
import type { AutoRenewSetting } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';

/** Turning 自动续订 on or off says what it does first, and changes it only when confirmed. */
export function AutoRenewConfirm({
  enable,
  onDone,
  onClose,
}: {
  enable: boolean;
  onDone(s: AutoRenewSetting): void;
  onClose(): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const confirm = async () => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      onDone(await api.setAutoRenew(org.id, enable));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t(enable ? 'autoRenew.enableTitle' : 'autoRenew.disableTitle')}
      onCancel={onClose}
      onOk={confirm}
      okText={t(enable ? 'autoRenew.enable' : 'autoRenew.disable')}
      cancelText={t('autoRenew.dismiss')}
      okButtonProps={{ loading: busy, danger: !enable, 'data-testid': 'auto-renew-confirm' }}
      destroyOnHidden
    >
      <div data-testid="auto-renew-dialog">
        <Typography.Paragraph>{t(enable ? 'autoRenew.desc' : 'autoRenew.disableDesc')}</Typography.Paragraph>
        {error !== undefined && (
          <Alert type="error" showIcon title={errorText(error)} data-testid="auto-renew-error" />
        )}
      </div>
    </Modal>
  );
}
