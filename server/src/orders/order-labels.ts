import {
  type ClusterConfig,
  configLabel,
  type Lang,
  orderStatusLabel,
  orderTypeLabel,
  termLabel,
} from '../documents/labels.js';
import type { Catalog } from '../pricing/catalog.js';
import { effectiveStatus } from './order-states.js';
import type { OrderRow } from './orders.repository.js';

/** How an order reads in its documents (the PDF and the export): its type, status, configurations and term. */
export function orderLabels(
  o: Pick<OrderRow, 'type' | 'status' | 'expires_at' | 'cancel_at' | 'config' | 'config_before'>,
  ctx: { lang: Lang; now: Date; catalog: Catalog },
): { type: string; status: string; config: string; configBefore: string; term: string } {
  const config = o.config as ClusterConfig;
  return {
    type: orderTypeLabel(ctx.lang, o.type),
    status: orderStatusLabel(ctx.lang, effectiveStatus(o, ctx.now)),
    config: configLabel(ctx.catalog, ctx.lang, config),
    configBefore: configLabel(ctx.catalog, ctx.lang, o.config_before as ClusterConfig | null),
    term: termLabel(ctx.lang, config.term),
  };
}
