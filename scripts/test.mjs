#!/usr/bin/env node
// Runs the whole suite (vitest projects: embedded PGlite, PostgreSQL, and the browser tests when Chromium is
// installed), then prints one plain summary line. Exit code: non-zero when any test fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

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
if (summary) console.log(`\n${summary}`);
process.exit(r.status ?? 1);
