import { existsSync } from 'node:fs';
import pg from 'pg';
import { defineConfig } from 'vitest/config';

const PG_URL = process.env.TALLY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * One suite, two databases: every test under server/ and test/ runs on the embedded PGlite and on
 * PostgreSQL. Without PostgreSQL the second half is skipped with a clear message, except under CI=true,
 * where a missing PostgreSQL is a failure.
 */
export default defineConfig(async () => {
  const pgUp = process.env.TALLY_TEST_SKIP_POSTGRES === '1' ? false : await postgresReachable();
  if (!pgUp) {
    if (process.env.CI === 'true') throw new Error(`CI=true but PostgreSQL is not reachable at ${PG_URL}`);
    console.warn(
      `\n[tally] PostgreSQL not reachable at ${PG_URL}: SKIPPING the PostgreSQL half of the suite (embedded PGlite only).\n`,
    );
  }
  const common = {
    include: ['server/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**', 'dist/**'],
    // Generous: a timeout is there to stop a hang, and on a loaded 2-core machine a race test's setup alone
    // has taken over a minute.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A worker runs its files one after another in one module graph instead of importing the server afresh
    // for each file (the imports took more CPU than the tests). A file shares no state with the next: each
    // builds its own app on its own database (test/harness.ts), and no test mocks a module.
    isolate: false,
    // Closes what each file's startTestTally opened (test/after-file.ts).
    setupFiles: ['test/after-file.ts'],
  };
  // Browser tests (console/e2e) run on Debian's Chromium only. `npm test` (scripts/test.mjs) installs it with
  // fonts-noto-cjk when missing, or sets TALLY_TEST_SKIP_BROWSER=1 after saying why it could not; with CI=true
  // a missing browser fails.
  const skipBrowser = process.env.TALLY_TEST_SKIP_BROWSER === '1';
  const chromium = !skipBrowser && existsSync('/usr/bin/chromium');
  if (!chromium) {
    const why = skipBrowser ? 'TALLY_TEST_SKIP_BROWSER=1' : '/usr/bin/chromium is not installed';
    if (process.env.CI === 'true')
      throw new Error(
        `CI=true but ${why} (npm test installs it: apt-get install --no-install-recommends chromium fonts-noto-cjk)`,
      );
    if (!skipBrowser)
      console.warn(
        '\n[tally] SKIPPING browser tests: /usr/bin/chromium is not installed (`npm test` installs it, or: apt-get install --no-install-recommends chromium fonts-noto-cjk).\n',
      );
  }
  const consoleUnit = { name: 'console', include: ['console/src/**/*.test.ts'], env: { TZ: 'UTC' } };
  const LATE_WORKERS = 3;
  const e2e = {
    name: 'e2e',
    include: ['console/e2e/**/*.test.ts'],
    globalSetup: ['console/e2e/global-setup.ts'],
    // After the database projects, in one group with the reliability suite, three files of either at a time
    // (a browser test spends much of its time waiting on the page: two files took 104 s where one after the
    // other took 157 s). Each file has its own server, database, browser and ports.
    maxWorkers: LATE_WORKERS,
    sequence: { groupOrder: 1 },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // A page waited on by expect.poll (a quote after a click, a row after a payment) is a request and a render
    // away: under the suite's load that took over vitest's default second (the quote after choosing 1年).
    expect: { poll: { timeout: 10_000 } },
    // The servers of the browser tests run on PostgreSQL when it is there (a database of their own each; the
    // seed's flows, console/e2e/orders.test.ts, on the embedded PGlite as `npm start` runs), else on PGlite.
    env: { TZ: 'UTC', ...(pgUp ? { TALLY_E2E_DATABASE_URL: PG_URL } : {}) },
  };
  // The reliability suite's bounded run (test/reliability: real server processes, crashes, three instances,
  // hostile input) on PostgreSQL only, after the database projects, beside the browser tests. Each file works on
  // a database of its own; it asserts what was lost or paid twice, and the failover test the longest gap
  // without a payment with room for a busy machine (measured here beside the browser tests: 1.8 s of 3 s
  // allowed around a switchover, 7.6 s of 15 s after a crash).
  const reliability = {
    name: 'reliability',
    include: ['test/reliability/**/*.test.ts'],
    maxWorkers: LATE_WORKERS,
    sequence: { groupOrder: 1 },
    testTimeout: 600_000,
    hookTimeout: 180_000,
    env: { TZ: 'UTC', TALLY_RELIABILITY_BOUNDED: '1', TALLY_TEST_DATABASE_URL: PG_URL },
  };
  // Two test files at a time (vitest's default on a 2-core machine is one): the database tests spend much of
  // their time waiting on PostgreSQL, timers and sockets. TALLY_TEST_WORKERS overrides. The browser and
  // reliability projects run after them, three files at a time (LATE_WORKERS).
  const workers = Number(process.env.TALLY_TEST_WORKERS ?? 2);
  return {
    test: {
      env: { TZ: 'UTC' },
      maxWorkers: workers,
      projects: [
        {
          test: {
            ...common,
            name: 'pglite',
            // one migrated PGlite database, restored by every test file (test/pglite-template.ts)
            globalSetup: ['test/pglite-template.ts'],
            env: { TZ: 'UTC', TALLY_TEST_DB: 'pglite' },
          },
        },
        ...(pgUp
          ? [
              {
                test: {
                  ...common,
                  name: 'postgres',
                  env: { TZ: 'UTC', TALLY_TEST_DB: 'postgres', TALLY_TEST_DATABASE_URL: PG_URL },
                },
              },
            ]
          : []),
        { test: consoleUnit },
        ...(chromium ? [{ test: e2e }] : []),
        ...(pgUp ? [{ test: reliability }] : []),
      ],
    },
  };
});
