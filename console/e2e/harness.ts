import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createDatabase } from '../../test/databases.js';
import { launchChromium } from './chromium.js';

/**
 * End-to-end harness: a real Tally server process on a fresh database (the built console at /, the API at /v1),
 * set up through the internal API, and Debian's Chromium driven by playwright-core. The database is PostgreSQL,
 * the production database (a new database of its own on the server TALLY_E2E_DATABASE_URL names, which the
 * suite sets when PostgreSQL is reachable), or else, and for a file that asks for it, the embedded PGlite.
 */

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const OPERATOR_TOKEN = 'console-e2e-operator-token-0123456789';

/** One API call to a started server, as the operator or with an API key; the answer parsed when it is JSON. */
async function callServer(
  url: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  apiKey?: string,
): Promise<ApiAnswer> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey ?? OPERATOR_TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: r.status, json };
}
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
/** The servers' ports: 18100-18199, or the range TALLY_E2E_PORTS names ("first-last"). */
const PORTS = ((range) => {
  const m = /^(\d+)-(\d+)$/.exec(range);
  if (!m || Number(m[1]) > Number(m[2]))
    throw new Error(`TALLY_E2E_PORTS must be "first-last", not "${range}"`);
  return { first: Number(m[1]), last: Number(m[2]) };
})(process.env.TALLY_E2E_PORTS ?? '18100-18199');

function portFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });
}

async function freePort(): Promise<number> {
  const start = PORTS.first + Math.floor(Math.random() * (PORTS.last - PORTS.first + 1));
  for (let i = 0; i <= PORTS.last - PORTS.first; i++) {
    const port = PORTS.first + ((start - PORTS.first + i) % (PORTS.last - PORTS.first + 1));
    if (await portFree(port)) return port;
  }
  throw new Error(`no free port in ${PORTS.first}-${PORTS.last}`);
}

export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
  json: any;
}

export interface TestServer {
  url: string;
  /** Calls the API with the operator token (internal API) or a member's API key. */
  call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, apiKey?: string): Promise<ApiAnswer>;
  log(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** The embedded PGlite even when PostgreSQL is there (what `npm start` runs). */
  embedded?: boolean;
}

/** A server for one test file: a restartable one (below) whose stop and start a test does not use. */
export async function startServer(
  env: Record<string, string> = {},
  opts: ServerOptions = {},
): Promise<TestServer> {
  const { url, call, log, stop } = await startRestartableServer(env, opts);
  return { url, call, log, stop };
}

const E2E_DATABASE_URL = process.env.TALLY_E2E_DATABASE_URL;
export interface E2eFile {
  server: TestServer;
  browser: Browser;
  page: Page;
}

/**
 * A test file's server (on a fresh database) and browser: started before the file's own beforeAll hooks, stopped
 * after its tests; its screenshots are named `<prefix>-NN-…`. The fields are set once started: read them in
 * hooks and tests.
 */
export function e2eFile(prefix: string, env: Record<string, string> = {}, opts: ServerOptions = {}): E2eFile {
  const e2e = {} as E2eFile;
  beforeAll(async () => {
    screenshotPrefix(prefix);
    e2e.server = await startServer(env, opts);
    e2e.browser = await launchBrowser();
    e2e.page = e2e.browser.page;
  });
  afterAll(async () => {
    await e2e.browser?.close();
    await e2e.server?.stop();
  });
  return e2e;
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of JSON answers they know
async function ok(r: Promise<ApiAnswer>, status: number, what: string): Promise<any> {
  const a = await r;
  if (a.status !== status)
    throw new Error(`${what}: expected ${status}, got ${a.status} ${JSON.stringify(a.json)}`);
  return a.json;
}

export interface Member {
  id: string;
  email: string;
  password: string;
  apiKey: string;
}

export interface Fixture {
  org: { id: string; name: string; remittanceCode: string; timeZone: string };
  projects: { id: string; name: string }[];
  admin: Member;
}

let seq = 0;
export const PASSWORD = 'e2e-password-1234';

export async function createOrg(
  s: TestServer,
  opts: { name: string; projects: string[]; timeZone?: string },
): Promise<Fixture> {
  const org = await ok(
    s.call('POST', '/v1/internal/orgs', {
      name: opts.name,
      certified: true,
      timeZone: opts.timeZone ?? 'Asia/Shanghai',
    }),
    201,
    'create org',
  );
  const projects = [];
  for (const name of opts.projects) {
    projects.push(
      await ok(s.call('POST', `/v1/internal/orgs/${org.id}/projects`, { name }), 201, 'create project'),
    );
  }
  const admin = await addMember(s, org.id, 'org_admin');
  return { org, projects, admin };
}

export async function addMember(
  s: TestServer,
  orgId: string,
  orgRole: 'org_admin' | 'org_billing_admin' | 'org_member',
  projectRoles: { projectId: string; role: 'project_admin' | 'project_editor' | 'project_viewer' }[] = [],
  email = `${orgRole.replace(/_/g, '-')}-${process.pid}-${++seq}@e2e.tally`,
): Promise<Member> {
  const r = await ok(
    s.call('POST', `/v1/internal/orgs/${orgId}/members`, {
      email,
      password: PASSWORD,
      orgRole,
      projectRoles,
    }),
    201,
    'add member',
  );
  return { id: r.user.id, email, password: PASSWORD, apiKey: r.apiKey };
}

export async function topUp(s: TestServer, remittanceCode: string, amount: number): Promise<void> {
  await ok(
    s.call('POST', '/v1/internal/bank-transfers', {
      remittanceCode,
      amount,
      currency: 'CNY',
      bankReference: `E2E-${process.pid}-${++seq}`,
    }),
    201,
    'bank transfer',
  );
}

export async function buyCluster(
  s: TestServer,
  f: Fixture,
  projectId: string,
  name: string,
): Promise<{ cluster: { id: string }; order: { id: string; amount: number } }> {
  return ok(
    s.call(
      'POST',
      `/v1/orgs/${f.org.id}/clusters`,
      {
        projectId,
        name,
        region: 'aliyun-cn-hangzhou',
        cuType: 'performance',
        cuSize: 1,
        replicas: 1,
        term: { unit: 'month', count: 1 },
      },
      f.admin.apiKey,
    ),
    201,
    'buy cluster',
  );
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** The tests' browser (./chromium.ts) with a 15 s default timeout, and its page. */
export async function launchBrowser(): Promise<Browser> {
  const chromium = await launchChromium({ profilePrefix: 'console-e2e-chromium-' });
  chromium.context.setDefaultTimeout(15_000);
  try {
    const page = chromium.context.pages()[0] ?? (await chromium.context.newPage());
    return { context: chromium.context, page, close: chromium.close };
  } catch (e) {
    await chromium.close();
    throw e;
  }
}

let shotSeq = 0;
let shotPrefix = 'e2e';
export function screenshotPrefix(prefix: string): void {
  shotPrefix = prefix;
  shotSeq = 0;
}
/** Every page the tests visit is kept as a screenshot under test-output/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // let antd's open/close animations (modals, messages) settle
  await page.waitForTimeout(400);
  await page.screenshot({
    path: join(SCREENSHOTS, `${shotPrefix}-${String(++shotSeq).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  });
}

export async function signIn(
  page: Page,
  baseUrl: string,
  m: { email: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-email').fill(m.email);
  await page.getByTestId('login-password').fill(m.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/**
 * Signs out with the header's button. A toast (已下载 …) can sit over the header, and it stays while the
 * pointer rests on it: the pointer moves off first and the toasts are let go before the click.
 */
export async function signOut(page: Page): Promise<void> {
  await page.mouse.move(1, page.viewportSize()?.height ? page.viewportSize()!.height - 1 : 600);
  await page
    .locator('.ant-message-notice')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => {});
  await page.getByTestId('sign-out').click();
  await page.waitForURL('**/login**');
}

/** Picks an option of an antd Select by its visible label. */
export async function pickOption(page: Page, selectTestId: string, label: string): Promise<void> {
  const select = page.getByTestId(selectTestId);
  // The select shows the option chosen as its text.
  const chosen = select.filter({ hasText: label });
  // A click on an option while its list is still opening can be lost on a loaded machine: the select then keeps
  // its value. Pick again until the select shows the option (at most three times).
  for (let attempt = 1; ; attempt++) {
    await select.click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: label })
      .first()
      .click();
    try {
      await chosen.first().waitFor({ timeout: 3_000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      await page.keyboard.press('Escape');
    }
  }
}

/** The data-testid of the element that has the focus (null when none has one). */
export function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

/** A link of the side menu. */
export function nav(page: Page, label: string) {
  return page.locator('.tally-nav').getByRole('link', { name: label, exact: true });
}

export interface ClusterShape {
  cuSize: number;
  replicas: number;
  term: { unit: 'month' | 'year'; count: number };
}

/** Buys a cluster of the given shape in 阿里云 华东1（杭州）, performance type, as the Org Admin. */
export async function buyClusterOf(
  s: TestServer,
  f: Fixture,
  projectId: string,
  name: string,
  shape: ClusterShape,
): Promise<{ cluster: { id: string }; order: { id: string; amount: number } }> {
  return ok(
    s.call(
      'POST',
      `/v1/orgs/${f.org.id}/clusters`,
      { projectId, name, region: 'aliyun-cn-hangzhou', cuType: 'performance', ...shape },
      f.admin.apiKey,
    ),
    201,
    'buy cluster',
  );
}

/** Pays an order as the Org Admin. */
export async function payOrder(s: TestServer, f: Fixture, orderId: string): Promise<void> {
  await ok(s.call('POST', `/v1/orgs/${f.org.id}/orders/${orderId}/pay`, {}, f.admin.apiKey), 200, 'pay');
}

/** The server's test clock (TALLY_TEST_CLOCK=1) now. */
export async function serverNow(s: TestServer): Promise<Date> {
  return new Date((await ok(s.call('GET', '/v1/internal/clock'), 200, 'clock')).now);
}

/** Moves the server's test clock forward; answers its new now. */
export async function advanceClock(s: TestServer, seconds: number): Promise<Date> {
  const r = await ok(s.call('POST', '/v1/internal/clock', { advanceSeconds: seconds }), 200, 'advance clock');
  return new Date(r.now);
}

export interface RestartableServer extends TestServer {
  /** Stops the server process, keeping its port and its database. */
  halt(): Promise<void>;
  /** Starts it again on the same port and database; resolves once it answers /healthz. */
  resume(): Promise<void>;
}

/** A server that a test can stop and start again mid-session (the browser's session lives in its database). */
export async function startRestartableServer(
  env: Record<string, string> = {},
  opts: ServerOptions = {},
): Promise<RestartableServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  const postgres =
    E2E_DATABASE_URL && !opts.embedded ? await createDatabase(E2E_DATABASE_URL, 'tally_e2e') : undefined;
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | undefined;
  const launch = async () => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        TALLY_DATA_DIR: dataDir,
        DATABASE_URL: postgres?.url ?? '',
        TALLY_DEMO: '0',
        TALLY_OPERATOR_TOKEN: OPERATOR_TOKEN,
        TALLY_PROVISION_SECONDS: '0',
        TALLY_SWEEP_INTERVAL_MS: '500',
        TALLY_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout?.on('data', (d) => {
      output += d;
    });
    c.stderr?.on('data', (d) => {
      output += d;
    });
    child = c;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`the server exited (${c.exitCode}):\n${output}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`the server did not become healthy in 90 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const halt = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (c.exitCode === null) {
      c.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await launch();
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    await postgres?.drop().catch(() => {});
    throw e;
  }
  return {
    url,
    call: (method, path, body, apiKey) => callServer(url, method, path, body, apiKey),
    log: () => output,
    halt,
    resume: launch,
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
      await postgres?.drop();
    },
  };
}

/** One accessibility finding of axe-core that the console must not have (impact serious or critical). */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is and returns its serious and critical
 * violations; a test expects the list to be empty, so a failure names the rule and the elements.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  // page.evaluate, not addScriptTag: the console's Content-Security-Policy refuses an inline <script>
  if (!loaded) await page.evaluate(AXE_SOURCE);
  // A dialog fading in or a message fading out is half transparent, and a button just enabled is between its
  // colours: axe would measure their contrast mid-way. Two frames for the last render's transitions to start,
  // then every running CSS animation and transition ends first (bounded: an endless spinner is not waited for).
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(undefined)))),
  );
  await page.evaluate(() =>
    Promise.race([
      Promise.all(
        document
          .getAnimations()
          .filter((a) => a.effect?.getTiming().iterations !== Number.POSITIVE_INFINITY)
          .map((a) => a.finished.catch(() => undefined)),
      ),
      new Promise((r) => setTimeout(r, 2000)),
    ]),
  );
  return page.evaluate(async () => {
    interface Violation {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: unknown }[];
    }
    const { axe } = window as unknown as {
      axe: { run(ctx: Document, opts: object): Promise<{ violations: Violation[] }> };
    };
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => String(n.target)),
      }));
  });
}
