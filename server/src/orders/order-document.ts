import type { OrderConfig } from '../../../contract/responses.js';
import { type Lang, labels, yuan } from '../documents/labels.js';
import { renderPdf } from '../documents/pdf.js';
import { localDateTime } from '../platform/time.js';
import type { Catalog } from '../pricing/catalog.js';
import { termEndAfterUpgrade } from '../pricing/price.js';
import { orderLabels } from './order-labels.js';
import { effectiveStatus, systemEnd } from './order-states.js';
import type { OrderRow } from './orders.repository.js';

/**
 * The order as a PDF (the 订单 page's 下载): org, order id, type, the configuration bought (and before, for
 * an upgrade or a renewal, with the term end before and after), term, list price, discount, amount due, status, and its times in the org's time zone.
 */
export async function orderDocument(
  o: OrderRow,
  ctx: {
    orgName: string;
    timeZone: string;
    projectName: string | null;
    lang: Lang;
    now: Date;
    catalog: Catalog;
  },
): Promise<Buffer> {
  const l = labels(ctx.lang);
  const at = (d: Date | null) => (d ? localDateTime(d, ctx.timeZone) : '—');
  const status = effectiveStatus(o, ctx.now);
  const shown = orderLabels(o, ctx);
  const rows: [string, string][] = [
    [l.org, ctx.orgName],
    [l.orderId, o.id],
    [l.type, shown.type],
    [l.status, shown.status],
    [l.project, ctx.projectName ?? o.project_id],
    [l.cluster, `${o.cluster_name} (${o.cluster_id})`],
    [l.config, shown.config],
  ];
  if (o.type !== 'new_purchase') rows.push([l.configBefore, shown.configBefore]);
  const ends = termEnds(o);
  if (ends)
    rows.push(
      [l.termEndsBefore, at(ends.before)],
      [l.termEndsAfter, ends.after ? at(ends.after) : l.termEndsAfterUnpaid],
    );
  rows.push(
    [l.term, shown.term],
    [l.listPrice, yuan(o.list_amount)],
    [l.discount, o.discount_amount ? `-${yuan(o.discount_amount)}` : yuan(0)],
    [l.amountDue, yuan(o.amount)],
    [l.createdAt, at(o.created_at)],
    [l.deadline, at(o.expires_at)],
  );
  const end = systemEnd(o);
  if (end.to === 'cancelled') rows.push([l.systemCancelAt, at(end.at)]);
  rows.push([l.paidAt, at(o.paid_at)]);
  // An order the system ended but the sweeper has not written yet ended at the system's instant.
  const ended = o.status === 'unpaid' && status !== 'unpaid' ? systemEnd(o).at : null;
  const cancelledAt = o.cancelled_at ?? (status === 'cancelled' ? ended : null);
  const timedOutAt = o.timed_out_at ?? (status === 'timed_out' ? ended : null);
  if (status === 'cancelled') rows.push([l.cancelledAt, at(cancelledAt)]);
  if (status === 'timed_out') rows.push([l.timedOutAt, at(timedOutAt)]);
  // The document changes only when the order does: its latest transition time is its timestamp.
  const stamp = o.paid_at ?? cancelledAt ?? timedOutAt ?? o.created_at;
  return renderPdf(
    { title: `${l.order} ${o.id}`, subject: l.order, timestamp: stamp, lang: ctx.lang },
    (w) => {
      w.title(`${l.order} ${o.id}`, ctx.orgName);
      w.fields(rows);
      w.note(l.timeZoneNote(ctx.timeZone));
    },
  );
}

/**
 * An upgrade's or a renewal's term end before and after (SPEC §8.2, §8.3): a renewal's new end is known when
 * it is made; an upgrade with a new term ends a term after its payment, so only once paid.
 */
function termEnds(o: OrderRow): { before: Date; after: Date | null } | null {
  const before = (o.config_before as OrderConfig | null)?.termEndsAt;
  if (!before) return null;
  const config = o.config as OrderConfig;
  if (config.termEndsAt) return { before: new Date(before), after: new Date(config.termEndsAt) };
  return { before: new Date(before), after: o.paid_at ? termEndAfterUpgrade(o.paid_at, config.term) : null };
}
