#!/usr/bin/env node
// Builds the console (console/) into dist/console with Vite, when the console sources exist.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';

if (!existsSync('console/vite.config.ts')) {
  mkdirSync('dist/console', { recursive: true });
  console.log('console: no sources yet, skipping the build');
  process.exit(0);
}
// A production bundle even when called from a test runner (vitest sets NODE_ENV=test, which Vite would honour).
const r = spawnSync('npx', ['vite', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production' },
});
process.exit(r.status ?? 1);
