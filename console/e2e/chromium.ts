import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * Headless Chromium as the console's browser tests (console/e2e) and its bench (bench/console-orders.ts) drive
 * it: Debian's Chromium, never a downloaded browser, on a fresh profile that close() removes; a 1440×900
 * window in zh-CN, downloads accepted.
 */

export const CHROMIUM = '/usr/bin/chromium';

/** The launch flags, shared with the bench so both drive the same browser. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(o: {
  /** Names the profile's temporary directory. */
  profilePrefix: string;
  executablePath?: string | undefined;
}): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), o.profilePrefix));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: o.executablePath ?? CHROMIUM,
      args: [...CHROMIUM_ARGS],
      acceptDownloads: true,
      viewport: { width: 1440, height: 900 },
      locale: 'zh-CN',
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
