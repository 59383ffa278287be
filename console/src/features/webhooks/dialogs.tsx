import { Alert, Button, Checkbox, Flex, Form, Input, Modal, Typography } from 'antd';
import { useRef, useState } from 'react';
import type { Webhook, WebhookEventType, WebhookWithSecret } from '../../../../contract/webhooks.js';
import { ApiError } from '../../api/client.js';
import { useOrg } from '../../app/org.js';
import { toast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { webhooksApi } from './api.js';
import { ENDPOINTS_PER_ORG, EVENT_TYPES } from './events.js';

/** The signing secret, shown this once (after 添加 and after 轮换密钥), with a copy button and the warning. */
export function SecretDialog({
  title,
  webhook,
  onClose,
}: {
  title: string;
  webhook: WebhookWithSecret;
  onClose(): void;
}) {
  const { t } = useI18n();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(webhook.secret);
      toast.success(t('common.copied'));
    } catch {
      toast.error(t('common.copyFailed'));
    }
  };
  return (
    <Modal
      open
      title={title}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={onClose} data-testid="webhook-secret-done">
          {t('webhooks.done')}
        </Button>
      }
    >
      <Alert type="warning" showIcon title={t('webhooks.secretWarning')} style={{ marginBottom: 12 }} />
      <Typography.Paragraph style={{ overflowWrap: 'anywhere' }}>
        <Typography.Text type="secondary">{t('webhooks.url')}: </Typography.Text>
        <Typography.Text code>{webhook.url}</Typography.Text>
      </Typography.Paragraph>
      <label htmlFor="webhook-secret" style={{ display: 'block', marginBottom: 4 }}>
        {t('webhooks.secret')}
      </label>
      <Flex gap={8}>
        <Input
          id="webhook-secret"
          readOnly
          value={webhook.secret}
          data-testid="webhook-secret"
          onFocus={(e) => e.target.select()}
        />
        <Button onClick={copy} data-testid="webhook-secret-copy">
          {t('common.copy')}
        </Button>
      </Flex>
    </Modal>
  );
}

/**
 * The event types as a checklist: a labelled group (Form.Item hands its control aria-required and aria-invalid,
 * which a group may not carry, so only the description and the id are passed on).
 */
function EventChecklist({
  id,
  value,
  onChange,
  'aria-describedby': describedBy,
}: {
  id?: string;
  value?: WebhookEventType[];
  onChange?(v: WebhookEventType[]): void;
  'aria-describedby'?: string;
}) {
  const { t } = useI18n();
  return (
    <fieldset
      id={id}
      aria-label={t('webhooks.events')}
      aria-describedby={describedBy}
      style={{ border: 0, margin: 0, padding: 0, minWidth: 0 }}
    >
      <Checkbox.Group
        style={{ width: '100%' }}
        value={value}
        onChange={(v) => onChange?.(v as WebhookEventType[])}
        data-testid="webhook-events"
      >
        <Flex vertical gap={6} style={{ width: '100%' }}>
          {EVENT_TYPES.map((e) => (
            <Checkbox key={e} value={e} data-testid={`webhook-event-${e}`}>
              {t(`webhooks.event.${e}`)}{' '}
              <Typography.Text type="secondary" code>
                {e}
              </Typography.Text>
            </Checkbox>
          ))}
        </Flex>
      </Checkbox.Group>
    </fieldset>
  );
}

interface AddForm {
  url: string;
  events: WebhookEventType[];
}

/** A refusal of the URL (scheme, private address) or of the org's limit, from the server's VALIDATION_FAILED. */
function refusal(e: unknown): 'url' | 'limit' | undefined {
  if (!(e instanceof ApiError) || e.code !== 'VALIDATION_FAILED') return undefined;
  if (typeof e.details.limit === 'number') return 'limit';
  const issues = Array.isArray(e.details.issues) ? (e.details.issues as { field?: unknown }[]) : [];
  return issues.some((i) => i.field === 'url') ? 'url' : undefined;
}

/** 添加 Webhook: the URL and the events; on success the secret is shown once (by the caller). */
export function AddWebhookDialog({
  onClose,
  onCreated,
}: {
  onClose(): void;
  onCreated(w: WebhookWithSecret): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [form] = Form.useForm<AddForm>();
  const events = Form.useWatch('events', form) ?? [];
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const inFlight = useRef(false);

  const submit = async () => {
    let values: AddForm;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(undefined);
    try {
      const order = new Map(EVENT_TYPES.map((e, i) => [e, i]));
      const chosen = [...values.events].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
      onCreated(await webhooksApi.create(org.id, { url: values.url.trim(), events: chosen }));
    } catch (e) {
      if (refusal(e) === 'url') form.setFields([{ name: 'url', errors: [t('webhooks.urlRefused')] }]);
      else setError(e);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const all = events.length === EVENT_TYPES.length;
  return (
    <Modal
      open
      title={t('webhooks.add')}
      onCancel={onClose}
      onOk={submit}
      okText={t('webhooks.create')}
      cancelText={t('webhooks.cancel')}
      okButtonProps={{ loading: busy, disabled: busy, 'data-testid': 'webhook-create-confirm' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
      width={640}
    >
      <Form<AddForm>
        form={form}
        layout="vertical"
        requiredMark={false}
        initialValues={{ url: '', events: [] }}
        onFinish={submit}
      >
        <Form.Item
          label={t('webhooks.url')}
          name="url"
          extra={t('webhooks.urlHint')}
          rules={[
            { required: true, whitespace: true, message: t('webhooks.urlRequired') },
            {
              validator: async (_, v: string) => {
                if (!v?.trim()) return;
                let u: URL;
                try {
                  u = new URL(v.trim());
                } catch {
                  throw new Error(t('webhooks.urlInvalid'));
                }
                // https in production; the server decides (an operator may allow http for on-premises use)
                if (u.protocol !== 'https:' && u.protocol !== 'http:')
                  throw new Error(t('webhooks.urlInvalid'));
              },
            },
          ]}
        >
          <Input
            maxLength={2048}
            inputMode="url"
            placeholder={t('webhooks.urlPlaceholder')}
            data-testid="webhook-url"
          />
        </Form.Item>
        <Form.Item
          label={t('webhooks.events')}
          name="events"
          rules={[{ required: true, type: 'array', min: 1, message: t('webhooks.eventsRequired') }]}
        >
          <EventChecklist />
        </Form.Item>
        <Checkbox
          checked={all}
          indeterminate={events.length > 0 && !all}
          onChange={(e) => form.setFieldsValue({ events: e.target.checked ? [...EVENT_TYPES] : [] })}
          data-testid="webhook-events-all"
          style={{ marginTop: -12, marginBottom: 12 }}
        >
          {t('webhooks.selectAll')}
        </Checkbox>
      </Form>
      {error !== undefined && (
        <Alert
          type="error"
          showIcon
          data-testid="webhook-create-error"
          title={
            refusal(error) === 'limit'
              ? t('webhooks.limitReached', { limit: ENDPOINTS_PER_ORG })
              : errorText(error)
          }
        />
      )}
    </Modal>
  );
}

/** 轮换密钥: a confirmation that says the old secret stops at once, then the new secret shown once. */
export function RotateDialog({
  webhook,
  onClose,
  onRotated,
}: {
  webhook: Webhook;
  onClose(): void;
  onRotated(w: Webhook): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [rotated, setRotated] = useState<WebhookWithSecret>();
  const inFlight = useRef(false);

  if (rotated) return <SecretDialog title={t('webhooks.rotatedTitle')} webhook={rotated} onClose={onClose} />;

  const confirm = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(undefined);
    try {
      const w = await webhooksApi.rotateSecret(org.id, webhook.id);
      const { secret: _secret, ...listed } = w;
      onRotated(listed);
      setRotated(w);
    } catch (e) {
      setError(e);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('webhooks.rotateTitle')}
      onCancel={onClose}
      onOk={confirm}
      okText={t('webhooks.rotateConfirm')}
      cancelText={t('webhooks.cancel')}
      okButtonProps={{ danger: true, loading: busy, disabled: busy, 'data-testid': 'webhook-rotate-confirm' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
    >
      <Typography.Paragraph>
        <Typography.Text code style={{ overflowWrap: 'anywhere' }}>
          {webhook.url}
        </Typography.Text>
      </Typography.Paragraph>
      <Alert type="warning" showIcon title={t('webhooks.rotateDesc')} />
      {error !== undefined && (
        <Alert type="error" showIcon title={errorText(error)} style={{ marginTop: 12 }} />
      )}
    </Modal>
  );
}

/** 删除: after a confirmation that names the URL and says the log goes with it. */
export function DeleteDialog({
  webhook,
  onClose,
  onDeleted,
}: {
  webhook: Webhook;
  onClose(): void;
  onDeleted(id: string): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await webhooksApi.remove(org.id, webhook.id);
      toast.success(t('webhooks.deleted'));
      onDeleted(webhook.id);
    } catch (e) {
      // already gone (another tab): the list drops it all the same
      if (e instanceof ApiError && e.status === 404) onDeleted(webhook.id);
      else setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('webhooks.deleteTitle')}
      onCancel={onClose}
      onOk={confirm}
      okText={t('webhooks.deleteConfirm')}
      cancelText={t('webhooks.cancel')}
      okButtonProps={{ danger: true, loading: busy, disabled: busy, 'data-testid': 'webhook-delete-confirm' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
    >
      <Alert
        type="warning"
        showIcon
        title={
          <span style={{ overflowWrap: 'anywhere' }}>{t('webhooks.deleteDesc', { url: webhook.url })}</span>
        }
      />
      {error !== undefined && (
        <Alert type="error" showIcon title={errorText(error)} style={{ marginTop: 12 }} />
      )}
    </Modal>
  );
}
