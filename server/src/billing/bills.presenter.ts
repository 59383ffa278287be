import { Currency } from '../../../contract/enums.js';
import type { Bill, BillLine, BillSummary } from '../../../contract/responses.js';
import type { BillLineView, BillView } from './bills.service.js';

/** Thousandths as a fixed 3-decimal string ("12.500"): quantities are not money, and never floats. */
export function milliToString(milli: number): string {
  const sign = milli < 0 ? '-' : '';
  const abs = Math.abs(milli);
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
}

export function presentBillLine(l: BillLineView): BillLine {
  return {
    lineNo: l.lineNo,
    kind: l.kind,
    /** subscription orders are prepaid: settled when the order was paid, nothing is due on them here */
    settlement: l.kind === 'subscription' ? 'prepaid' : 'pay_as_you_go',
    orderId: l.orderId,
    orderType: l.orderType,
    clusterId: l.clusterId,
    clusterName: l.clusterName,
    region: l.region,
    metric: l.metric,
    quantity: l.quantityMilli === null ? null : milliToString(l.quantityMilli),
    unit: l.unit,
    /** millionths of a fen per unit */
    unitPriceMicros: l.microsPerUnit,
    paidAt: l.at?.toISOString() ?? null,
    amount: l.amount,
    couponAmount: l.couponAmount,
    dueAmount: l.dueAmount,
  };
}

export function presentBillSummary(b: Omit<BillView, 'lines' | 'couponApplications'>): BillSummary {
  return {
    orgId: b.orgId,
    month: b.month,
    currency: Currency.parse(b.currency),
    status: b.status,
    periodStart: b.periodStart.toISOString(),
    periodEnd: b.periodEnd.toISOString(),
    issuedAt: b.issuedAt?.toISOString() ?? null,
    dueAt: b.dueAt?.toISOString() ?? null,
    paidAt: b.paidAt?.toISOString() ?? null,
    overdueAt: b.overdueAt?.toISOString() ?? null,
    totalAmount: b.totalAmount,
    prepaidAmount: b.prepaidAmount,
    usageAmount: b.usageAmount,
    couponAmount: b.couponAmount,
    amountDue: b.amountDue,
    paidAmount: b.paidAmount,
    outstandingAmount: b.status === 'open' ? 0 : b.amountDue - b.paidAmount,
    confirmsAt: b.confirmsAt?.toISOString() ?? null,
    confirmedAt: b.confirmedAt?.toISOString() ?? null,
    disputedAt: b.disputedAt?.toISOString() ?? null,
    disputeReason: b.disputeReason,
    adjustmentAmount: b.adjustmentAmount,
  };
}

export function presentBill(b: BillView): Bill {
  return {
    ...presentBillSummary(b),
    lines: b.lines.map(presentBillLine),
    couponApplications: b.couponApplications,
  };
}
