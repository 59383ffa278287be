import { Alert, Button, Card, Empty, Flex, Form, Input, Modal, Tag, Typography } from 'antd';
import { useRef, useState } from 'react';
import { newIdempotencyKey } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { ApiKey, CreatedApiKey } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { CardTable } from '../../components/CardTable.js';
import { ErrorState } from '../../components/states.js';
import { toast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';

/** Create a key: a name, then the secret shown this once with a copy button. */
function CreateDialog({ onClose, onCreated }: { onClose(): void; onCreated(k: CreatedApiKey): void }) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<CreatedApiKey>();
  const [form] = Form.useForm<{ name: string }>();
  const inFlight = useRef(false);

  const submit = async () => {
    const { name } = await form.validateFields();
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(undefined);
    try {
      const k = await api.createApiKey(org.id, name);
      setCreated(k);
      onCreated(k);
    } catch (e) {
      setError(e);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const copy = async (secret: string) => {
    try {
      await navigator.clipboard.writeText(secret);
      toast.success(t('apiKeys.copied'));
    } catch {
      toast.error(t('apiKeys.copyFailed'));
    }
  };

  if (created) {
    return (
      <Modal
        open
        title={t('apiKeys.createdTitle')}
        onCancel={onClose}
        maskClosable={false}
        destroyOnHidden
        footer={
          <Button type="primary" onClick={onClose} data-testid="api-key-done">
            {t('apiKeys.done')}
          </Button>
        }
      >
        <Alert type="warning" showIcon title={t('apiKeys.createdDesc')} style={{ marginBottom: 12 }} />
        <Flex gap={8}>
          <Input
            readOnly
            value={created.secret}
            data-testid="api-key-secret"
            onFocus={(e) => e.target.select()}
          />
          <Button onClick={() => copy(created.secret)} data-testid="api-key-copy">
            {t('apiKeys.copy')}
          </Button>
        </Flex>
      </Modal>
    );
  }
  return (
    <Modal
      open
      title={t('apiKeys.create')}
      onCancel={onClose}
      onOk={submit}
      okText={t('apiKeys.create')}
      cancelText={t('apiKeys.dismiss')}
      okButtonProps={{ loading: busy, disabled: busy, 'data-testid': 'api-key-create-confirm' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" requiredMark={false} onFinish={submit}>
        <Form.Item
          label={t('apiKeys.name')}
          name="name"
          rules={[{ required: true, whitespace: true, message: t('apiKeys.nameRequired') }]}
        >
          <Input maxLength={64} placeholder={t('apiKeys.namePlaceholder')} data-testid="api-key-name" />
        </Form.Item>
      </Form>
      {error !== undefined && <Alert type="error" showIcon title={errorText(error)} />}
    </Modal>
  );
}

/** Revoke a key, after a confirmation that says it cannot be undone. */
function RevokeDialog({
  apiKey,
  onClose,
  onRevoked,
}: {
  apiKey: ApiKey;
  onClose(): void;
  onRevoked(k: ApiKey): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const idem = useRef(newIdempotencyKey());
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onRevoked(await api.revokeApiKey(org.id, apiKey.id, idem.current));
      toast.success(t('apiKeys.revokedToast'));
    } catch (e) {
      setError(e);
      idem.current = newIdempotencyKey();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('apiKeys.revokeTitle', { name: apiKey.name })}
      onCancel={onClose}
      onOk={confirm}
      okText={t('apiKeys.revokeConfirm')}
      cancelText={t('apiKeys.dismiss')}
      okButtonProps={{ danger: true, loading: busy, disabled: busy, 'data-testid': 'api-key-revoke-confirm' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
    >
      <Alert type="warning" showIcon title={t('apiKeys.revokeDesc')} />
      {error !== undefined && (
        <Alert type="error" showIcon title={errorText(error)} style={{ marginTop: 12 }} />
      )}
    </Modal>
  );
}

/** API 密钥: the signed-in user's own keys in this org — list, create (shown once), revoke. */
export function ApiKeysPage() {
  const { t } = useI18n();
  const { org } = useOrg();
  const keys = useAsync((signal) => api.apiKeys(org.id, undefined, signal), [org.id]);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey>();

  if (keys.error) return <ErrorState error={keys.error} onRetry={keys.reload} />;
  const replace = (k: ApiKey) =>
    keys.setData((prev) => prev && { ...prev, items: prev.items.map((x) => (x.id === k.id ? k : x)) });

  return (
    <Card
      title={t('apiKeys.title')}
      data-testid="api-keys-page"
      extra={
        <Button type="primary" onClick={() => setCreating(true)} data-testid="api-key-create">
          {t('apiKeys.create')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('apiKeys.intro')}</Typography.Paragraph>
      <CardTable<ApiKey>
        rowKey="id"
        loading={keys.loading}
        pagination={false}
        dataSource={keys.data?.items ?? []}
        locale={{ emptyText: <Empty description={t('apiKeys.empty')} /> }}
        onRow={(k) => ({ 'data-testid': `api-key-row-${k.id}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('apiKeys.name'), dataIndex: 'name' },
          {
            title: t('apiKeys.prefix'),
            dataIndex: 'prefix',
            render: (v: string) => <Typography.Text code>{v}…</Typography.Text>,
          },
          {
            title: t('apiKeys.createdAt'),
            dataIndex: 'createdAt',
            render: (v: string) => formatInstant(v, org.timeZone),
          },
          {
            title: t('apiKeys.lastUsedAt'),
            dataIndex: 'lastUsedAt',
            render: (v: string | null) => (v ? formatInstant(v, org.timeZone) : t('apiKeys.neverUsed')),
          },
          {
            title: t('apiKeys.status'),
            dataIndex: 'revokedAt',
            render: (v: string | null) =>
              v ? <Tag>{t('apiKeys.revoked')}</Tag> : <Tag color="green">{t('apiKeys.active')}</Tag>,
          },
          {
            title: t('apiKeys.actions'),
            key: 'actions',
            render: (_: unknown, k) =>
              k.revokedAt ? null : (
                <Button
                  type="link"
                  danger
                  onClick={() => setRevoking(k)}
                  data-testid={`api-key-revoke-${k.id}`}
                >
                  {t('apiKeys.revoke')}
                </Button>
              ),
          },
        ]}
      />
      {creating && (
        <CreateDialog
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            const { secret: _secret, ...listed } = k;
            keys.setData((prev) => prev && { ...prev, items: [listed, ...prev.items] });
          }}
        />
      )}
      {revoking && (
        <RevokeDialog
          apiKey={revoking}
          onClose={() => setRevoking(undefined)}
          onRevoked={(k) => {
            replace(k);
            setRevoking(undefined);
          }}
        />
      )}
    </Card>
  );
}
