import { Alert, Descriptions, Form, Input, List, Modal, Radio, Typography } from 'antd';
import { useRef, useState } from 'react';
import { INVOICE_LIMITS, type InvoiceType } from '../../../../contract/invoices.js';
import { ApiError, newIdempotencyKey } from '../../api/client.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { emailsProblem, parseEmails, remarkLength } from './emails.js';
import { type Invoice, type InvoiceableItem, invoicesApi } from './invoices-api.js';
import { DESCRIPTION_STYLES, ItemCell, requestErrorText } from './presentation.js';

interface Values {
  type: InvoiceType;
  remark?: string;
  emails: string;
}

/**
 * 申请开票: the chosen items and their total, 普票 or 专票 (专票 only for a certified org; the server also
 * requires an enterprise with a tax id), the buyer taken from the org's certification (not editable), a
 * remark of at most 50 characters and 1–5 receiving addresses. One Idempotency-Key per opening, renewed
 * after a refusal.
 */
export function RequestInvoiceDialog({
  items,
  onClose,
  onRequested,
  onRefused,
}: {
  items: InvoiceableItem[];
  onClose(): void;
  onRequested(inv: Invoice): void;
  /** an item turned out not to be eligible any more: the list behind the dialog is stale */
  onRefused(): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const idem = useRef(newIdempotencyKey());
  const inFlight = useRef(false);
  const currency = items[0]?.currency ?? org.currency;
  const total = items.reduce((s, i) => s + i.amount, 0);

  const submit = async () => {
    const v = await form.validateFields();
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(undefined);
    try {
      const remark = v.remark?.trim();
      const inv = await invoicesApi.request(
        org.id,
        {
          items: items.map((i) => ({ kind: i.kind, id: i.id })),
          type: v.type,
          ...(remark ? { remark } : {}),
          emails: parseEmails(v.emails),
        },
        idem.current,
      );
      onRequested(inv);
    } catch (e) {
      setError(e);
      idem.current = newIdempotencyKey();
      if (e instanceof ApiError && e.code === 'INVOICE_ITEM_NOT_ELIGIBLE') onRefused();
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('invoices.requestTitle')}
      onCancel={onClose}
      onOk={() => void submit().catch(() => {})}
      okText={t('invoices.requestSubmit')}
      cancelText={t('invoices.cancel')}
      okButtonProps={{ loading: busy, disabled: busy, 'data-testid': 'invoice-request-submit' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
      data-testid="invoice-request-dialog"
    >
      <Descriptions
        styles={DESCRIPTION_STYLES}
        size="small"
        column={1}
        items={[
          {
            key: 'items',
            label: t('invoices.items'),
            children: (
              <List
                size="small"
                split={false}
                dataSource={items}
                renderItem={(i) => (
                  <List.Item style={{ padding: '2px 0' }}>
                    <ItemCell t={t} item={i} /> {formatMoney(i.amount, i.currency)}
                  </List.Item>
                )}
              />
            ),
          },
          {
            key: 'total',
            label: t('invoices.total'),
            children: (
              <Typography.Text strong data-testid="invoice-request-total">
                {formatMoney(total, currency)}
              </Typography.Text>
            ),
          },
        ]}
      />
      <Form<Values>
        form={form}
        layout="vertical"
        requiredMark={false}
        initialValues={{ type: 'normal', emails: '' }}
        style={{ marginTop: 12 }}
      >
        <Form.Item label={t('invoices.type')} name="type">
          <Radio.Group data-testid="invoice-type">
            <Radio value="normal" data-testid="invoice-type-normal">
              {t('invoices.type.normal')}
            </Radio>
            <Radio value="special" disabled={!org.certified} data-testid="invoice-type-special">
              {t('invoices.type.special')}
            </Radio>
          </Radio.Group>
        </Form.Item>
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title={org.certified ? t('invoices.certified') : t('invoices.notCertified')}
          description={
            <>
              {t('invoices.buyerNote')}
              {!org.certified && <div>{t('invoices.specialNeedsCert')}</div>}
            </>
          }
        />
        <Form.Item
          label={t('invoices.remark')}
          name="remark"
          extra={t('invoices.remarkHelp', { max: INVOICE_LIMITS.remark })}
          rules={[
            {
              validator: (_r, v: string | undefined) =>
                !v || remarkLength(v) <= INVOICE_LIMITS.remark
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('invoices.remarkTooLong', { max: INVOICE_LIMITS.remark }))),
            },
          ]}
        >
          <Input data-testid="invoice-remark" />
        </Form.Item>
        <Form.Item
          label={t('invoices.emails')}
          name="emails"
          extra={t('invoices.emailsHelp', { max: INVOICE_LIMITS.emails })}
          rules={[
            {
              validator: (_r, v: string | undefined) => {
                const p = emailsProblem(parseEmails(v ?? ''));
                return p ? Promise.reject(new Error(t(p.key, p.vars))) : Promise.resolve();
              },
            },
          ]}
        >
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} data-testid="invoice-emails" />
        </Form.Item>
      </Form>
      {error !== undefined && (
        <Alert
          type="error"
          showIcon
          title={requestErrorText(t, errorText, error)}
          data-testid="invoice-request-error"
        />
      )}
    </Modal>
  );
}
