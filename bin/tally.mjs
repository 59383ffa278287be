#!/usr/bin/env node
// `npx tally …`: the operator CLI. Runs the TypeScript sources through tsx when they are present (a checkout
// after `npm install`), else the compiled build in dist/ (after `npm run build` / `npm start`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'server/src/cli/main.ts');
const built = join(root, 'dist/server/src/cli/main.js');
let tsx;
try {
  tsx = import.meta.resolve('tsx');
} catch {}
let args;
if (existsSync(src) && tsx) args = ['--import', tsx, src];
else if (existsSync(built)) args = [built];
else {
  console.error(
    'tally: neither the sources with tsx nor the build (dist/) were found; run `npm install` then `npm run build`',
  );
  process.exit(1);
}
const r = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
