import { type Lang, labels, orderTypeLabel, regionLabel, unitPriceLabel } from '../documents/labels.js';
import type { Catalog } from '../pricing/catalog.js';
import { milliToString } from './bills.presenter.js';
import type { BillLineView } from './bills.service.js';

/** A bill line's item text, shared by the PDF and the spreadsheets. */
export function lineItem(l: BillLineView, lang: Lang, catalog: Catalog): string {
  const t = labels(lang);
  // documents/labels.ts has no word for it yet: the adjustment line is named here, in both languages.
  if (l.kind === 'adjustment') return lang === 'en' ? 'Adjustment (dispute resolved)' : '调整（质疑处理）';
  if (l.kind === 'subscription') {
    return `${orderTypeLabel(lang, l.orderType)} ${l.orderId} · ${l.clusterName} · ${t.settled}`;
  }
  const metric = l.metric === 'backup' ? t.backup : t.storage;
  return `${metric} · ${l.clusterName} · ${regionLabel(catalog, lang, l.region)}`;
}

export function lineQuantity(l: BillLineView): string {
  return l.quantityMilli === null ? '' : `${milliToString(l.quantityMilli)} ${l.unit ?? ''}`;
}

export const lineUnitPrice = (l: BillLineView) => unitPriceLabel(l.microsPerUnit, l.unit);
