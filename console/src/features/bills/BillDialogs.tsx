import { Alert, Descriptions, Form, Input, Modal, Typography } from 'antd';
import { useRef, useState } from 'react';
import { newIdempotencyKey } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { BillSummary } from '../../api/types.js';
import { can } from '../../app/access.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { useAsync } from '../../lib/useAsync.js';
import { billsApi } from './bills-api.js';

/** Descriptions' labels in a gray that is 4.5:1 on white (antd's own is lighter). */
export const DESCRIPTION_STYLES = { label: { color: 'rgba(0, 0, 0, 0.65)' } } as const;

/** The dispute reason's bounds (contract/api.ts DisputeBillBody). */
export const DISPUTE_REASON_MAX = 500;

/** One dialog's request: busy guard, kept error, one Idempotency-Key per opening renewed after a refusal. */
function useBillAction(run: (key: string) => Promise<BillSummary>, onDone: (b: BillSummary) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const idem = useRef(newIdempotencyKey());
  const inFlight = useRef(false);
  const go = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(undefined);
    try {
      onDone(await run(idem.current));
    } catch (e) {
      setError(e);
      idem.current = newIdempotencyKey();
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  return { busy, error, go };
}

/**
 * 确认账单: says what confirming charges — the amount due, taken from coupons first and then the cash balance
 * as far as it goes, the rest left to pay — with the cash balance now when the caller may read it.
 */
export function ConfirmBillDialog({
  bill,
  onClose,
  onDone,
}: {
  bill: BillSummary;
  onClose(): void;
  onDone(b: BillSummary): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const showCash = can(org, 'balance.read');
  const balance = useAsync(async () => (showCash ? api.balance(org.id) : undefined), [org.id, showCash]);
  const { busy, error, go } = useBillAction((key) => billsApi.confirm(org.id, bill.month, key), onDone);
  const money = (v: number) => formatMoney(v, bill.currency);
  return (
    <Modal
      open
      title={t('bills.confirmTitle', { month: bill.month })}
      onCancel={onClose}
      onOk={() => void go()}
      okText={t('bills.confirmOk')}
      cancelText={t('bills.dismiss')}
      okButtonProps={{ loading: busy, disabled: busy, 'data-testid': 'bill-confirm-ok' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
    >
      <Descriptions
        styles={DESCRIPTION_STYLES}
        size="small"
        column={1}
        items={[
          { key: 'total', label: t('bills.total'), children: money(bill.totalAmount) },
          { key: 'prepaid', label: t('bills.prepaid'), children: money(bill.prepaidAmount) },
          { key: 'usage', label: t('bills.usage'), children: money(bill.usageAmount) },
          {
            key: 'due',
            label: t('bills.amountDue'),
            children: (
              <Typography.Text strong data-testid="bill-confirm-amount">
                {money(bill.amountDue)}
              </Typography.Text>
            ),
          },
          ...(showCash && balance.data
            ? [{ key: 'cash', label: t('balance.cash'), children: money(balance.data.cash) }]
            : []),
          ...(bill.confirmsAt
            ? [
                {
                  key: 'auto',
                  label: t('bills.status'),
                  children: t('bills.confirmsAt', { time: formatInstant(bill.confirmsAt, org.timeZone) }),
                },
              ]
            : []),
        ]}
      />
      <Alert
        type="info"
        showIcon
        style={{ marginTop: 12 }}
        title={t('bills.confirmDesc', { amount: money(bill.amountDue) })}
      />
      {error !== undefined && (
        <Alert
          type="error"
          showIcon
          title={errorText(error)}
          style={{ marginTop: 12 }}
          data-testid="bill-action-error"
        />
      )}
    </Modal>
  );
}

/** 质疑账单: a reason of 1–500 characters; nothing is charged until an operator resolves it. */
export function DisputeBillDialog({
  bill,
  onClose,
  onDone,
}: {
  bill: BillSummary;
  onClose(): void;
  onDone(b: BillSummary): void;
}) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [form] = Form.useForm<{ reason: string }>();
  const reason = useRef('');
  const { busy, error, go } = useBillAction(
    (key) => billsApi.dispute(org.id, bill.month, reason.current, key),
    onDone,
  );
  const submit = async () => {
    const v = await form.validateFields();
    reason.current = v.reason.trim();
    await go();
  };
  return (
    <Modal
      open
      title={t('bills.disputeTitle', { month: bill.month })}
      onCancel={onClose}
      onOk={() => void submit().catch(() => {})}
      okText={t('bills.disputeOk')}
      cancelText={t('bills.dismiss')}
      okButtonProps={{ loading: busy, disabled: busy, 'data-testid': 'bill-dispute-ok' }}
      cancelButtonProps={{ disabled: busy }}
      maskClosable={false}
      destroyOnHidden
    >
      <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('bills.disputeDesc')} />
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item
          label={t('bills.disputeReason')}
          name="reason"
          rules={[
            {
              required: true,
              whitespace: true,
              max: DISPUTE_REASON_MAX,
              message: t('bills.disputeReasonRequired'),
            },
          ]}
        >
          <Input.TextArea
            autoSize={{ minRows: 3, maxRows: 8 }}
            maxLength={DISPUTE_REASON_MAX}
            showCount
            data-testid="bill-dispute-reason"
          />
        </Form.Item>
      </Form>
      {error !== undefined && (
        <Alert
          type="error"
          showIcon
          title={errorText(error)}
          style={{ marginTop: 12 }}
          data-testid="bill-action-error"
        />
      )}
    </Modal>
  );
}
