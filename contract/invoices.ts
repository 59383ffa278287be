import type { z } from 'zod';

/**
 * Request bodies and response schemas of the invoice routes (SPEC §10.4); the responses, by "METHOD url",
 * are merged into responseOf by contract/responses.ts.
 */
export const invoiceResponses = {} satisfies Record<string, z.ZodType>;
