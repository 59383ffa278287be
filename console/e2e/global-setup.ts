import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { ROOT, SCREENSHOTS } from './harness.js';

/** The browser tests drive the built console: build it once from the current sources. */
export default function setup(): void {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  const r = spawnSync(process.execPath, ['scripts/build-console.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the console failed');
}
