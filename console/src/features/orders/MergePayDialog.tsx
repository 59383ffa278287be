import { Alert, Descriptions, List, Modal, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useLocation } from 'react-router-dom';
import type { MergedPayment } from '../../../../contract/responses.js';
import { ApiError, newIdempotencyKey } from '../../api/client.js';
import { api } from '../../api/endpoints.js';
import type { Balance, Order, OrderStatus } from '../../api/types.js';
import { useOrg } from '../../app/org.js';
import { useI18n } from '../../i18n/i18n.js';
import { formatMoney } from '../../lib/money.js';
import { listApi } from './listApi.js';
import { CashBalance, ShortfallNotice } from './ShortfallNotice.js';

interface Props {
  orders: Order[];
  onClose(): void;
  onPaid(result: MergedPayment): void;
  /** Some orders are no longer payable (409): re-read them. */
  onStale(orderIds: string[]): void;
}

/** The sum of the orders' amounts, in integer minor units. */
export function totalOf(orders: Pick<Order, 'amount'>[]): number {
  return orders.reduce((sum, o) => sum + o.amount, 0);
}

/** The orders a refusal names (ORDER_NOT_PAYABLE: details.orders [{id, status}]). */
function refusedOrders(e: unknown): { id: string; status: OrderStatus }[] {
  if (!(e instanceof ApiError) || e.code !== 'ORDER_NOT_PAYABLE') return [];
  const list = e.details.orders;
  return Array.isArray(list)
    ? list.filter(
        (x): x is { id: string; status: OrderStatus } =>
          typeof x === 'object' && x !== null && typeof (x as { id?: unknown }).id === 'string',
      )
    : [];
}

/**
 * 合并支付: the chosen orders with their amounts, the total, the cash balance and, when it is short, the
 * shortfall with 去充值 (which comes back to this list with its filters). One request for all the orders, all
 * or nothing; one Idempotency-Key per opening, renewed after a refusal, and no second request while one is in
 * flight, so a double click pays once.
 */
export function MergePayDialog({ orders, onClose, onPaid, onStale }: Props) {
  const { t, errorText } = useI18n();
  const { org } = useOrg();
  const location = useLocation();
  const [balance, setBalance] = useState<Balance | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [payError, setPayError] = useState<unknown>();
  const [paying, setPaying] = useState(false);
  const inFlight = useRef(false);
  const key = useRef(newIdempotencyKey());
  const currency = orders[0]?.currency ?? 'CNY';
  const total = totalOf(orders);

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

  const insufficient =
    payError instanceof ApiError && payError.code === 'INSUFFICIENT_BALANCE' ? payError : undefined;
  const cash = insufficient ? Number(insufficient.details.balance) : balance?.cash;
  const shortfall = insufficient
    ? Number(insufficient.details.shortfall)
    : cash !== undefined
      ? Math.max(0, total - cash)
      : undefined;
  const short = shortfall !== undefined && shortfall > 0;
  const refused = refusedOrders(payError);
  const returnTo = `${location.pathname}${location.search}`;

  const pay = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setPaying(true);
    setPayError(undefined);
    try {
      const r = await listApi.payTogether(
        org.id,
        orders.map((o) => o.id),
        key.current,
      );
      setBalance((b) => b && { ...b, cash: r.balance.cash });
      onPaid(r);
    } catch (e) {
      setPayError(e);
      const stale = refusedOrders(e).map((o) => o.id);
      if (stale.length) onStale(stale);
      // A refusal paid nothing: the next attempt is a new request with a new key.
      key.current = newIdempotencyKey();
    } finally {
      inFlight.current = false;
      setPaying(false);
    }
  };

  return (
    <Modal
      open
      title={t('mergePay.title')}
      onCancel={onClose}
      okText={t('pay.confirm')}
      cancelText={t('pay.dismiss')}
      onOk={pay}
      okButtonProps={{
        disabled: paying || !balance || short || orders.length === 0,
        loading: paying,
        'data-testid': 'merge-pay-confirm',
      }}
      cancelButtonProps={{ disabled: paying }}
      maskClosable={false}
      destroyOnHidden
    >
      <div data-testid="merge-pay-dialog">
        <List
          size="small"
          bordered
          style={{ marginBottom: 16 }}
          header={<span data-testid="merge-pay-count">{t('mergePay.count', { n: orders.length })}</span>}
          dataSource={orders}
          renderItem={(o) => (
            <List.Item
              data-testid="merge-pay-order"
              data-order-id={o.id}
              extra={<span data-testid="merge-pay-order-amount">{formatMoney(o.amount, o.currency)}</span>}
            >
              <span style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
                <Typography.Text style={{ fontFamily: 'monospace', fontSize: 12 }}>{o.id}</Typography.Text>{' '}
                <Typography.Text type="secondary">
                  {t(`order.type.${o.type}`)} · {o.clusterName}
                </Typography.Text>
              </span>
            </List.Item>
          )}
        />
        <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('mergePay.total')}>
            <Typography.Text strong data-testid="merge-pay-total">
              {formatMoney(total, currency)}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('pay.cash')}>
            <CashBalance cash={cash} currency={currency} loadError={loadError} testId="merge-pay-cash" />
          </Descriptions.Item>
          {short && (
            <Descriptions.Item label={t('pay.shortfall')}>
              <Typography.Text type="danger" strong data-testid="merge-pay-shortfall">
                {formatMoney(shortfall, currency)}
              </Typography.Text>
            </Descriptions.Item>
          )}
        </Descriptions>
        {short && (
          <ShortfallNotice
            orgId={org.id}
            returnTo={returnTo}
            insufficient={insufficient}
            linkTestId="merge-pay-topup-link"
            testId="merge-pay-short"
          />
        )}
        {payError !== undefined && !insufficient && (
          <Alert
            type="error"
            showIcon
            style={{ marginBottom: 12 }}
            title={errorText(payError)}
            description={
              refused.length > 0 ? (
                <>
                  {t('mergePay.notPayable')}
                  <ul style={{ margin: '4px 0 0', paddingInlineStart: 20 }}>
                    {refused.map((o) => (
                      <li key={o.id} data-testid="merge-pay-refused">
                        {t('mergePay.orderStatus', { id: o.id, status: t(`order.status.${o.status}`) })}
                      </li>
                    ))}
                  </ul>
                </>
              ) : undefined
            }
            data-testid="merge-pay-error"
          />
        )}
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('pay.note')}
        </Typography.Text>
      </div>
    </Modal>
  );
}
