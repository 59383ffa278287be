import { billStatusLabel, type Lang, labels, yuan } from '../documents/labels.js';
import { renderPdf } from '../documents/pdf.js';
import { localDateTime } from '../platform/time.js';
import type { Catalog } from '../pricing/catalog.js';
import { lineItem, lineQuantity, lineUnitPrice } from './bill-rows.js';
import type { BillView } from './bills.service.js';

/** A month's bill as a PDF: totals, then every line, then the coupons applied. */
export async function billDocument(
  b: BillView,
  ctx: { lang: Lang; now: Date; catalog: Catalog },
): Promise<Buffer> {
  const l = labels(ctx.lang);
  const at = (d: Date | null) => (d ? localDateTime(d, b.orgTimeZone) : '—');
  const periodEndInclusive = new Date(b.periodEnd.getTime() - 1000);
  const fields: [string, string][] = [
    [l.org, b.orgName],
    [l.month, b.month],
    [l.period, `${at(b.periodStart)} — ${at(periodEndInclusive)}`],
    [l.billStatus, billStatusLabel(ctx.lang, b.status)],
    [l.totalAmount, yuan(b.totalAmount)],
    [l.prepaidAmount, yuan(b.prepaidAmount)],
    [l.usageAmount, yuan(b.usageAmount)],
    [l.couponAmount, b.couponAmount ? `-${yuan(b.couponAmount)}` : yuan(0)],
    [l.billAmountDue, yuan(b.amountDue)],
  ];
  if (b.status !== 'open') {
    fields.push(
      [l.paidAmount, yuan(b.paidAmount)],
      [l.outstanding, yuan(b.amountDue - b.paidAmount)],
      [l.issuedAt, at(b.issuedAt)],
      [l.dueAt, at(b.dueAt)],
      [l.paidAt, at(b.paidAt)],
    );
  }
  return renderPdf(
    {
      title: `${l.bill} ${b.month}`,
      subject: l.bill,
      timestamp: b.issuedAt ?? b.periodStart,
      lang: ctx.lang,
    },
    (w) => {
      w.title(`${l.bill} ${b.month}`, b.orgName);
      w.fields(fields);
      w.heading(l.lines);
      if (b.lines.length === 0) w.note(l.noLines);
      else
        w.table(
          [
            { header: l.lineNo, width: 0.7, align: 'right' },
            { header: l.item, width: 3.6 },
            { header: l.quantity, width: 2.2, align: 'right' },
            { header: l.unitPrice, width: 2, align: 'right' },
            { header: l.amount, width: 1.4, align: 'right' },
            { header: l.coupon, width: 1.2, align: 'right' },
            { header: l.due, width: 1.3, align: 'right' },
          ],
          b.lines.map((x) => [
            String(x.lineNo),
            lineItem(x, ctx.lang, ctx.catalog),
            lineQuantity(x),
            lineUnitPrice(x),
            yuan(x.amount),
            x.couponAmount ? `-${yuan(x.couponAmount)}` : '',
            yuan(x.dueAmount),
          ]),
        );
      if (b.couponApplications.length) {
        w.heading(l.couponsApplied);
        w.table(
          [
            { header: l.couponId, width: 3 },
            { header: l.lineNo, width: 1, align: 'right' },
            { header: l.amount, width: 1.5, align: 'right' },
          ],
          b.couponApplications.map((a) => [a.couponId, String(a.lineNo), `-${yuan(a.amount)}`]),
        );
      }
      if (b.status === 'open') w.note(l.openNote);
      w.note(l.timeZoneNote(b.orgTimeZone));
    },
  );
}
