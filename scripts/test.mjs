#!/usr/bin/env node
// Runs the whole suite (vitest projects: embedded PGlite, PostgreSQL, and the browser tests when Chromium is
// installed), then prints one plain summary line. Exit code: non-zero when any test fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const args = process.argv.slice(2);
const reliability = args.includes('--reliability');
const rest = args.filter((a) => a !== '--reliability');
mkdirSync('test-output', { recursive: true });
const out = 'test-output/vitest.json';
const cmd = [
  'vitest',
  'run',
  ...(reliability ? ['--config', 'test/reliability/vitest.config.ts'] : []),
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...rest,
];
const r = spawnSync('npx', cmd, { stdio: 'inherit', env: { ...process.env, TZ: 'UTC' } });
let summary = '';
if (existsSync(out)) {
  try {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
    summary = `${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped`;
  } catch {}
}
// Say again, last, what this run could not cover (the config says it first, long before the end).
const notes = [];
if (!reliability) {
  const url = process.env.TALLY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  const up = await c.connect().then(
    () => true,
    () => false,
  );
  await c.end().catch(() => {});
  if (!up || process.env.TALLY_TEST_SKIP_POSTGRES === '1')
    notes.push(`PostgreSQL half SKIPPED (not reachable at ${url})`);
  if (!existsSync('/usr/bin/chromium')) notes.push('browser tests SKIPPED (chromium not installed)');
}
for (const n of notes) console.log(`[tally] ${n}`);
if (summary) console.log(`\n${summary}`);
process.exit(r.status ?? 1);
