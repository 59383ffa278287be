import { loadConfig } from './config.js';
import { DataDirLockedError } from './db/connect.js';
import { seedDemo } from './demo/seed-demo.js';
import { serveConsole } from './http/console.js';
import { randomToken } from './platform/ids.js';
import { createTally } from './server.js';

/** `npm start`: migrate, seed the demo on an empty database, serve the API and the console. */
async function main() {
  const config = loadConfig(process.env, () => `op_${randomToken(24)}`);
  const t0 = Date.now();
  let tally: Awaited<ReturnType<typeof createTally>>;
  try {
    tally = await createTally({ config, backgroundJobs: true, extend: serveConsole });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      console.error(`tally: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const demo = config.demo ? await seedDemo(tally.deps) : null;
  const address = await tally.app.listen({ port: config.port, host: config.host });
  const metricsAddress =
    config.metricsPort === undefined
      ? undefined
      : await tally.metricsApp?.listen({ port: config.metricsPort, host: config.host });
  const url = address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
  const db = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite at ${config.dataDir}`;
  const lines = [
    '',
    `  Tally 费用中心 is running at ${url}  (ready in ${Date.now() - t0} ms)`,
    `  database: ${db}`,
    `  API: ${url}/v1   OpenAPI: ${url}/v1/openapi.json   health: ${url}/healthz`,
    metricsAddress
      ? `  metrics: ${metricsAddress.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost')}/metrics (no auth: keep this port internal)`
      : `  metrics: ${url}/metrics (Authorization: Bearer <operator token>)`,
  ];
  if (config.operatorTokenGenerated)
    lines.push(
      `  operator token (internal API; set TALLY_OPERATOR_TOKEN to fix it): ${config.operatorToken}`,
    );
  if (config.testClock) lines.push('  test clock: ON (POST /v1/internal/clock)');
  if (demo) {
    lines.push(
      '',
      '  Demo data seeded. Sign in to the console as the Org Admin:',
      `    email:    ${demo.email}`,
      `    password: ${demo.password}`,
      `    API key:  ${demo.apiKey}`,
      `    try:      curl -H 'Authorization: Bearer ${demo.apiKey}' ${url}/v1/orgs/${demo.orgId}/orders`,
      '  Other demo users (same password):',
      ...demo.others.map((o) => `    ${o.email}  (${o.role})`),
    );
  }
  console.log(`${lines.join('\n')}\n`);
  const shutdown = async (signal: string) => {
    tally.deps.log.info({ signal }, 'shutting down');
    await tally.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error('tally: failed to start:', err);
  process.exit(1);
});
