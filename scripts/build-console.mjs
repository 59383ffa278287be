#!/usr/bin/env node
// Builds the console (console/) into dist/console with Vite, when the console sources exist, and writes a
// brotli (.br) and a gzip (.gz) copy beside every text file of the build, which the server sends to browsers
// that accept them (server/src/http/console.ts) instead of compressing on every request.
//   node scripts/build-console.mjs [--out=DIR]   (default dist/console)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const outArg = process.argv.slice(2).find((a) => a.startsWith('--out='));
const outDir = resolve(outArg ? outArg.slice('--out='.length) : 'dist/console');

if (!existsSync('console/vite.config.ts')) {
  mkdirSync(outDir, { recursive: true });
  console.log('console: no sources yet, skipping the build');
  process.exit(0);
}
// A production bundle even when called from a test runner (vitest sets NODE_ENV=test, which Vite would honour).
const args = ['vite', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'];
if (outArg) args.push('--outDir', outDir, '--emptyOutDir');
const r = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
if (r.status !== 0) process.exit(r.status ?? 1);
// antd's stylesheet in two: the first screen's part, and the rest applied after it (scripts/split-antd-css.mjs).
const split = spawnSync(process.execPath, ['scripts/split-antd-css.mjs', outDir], { stdio: 'inherit' });
if (split.status !== 0) process.exit(split.status ?? 1);

// Text worth compressing; below ~1 KB the headers cost more than the bytes saved.
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.txt', '.map']);
const MIN_BYTES = 1024;
const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

async function compress(file) {
  const raw = readFileSync(file);
  const [br, gzipped] = await Promise.all([
    brotli(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    }),
    gz(raw, { level: 9 }),
  ]);
  // A copy that is not smaller is not written: the server then sends the file as it is.
  if (br.length < raw.length) writeFileSync(`${file}.br`, br);
  if (gzipped.length < raw.length) writeFileSync(`${file}.gz`, gzipped);
  return { raw: raw.length, br: Math.min(br.length, raw.length), gz: Math.min(gzipped.length, raw.length) };
}

const todo = files(outDir).filter((f) => COMPRESSIBLE.has(extname(f)) && statSync(f).size >= MIN_BYTES);
const total = { raw: 0, br: 0, gz: 0 };
// zlib runs on libuv's thread pool: a few files at a time keep every core busy without flooding it.
const workers = Math.max(2, Math.min(4, availableParallelism()));
let next = 0;
await Promise.all(
  Array.from({ length: workers }, async () => {
    while (next < todo.length) {
      const s = await compress(todo[next++]);
      for (const k of Object.keys(total)) total[k] += s[k];
    }
  }),
);
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(
  `console: ${todo.length} files compressed, ${kib(total.raw)} → ${kib(total.br)} brotli, ${kib(total.gz)} gzip`,
);
