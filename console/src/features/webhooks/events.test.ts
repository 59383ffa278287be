import { expect, test } from 'vitest';
import { WEBHOOK_ENDPOINTS_PER_ORG, WEBHOOK_EVENT_TYPES } from '../../../../contract/webhooks.js';
import { ENDPOINTS_PER_ORG, EVENT_TYPES } from './events.js';

test("the console's copy of the webhook event types and limit is the contract's", () => {
  expect(EVENT_TYPES).toEqual([...WEBHOOK_EVENT_TYPES]);
  expect(ENDPOINTS_PER_ORG).toBe(WEBHOOK_ENDPOINTS_PER_ORG);
});
