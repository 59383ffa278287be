import { Alert, Descriptions, Modal, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ApiError, newIdempotencyKey } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { Balance, Order } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { formatInstant } from '../../lib/time.js';
import { deadlineOf } from './deadline.js';
import { CashBalance, ShortfallNotice } from './ShortfallNotice.js';

interface Props {
  order: Order;
  onClose(): void;
  onPaid(order: Order): void;
  /** The order is no longer what the dialog shows (409): re-read it. */
  onStale(order: Order): void;
}

/**
 * 支付: the amount, the cash balance and, when it is short, the shortfall with a link to 充值. One
 * Idempotency-Key per opening of the dialog, and the button is disabled while the request is in flight, so
 * a double click (or a retry after a lost answer) can never pay twice.
 */
export function PayDialog({ order, onClose, onPaid, onStale }: Props) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const [balance, setBalance] = useState<Balance | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [payError, setPayError] = useState<unknown>();
  const [paying, setPaying] = useState(false);
  const inFlight = useRef(false);
  const key = useRef(newIdempotencyKey());

  useEffect(() => {
    let live = true;
    api.balance(org.id).then(
      (b) => live && setBalance(b),
      (e) => live && setLoadError(e),
    );
    return () => {
      live = false;
    };
  }, [org.id]);

  const shortfallFromError =
    payError instanceof ApiError && payError.code === 'INSUFFICIENT_BALANCE'
      ? Number(payError.details.shortfall)
      : undefined;
  const cash =
    payError instanceof ApiError && payError.code === 'INSUFFICIENT_BALANCE'
      ? Number(payError.details.balance)
      : balance?.cash;
  const shortfall = shortfallFromError ?? (cash !== undefined ? Math.max(0, order.amount - cash) : undefined);
  const short = shortfall !== undefined && shortfall > 0;

  const pay = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setPaying(true);
    setPayError(undefined);
    try {
      const r = await api.pay(org.id, order.id, key.current);
      // The payment answers the cash balance only: the coupons shown stay as they were.
      setBalance((b) => b && { ...b, cash: r.balance.cash });
      onPaid(r.order);
    } catch (e) {
      setPayError(e);
      if (e instanceof ApiError && e.status === 409) onStale(order);
      // A refused payment changed nothing: the next attempt is a new request with a new key.
      key.current = newIdempotencyKey();
    } finally {
      inFlight.current = false;
      setPaying(false);
    }
  };

  return (
    <Modal
      open
      title={t('pay.title')}
      onCancel={onClose}
      okText={t('pay.confirm')}
      cancelText={t('pay.dismiss')}
      onOk={pay}
      okButtonProps={{ disabled: paying || !balance || short, loading: paying, 'data-testid': 'pay-confirm' }}
      cancelButtonProps={{ disabled: paying }}
      maskClosable={false}
      destroyOnHidden
    >
      <div data-testid="pay-dialog">
        <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('pay.order')}>
            <Typography.Text copyable>{order.id}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('pay.amount')}>
            <Typography.Text strong data-testid="pay-amount">
              {formatMoney(order.amount, order.currency)}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('pay.cash')}>
            <CashBalance cash={cash} currency={order.currency} loadError={loadError} testId="pay-cash" />
          </Descriptions.Item>
          {short && (
            <Descriptions.Item label={t('pay.shortfall')}>
              <Typography.Text type="danger" strong data-testid="pay-shortfall">
                {formatMoney(shortfall, order.currency)}
              </Typography.Text>
            </Descriptions.Item>
          )}
          <Descriptions.Item label={t('pay.deadline')}>
            {formatInstant(deadlineOf(order).at, org.timeZone)}
          </Descriptions.Item>
        </Descriptions>
        {short && (
          <ShortfallNotice
            orgId={org.id}
            returnTo={`/orgs/${org.id}/orders/${order.id}`}
            linkTestId="pay-topup-link"
          />
        )}
        {payError !== undefined &&
          !(payError instanceof ApiError && payError.code === 'INSUFFICIENT_BALANCE') && (
            <Alert
              type="error"
              showIcon
              style={{ marginBottom: 12 }}
              title={errorText(payError)}
              data-testid="pay-error"
            />
          )}
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('pay.note')}
        </Typography.Text>
      </div>
    </Modal>
  );
}
