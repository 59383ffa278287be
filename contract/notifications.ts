import type { z } from 'zod';

/**
 * Response schemas of the notification routes (SPEC §9: 站内信, the operator's mail box, settings), by
 * "METHOD url"; contract/responses.ts merges them into responseOf.
 */
export const notificationResponses = {} satisfies Record<string, z.ZodType>;
