import { Flex, Switch, Tooltip, Typography } from 'antd';
import { lazy, Suspense, useState } from 'react';
import { api } from '../../api/endpoints.js';
import { useOrg } from '../../app/org.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { withLaterStyles } from '../../lib/laterStyles.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';

const AutoRenewConfirm = lazy(() =>
  withLaterStyles(import('./AutoRenewConfirm.js')).then((m) => ({ default: m.AutoRenewConfirm })),
);

/**
 * The org's 自动续订 switch (SPEC §8.4), at the top of 费用中心 > 订单: every role that reads orders sees it, only
 * an Org Admin changes it, and only after a confirmation that says what it does.
 */
export function AutoRenewSwitch() {
  const { t } = useI18n();
  const message = useToast();
  const { org } = useOrg();
  const setting = useAsync(() => api.autoRenew(org.id), [org.id]);
  const [asking, setAsking] = useState<boolean | undefined>();
  const mayChange = org.orgRole === 'org_admin';
  // Not readable for this role (or not loaded): the orders page stands without it.
  if (!setting.data) return null;
  const { enabled, updatedAt } = setting.data;
  const toggle = (
    <Switch
      checked={enabled}
      disabled={!mayChange}
      onChange={(on) => setAsking(on)}
      aria-label={t('autoRenew.label')}
      data-testid="auto-renew-switch"
    />
  );
  return (
    <Flex
      vertical
      gap={4}
      style={{ marginBottom: 16, padding: '12px 16px', border: '1px solid #f0f0f0', borderRadius: 8 }}
      data-testid="auto-renew"
    >
      <Flex gap={8} align="center">
        <Typography.Text strong>{t('autoRenew.label')}</Typography.Text>
        {mayChange ? (
          toggle
        ) : (
          <Tooltip title={t('autoRenew.adminOnly')}>
            <span data-testid="auto-renew-locked">{toggle}</span>
          </Tooltip>
        )}
        <Typography.Text type={enabled ? 'success' : 'secondary'} data-testid="auto-renew-state">
          {t(enabled ? 'autoRenew.on' : 'autoRenew.off')}
        </Typography.Text>
        {updatedAt && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('autoRenew.updatedAt', { at: formatInstant(updatedAt, org.timeZone) })}
          </Typography.Text>
        )}
      </Flex>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('autoRenew.desc')}
      </Typography.Text>
      {asking !== undefined && (
        <Suspense fallback={null}>
          <AutoRenewConfirm
            enable={asking}
            onClose={() => setAsking(undefined)}
            onDone={(s) => {
              setting.setData(() => s);
              setAsking(undefined);
              message.success(t(s.enabled ? 'autoRenew.enabledToast' : 'autoRenew.disabledToast'));
            }}
          />
        </Suspense>
      )}
    </Flex>
  );
}
