import { defineConfig } from 'vitest/config';

/**
 * The reliability suite (`npm run test:reliability`): real server processes on PostgreSQL, crashes, many
 * instances, hostile input. Files run one at a time (each starts its own servers and database). Scale with
 * TALLY_SIM_SEED, TALLY_SIM_STEPS, TALLY_SIM_RUNS; TALLY_RELIABILITY_BOUNDED=1 is the short run inside `npm test`.
 */
export default defineConfig({
  test: {
    name: 'reliability',
    include: ['test/reliability/**/*.test.ts'],
    env: { TZ: 'UTC' },
    fileParallelism: false,
    testTimeout: 45 * 60_000,
    hookTimeout: 120_000,
  },
});
