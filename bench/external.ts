// Benchmarks with their own entry point (documents, bills and usage, the console's orders page): each runs as
// a child process with its own database and port, writes its own results file, and is merged under `external`.
import { existsSync, readFileSync } from 'node:fs';
import { type BenchContext, dropDb, freshDb, outPath, pgUrl, round, shAsync } from './lib.js';

export interface ExternalResult {
  available: boolean;
  note?: string;
  script?: string;
  seconds?: number;
  results?: unknown;
  failed?: string;
}

interface Candidate {
  name: string;
  script: string;
  results: string;
  database: string | null;
  args: string[];
  port: number;
}

export async function externalBenches(ctx: BenchContext): Promise<Record<string, ExternalResult>> {
  const out: Record<string, ExternalResult> = {};
  const candidates: Candidate[] = [
    {
      name: 'documents',
      script: 'bench/documents.ts',
      results: 'results-documents.json',
      database: 'tally_bench_documents',
      args: [],
      port: ctx.portBase + 10,
    },
    {
      name: 'billsAndUsage',
      script: 'bench/bills.ts',
      results: 'results-bills.json',
      database: 'tally_bench_bills_usage',
      args: [],
      port: ctx.portBase + 30,
    },
    {
      name: 'consoleOrders',
      script: 'bench/console-orders.ts',
      results: 'results-console.json',
      database: null,
      args: [`--port=${ctx.portBase + 20}`, ...(ctx.build ? [] : ['--no-build'])],
      port: ctx.portBase + 20,
    },
  ];
  for (const c of candidates) {
    ctx.header(`${c.name}: ${c.script}`);
    const t0 = Date.now();
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, BENCH_PORT_BASE: String(c.port) };
      if (c.database) {
        await freshDb(c.database);
        env.BENCH_PG_URL = pgUrl(c.database);
      }
      await shAsync(process.execPath, ['--import', 'tsx', c.script, ...c.args], {
        env,
        onStderr: (s) => process.stdout.write(s),
      });
      if (c.database) await dropDb(c.database);
      const file = outPath(c.results);
      out[c.name] = {
        available: true,
        script: c.script,
        seconds: round((Date.now() - t0) / 1000, 1),
        results: existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null,
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      out[c.name] = { available: true, script: c.script, failed: message.slice(0, 2000) };
      console.log(`  ${c.name} failed: ${message.slice(0, 300)}`);
    }
  }
  return out;
}
