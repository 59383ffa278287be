import { z } from 'zod';

/** An absolute http(s) URL the console is served at: a host, maybe a port and a path, nothing else. */
function isPublicUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const u = new URL(value);
  return (
    (u.protocol === 'http:' || u.protocol === 'https:') &&
    u.hostname !== '' &&
    u.search === '' &&
    u.hash === '' &&
    !value.includes('?') &&
    !value.includes('#') &&
    u.username === '' &&
    u.password === ''
  );
}

/** The environment, parsed once at start. Everything else reads this object, never process.env. */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().optional(),
  TALLY_DATA_DIR: z.string().default('./data'),
  TALLY_OPERATOR_TOKEN: z.string().min(16).optional(),
  TALLY_TEST_CLOCK: z.enum(['0', '1']).default('0'),
  TALLY_DEMO: z.enum(['0', '1']).default('1'),
  TALLY_PROVISION_SECONDS: z.coerce.number().min(0).max(86_400).default(10),
  TALLY_ORDER_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(168),
  TALLY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  TALLY_BILLING_TIME_ZONE: z.string().default('UTC'),
  TALLY_DB_POOL: z.coerce.number().int().min(1).max(200).default(20),
  /** SPEC §7.4: how long a request waits for a writable PostgreSQL node during a failover before 503 */
  TALLY_DB_FAILOVER_WAIT_SECONDS: z.coerce.number().min(1).max(300).default(20),
  TALLY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TALLY_COOKIE_SECURE: z.enum(['0', '1']).default('0'),
  TALLY_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  TALLY_PUBLIC_URL: z
    .string()
    .refine(isPublicUrl, 'an http(s) URL (a path is allowed; no query, fragment or credentials)')
    .optional(),
  /** SPEC §9: mail over SMTP (smtp://user:pass@host:port or smtps://…); unset: mail is kept for the operator */
  TALLY_SMTP_URL: z.string().url().optional(),
  TALLY_MAIL_FROM: z.string().min(3).max(200).default('Tally 费用中心 <billing@tally.localhost>'),
  /** SPEC §9: webhooks to http and private addresses (tests, on-premises) */
  TALLY_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
  TALLY_BANK_NAME: z.string().default('招商银行北京分行营业部'),
  TALLY_BANK_ACCOUNT_NAME: z.string().default('北京泰利云计算有限公司'),
  TALLY_BANK_ACCOUNT_PREFIX: z
    .string()
    .regex(/^\d{6,20}$/)
    .default('110923456710601'),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  operatorToken: string;
  operatorTokenGenerated: boolean;
  testClock: boolean;
  demo: boolean;
  provisionSeconds: number;
  orderTtlHours: number;
  sweepIntervalMs: number;
  billingTimeZone: string;
  dbPoolSize: number;
  /**
   * How long a request waits for a writable PostgreSQL node while the primary is away (a restart, a
   * failover) before it is answered 503 DATABASE_UNAVAILABLE with Retry-After.
   */
  dbFailoverWaitMs: number;
  logLevel: string;
  cookieSecure: boolean;
  /** When set, /metrics is served without auth on this port only (not on the public port). */
  metricsPort: number | undefined;
  /**
   * Where users reach the console (TALLY_PUBLIC_URL, default http://localhost:<PORT>), without a trailing
   * slash: the base of the links Tally answers, such as an invitation's.
   */
  publicUrl: string;
  bank: { name: string; accountName: string; accountPrefix: string };
  /** SPEC §9 */
  smtpUrl: string | undefined;
  mailFrom: string;
  webhookAllowPrivate: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, generateToken: () => string): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL || undefined,
    dataDir: e.TALLY_DATA_DIR,
    operatorToken: e.TALLY_OPERATOR_TOKEN ?? generateToken(),
    operatorTokenGenerated: !e.TALLY_OPERATOR_TOKEN,
    testClock: e.TALLY_TEST_CLOCK === '1',
    demo: e.TALLY_DEMO === '1',
    provisionSeconds: e.TALLY_PROVISION_SECONDS,
    orderTtlHours: e.TALLY_ORDER_TTL_HOURS,
    sweepIntervalMs: e.TALLY_SWEEP_INTERVAL_MS,
    billingTimeZone: e.TALLY_BILLING_TIME_ZONE,
    dbPoolSize: e.TALLY_DB_POOL,
    dbFailoverWaitMs: e.TALLY_DB_FAILOVER_WAIT_SECONDS * 1000,
    logLevel: e.TALLY_LOG_LEVEL,
    cookieSecure: e.TALLY_COOKIE_SECURE === '1',
    metricsPort: e.TALLY_METRICS_PORT,
    publicUrl: (e.TALLY_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    bank: {
      name: e.TALLY_BANK_NAME,
      accountName: e.TALLY_BANK_ACCOUNT_NAME,
      accountPrefix: e.TALLY_BANK_ACCOUNT_PREFIX,
    },
    smtpUrl: e.TALLY_SMTP_URL || undefined,
    mailFrom: e.TALLY_MAIL_FROM,
    webhookAllowPrivate: e.TALLY_WEBHOOK_ALLOW_PRIVATE === '1',
  };
}

/** Defaults for tests and tools that build the app in-process. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ TALLY_OPERATOR_TOKEN: 'test-operator-token-0123456789' }, () => ''),
    demo: false,
    logLevel: 'silent',
    ...overrides,
  };
}
