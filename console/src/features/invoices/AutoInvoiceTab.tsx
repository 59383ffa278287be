import { Alert, Button, Form, Input, Switch, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { INVOICE_LIMITS } from '../../../../contract/invoices.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { ErrorState, PageLoading } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { emailsProblem, parseEmails } from './emails.js';
import { invoicesApi } from './invoices-api.js';

interface Values {
  enabled: boolean;
  emails: string;
}

/** 自动开票: a 专票 for each bill 3 days after it is fully paid, sent to the addresses given (SPEC §10.4). */
export function AutoInvoiceTab() {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const message = useToast();
  const mayChange = can(org, 'invoice.request');
  const setting = useAsync((signal) => invoicesApi.autoInvoice(org.id, signal), [org.id]);
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const enabled = Form.useWatch('enabled', form);
  useEffect(() => {
    if (setting.data)
      form.setFieldsValue({ enabled: setting.data.enabled, emails: setting.data.emails.join('\n') });
  }, [setting.data, form]);

  if (setting.error) return <ErrorState error={setting.error} onRetry={setting.reload} />;
  if (!setting.data) return <PageLoading />;
  const save = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(undefined);
    try {
      const s = await invoicesApi.setAutoInvoice(org.id, {
        enabled: v.enabled,
        emails: parseEmails(v.emails),
      });
      setting.setData(() => s);
      message.success(t('invoices.auto.saved'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="auto-invoice-tab">
      <Typography.Paragraph type="secondary">{t('invoices.auto.intro')}</Typography.Paragraph>
      {!mayChange && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('invoices.auto.readOnly')} />
      )}
      <Form<Values>
        form={form}
        layout="vertical"
        requiredMark={false}
        disabled={!mayChange || busy}
        style={{ maxWidth: 520 }}
      >
        <Form.Item label={t('invoices.auto.switch')} name="enabled" valuePropName="checked">
          <Switch data-testid="auto-invoice-switch" />
        </Form.Item>
        <Form.Item
          label={t('invoices.auto.emails')}
          name="emails"
          extra={t('invoices.emailsHelp', { max: INVOICE_LIMITS.emails })}
          rules={[
            {
              validator: (_r, v: string | undefined) => {
                const p = emailsProblem(parseEmails(v ?? ''), enabled ? 1 : 0);
                return p ? Promise.reject(new Error(t(p.key, p.vars))) : Promise.resolve();
              },
            },
          ]}
        >
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} data-testid="auto-invoice-emails" />
        </Form.Item>
        {mayChange && (
          <Button
            type="primary"
            loading={busy}
            onClick={() => void save().catch(() => {})}
            data-testid="auto-invoice-save"
          >
            {t('invoices.auto.save')}
          </Button>
        )}
      </Form>
      {setting.data.updatedAt && (
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          {t('invoices.auto.updated', { time: formatInstant(setting.data.updatedAt, org.timeZone) })}
        </Typography.Paragraph>
      )}
      {error !== undefined && (
        <Alert type="error" showIcon title={errorText(error)} style={{ marginTop: 12 }} />
      )}
    </div>
  );
}
