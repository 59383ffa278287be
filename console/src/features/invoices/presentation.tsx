import { Tag, Typography } from 'antd';
import type { InvoiceItemReason, InvoiceStatus } from '../../../../contract/invoices.js';
import { ApiError } from '../../api/client.js';
import type { MessageKey, T } from '../../i18n/i18n.js';
import type { InvoiceableItem } from './invoices-api.js';

/** Descriptions' labels in a gray that is 4.5:1 on white (antd's own is lighter). */
export const DESCRIPTION_STYLES = { label: { color: 'rgba(0, 0, 0, 0.65)' } } as const;

/** Every invoice status has its words and colour: a new status fails the type check until it has them. */
export const INVOICE_STATUS: Record<InvoiceStatus, { label: MessageKey; color: string }> = {
  requested: { label: 'invoices.status.requested', color: 'processing' },
  issued: { label: 'invoices.status.issued', color: 'success' },
  failed: { label: 'invoices.status.failed', color: 'error' },
};

const REASONS: Record<InvoiceItemReason, MessageKey> = {
  not_found: 'invoices.reason.not_found',
  not_issued: 'invoices.reason.not_issued',
  not_paid: 'invoices.reason.not_paid',
  nothing_to_invoice: 'invoices.reason.nothing_to_invoice',
  requested: 'invoices.reason.requested',
  invoiced: 'invoices.reason.invoiced',
};

/** "2026-10 账单" or "订单 ord_…": an item as a line of text. */
export function itemText(t: T, item: { kind: 'bill' | 'order'; id: string }): string {
  return item.kind === 'bill'
    ? t('invoices.billItem', { month: item.id })
    : `${t('invoices.kind.order')} ${item.id}`;
}

/** An invoiceable item in a table: the bill's month, or the order with its type and cluster. */
export function ItemCell({ t, item }: { t: T; item: InvoiceableItem }) {
  if (item.kind === 'bill') return <span>{t('invoices.billItem', { month: item.id })}</span>;
  return (
    <span>
      {item.orderType ? `${t(`order.type.${item.orderType}`)} ` : ''}
      <Typography.Text code>{item.id}</Typography.Text>
      {item.clusterName ? ` · ${item.clusterName}` : ''}
    </span>
  );
}

export function StatusTag({ t, status }: { t: T; status: InvoiceStatus }) {
  const s = INVOICE_STATUS[status];
  return (
    <Tag color={s.color} data-testid={`invoice-status-${status}`}>
      {t(s.label)}
    </Tag>
  );
}

/**
 * INVOICE_ITEM_NOT_ELIGIBLE names the item and why (details.item, details.reason): "订单 ord_1 不能开具发票：已开具发票".
 * Any other error: its code's words.
 */
export function requestErrorText(t: T, errorText: (e: unknown) => string, e: unknown): string {
  if (e instanceof ApiError && e.code === 'INVOICE_ITEM_NOT_ELIGIBLE') {
    const item = e.details.item as { kind?: unknown; id?: unknown } | undefined;
    const reason = e.details.reason as InvoiceItemReason | undefined;
    if (item && (item.kind === 'bill' || item.kind === 'order') && typeof item.id === 'string') {
      return t('invoices.notEligible', {
        item: itemText(t, { kind: item.kind, id: item.id }),
        reason: reason && reason in REASONS ? t(REASONS[reason]) : errorText(e),
      });
    }
  }
  return errorText(e);
}
