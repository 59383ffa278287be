#!/usr/bin/env node
// Runs the whole suite (vitest projects: embedded PGlite, PostgreSQL, and the browser tests), then prints one
// plain summary line. Exit code: non-zero when any test fails.
// The browser tests need two Debian packages: chromium (/usr/bin/chromium) and fonts-noto-cjk (so that
// screenshots of Chinese pages are readable). When one is missing this installs it with apt-get (as root);
// TALLY_TEST_NO_INSTALL=1 opts out. When they cannot be had, the browser tests are skipped with the reason,
// and with CI=true the run fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const args = process.argv.slice(2);
const reliability = args.includes('--reliability');
const rest = args.filter((a) => a !== '--reliability');
mkdirSync('test-output', { recursive: true });

const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests have a CJK font: Debian's fonts-noto-cjk, or any font fontconfig lists for Chinese. */
function cjkFont() {
  const deb = spawnSync('dpkg-query', ['-W', `-f=\${db:Status-Status}`, 'fonts-noto-cjk'], {
    encoding: 'utf8',
  });
  if (deb.status === 0 && deb.stdout.trim() === 'installed') return true;
  const fc = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return fc.status === 0 && fc.stdout.trim() !== '';
}

function missingBrowserPackages() {
  return [...(existsSync(CHROMIUM) ? [] : ['chromium']), ...(cjkFont() ? [] : ['fonts-noto-cjk'])];
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure the browser tests' Debian packages are installed, installing the missing ones with apt-get.
 * Returns undefined when all are present, else why they are not (the browser tests are then skipped).
 */
function ensureBrowserPackages() {
  const missing = missingBrowserPackages();
  if (missing.length === 0) return undefined;
  const what = missing.join(' ');
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  const manual = `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${what}`;
  const cannot = (why, fix = `install them with \`${manual}\``) =>
    `the browser tests need the Debian package(s) ${what}, which are not installed, and ${why}; ` +
    `${fix} and run the tests again`;
  if (process.env.TALLY_TEST_NO_INSTALL === '1')
    return cannot('TALLY_TEST_NO_INSTALL=1 says not to install them');
  if (!hasCommand('apt-get'))
    return cannot(
      'this machine has no apt-get (not Debian or Ubuntu), so this script cannot install them',
      `install Chromium as ${CHROMIUM} and a CJK font (Noto Sans CJK) with this system's package manager`,
    );
  if (process.getuid?.() !== 0) return cannot('installing them needs root (this runs as a normal user)');
  console.log(
    `[tally] installing ${missing.join(', ')} with apt-get for the browser tests (console/e2e drives ${CHROMIUM}; ` +
      'fonts-noto-cjk makes the screenshots of Chinese pages readable). Opt out with TALLY_TEST_NO_INSTALL=1.',
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // wait for another apt/dpkg run to finish instead of failing on its lock
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const update = spawnSync('apt-get', [...lock, 'update'], { stdio: 'inherit', env });
  if (update.status !== 0)
    return cannot(`\`apt-get update\` failed (exit ${update.status ?? update.signal}; see its output above)`);
  const install = spawnSync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
  if (install.status !== 0)
    return cannot(
      `\`apt-get install\` failed (exit ${install.status ?? install.signal}; see its output above)`,
    );
  const still = missingBrowserPackages();
  if (still.length > 0) return cannot(`${still.join(' ')} still missing after apt-get install`);
  console.log(`[tally] installed ${what}`);
  return undefined;
}

/** The PostgreSQL major whose server is installed (Debian layout), for the pg_auto_failover package's name. */
function postgresMajor() {
  const r = spawnSync('sh', ['-c', 'ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1'], {
    encoding: 'utf8',
  });
  return r.stdout.trim() || '15';
}

/**
 * The failover test (test/reliability/failover.test.ts) runs a pg_auto_failover formation: installs the Debian
 * package postgresql-<major>-auto-failover with apt-get when pg_autoctl is missing (as root; opt out with
 * TALLY_TEST_NO_INSTALL=1). Returns undefined when pg_autoctl is there, else why not (the test then skips,
 * and fails under CI=true).
 */
function ensureFailoverPackage() {
  if (hasCommand('pg_autoctl')) return undefined;
  const pkg = `postgresql-${postgresMajor()}-auto-failover`;
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  const cannot = (why) =>
    `the failover test needs the Debian package ${pkg}, which is not installed, and ${why}; ` +
    `install it with \`${sudo}apt-get install -y --no-install-recommends ${pkg}\` and run the tests again`;
  if (process.env.TALLY_TEST_NO_INSTALL === '1')
    return cannot('TALLY_TEST_NO_INSTALL=1 says not to install it');
  if (!hasCommand('apt-get')) return cannot('this machine has no apt-get (not Debian or Ubuntu)');
  if (process.getuid?.() !== 0) return cannot('installing it needs root (this runs as a normal user)');
  console.log(
    `[tally] installing ${pkg} with apt-get for the failover test (pg_auto_failover). Opt out with TALLY_TEST_NO_INSTALL=1.`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const run = (args) => spawnSync('apt-get', [...lock, ...args], { stdio: 'inherit', env }).status === 0;
  if (!run(['update'])) return cannot('`apt-get update` failed (see its output above)');
  if (!run(['install', '-y', '--no-install-recommends', pkg]))
    return cannot('`apt-get install` failed (see its output above)');
  if (!hasCommand('pg_autoctl')) return cannot('pg_autoctl is still missing after apt-get install');
  console.log(`[tally] installed ${pkg}`);
  return undefined;
}

const failoverProblem = ensureFailoverPackage();
if (failoverProblem) console.warn(`[tally] ${failoverProblem}`);
const browserProblem = reliability ? undefined : ensureBrowserPackages();
if (browserProblem) {
  if (process.env.CI === 'true') {
    console.error(`[tally] CI=true and ${browserProblem}`);
    process.exit(1);
  }
  console.warn(`[tally] SKIPPING browser tests: ${browserProblem}`);
}
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
const r = spawnSync('npx', cmd, {
  stdio: 'inherit',
  env: { ...process.env, TZ: 'UTC', ...(browserProblem ? { TALLY_TEST_SKIP_BROWSER: '1' } : {}) },
});
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
  if (browserProblem) notes.push(`browser tests SKIPPED: ${browserProblem}`);
}
if (failoverProblem) notes.push(`failover test SKIPPED: ${failoverProblem}`);
for (const n of notes) console.log(`[tally] ${n}`);
if (summary) console.log(`\n${summary}`);
process.exit(r.status ?? 1);
