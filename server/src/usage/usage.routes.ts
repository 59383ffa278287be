import { UsageBody } from '../../../contract/api.js';
import { defineRoute } from '../http/route.js';
import { ingestUsage } from './ingest-usage.js';

export const usageRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/internal/usage',
    summary:
      'Ingest pay-as-you-go usage events (storage GB-hours, backup GB-days), once per event id however often sent',
    tags: ['internal'],
    auth: 'operator',
    body: UsageBody,
    handler: async ({ deps, body, now }, tx) => ({
      body: await ingestUsage(
        tx,
        { catalog: deps.catalog, billingTimeZone: deps.config.billingTimeZone },
        body.events,
        now,
      ),
    }),
  }),
];
