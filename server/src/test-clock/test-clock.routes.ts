import { sql } from 'kysely';
import { ClockBody } from '../../../contract/api.js';
import { defineRoute } from '../http/route.js';
import { AppError } from '../platform/errors.js';

/** The test clock (TALLY_TEST_CLOCK=1): its offset is in the database, so that every instance agrees. */
export const testClockRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/internal/clock',
    summary: 'The test clock (only with TALLY_TEST_CLOCK=1)',
    tags: ['internal'],
    auth: 'operator',
    handler: async ({ deps, now }) => {
      if (!deps.config.testClock) throw new AppError('NOT_FOUND', 'no route GET /v1/internal/clock');
      return { body: { now } };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/internal/clock',
    summary: 'Move the test clock forward: {advanceSeconds} or {now}',
    tags: ['internal'],
    auth: 'operator',
    body: ClockBody,
    handler: async ({ deps, body, now }, tx) => {
      if (!deps.config.testClock) throw new AppError('NOT_FOUND', 'no route POST /v1/internal/clock');
      const target = 'now' in body ? body.now.getTime() : now.getTime() + body.advanceSeconds * 1000;
      if (target < now.getTime()) {
        throw new AppError('CLOCK_BACKWARDS', 'the test clock only moves forward', {
          now,
          requested: new Date(target),
        });
      }
      const delta = target - now.getTime();
      // Relative to the stored offset, so that concurrent advances add up and never go back.
      await sql`insert into test_clock (id, offset_ms) values (1, ${delta})
        on conflict (id) do update set offset_ms = test_clock.offset_ms + ${delta}`.execute(tx);
      return { body: { now: new Date(target) } };
    },
  }),
];
