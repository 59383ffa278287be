import type { z } from 'zod';

/**
 * Response schemas of the webhook routes (SPEC §9: endpoints, deliveries), by "METHOD url";
 * contract/responses.ts merges them into responseOf.
 */
export const webhookResponses = {} satisfies Record<string, z.ZodType>;
