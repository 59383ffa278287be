import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import * as m0001 from './migrations/0001_core.js';
import * as m0002 from './migrations/0002_billing.js';
import * as m0003 from './migrations/0003_job_isolation.js';
import * as m0004 from './migrations/0004_identity.js';
import * as m0005 from './migrations/0005_sign_in.js';
import * as m0006 from './migrations/0006_ledger_ids.js';
import * as m0007 from './migrations/0007_ledger_balanced.js';
import * as m0008 from './migrations/0008_term.js';
import * as m0009 from './migrations/0009_notifications.js';
import * as m0010 from './migrations/0010_webhooks.js';
import * as m0011 from './migrations/0011_invoices.js';
import * as m0012 from './migrations/0012_bill_lifecycle.js';
import * as m0013 from './migrations/0013_sweep_writes.js';
import * as m0014 from './migrations/0014_order_search.js';
import * as m0015 from './migrations/0015_principal_changes.js';
import type { Db } from './schema.js';

/** Migrations are listed here, in order; one set for PGlite and PostgreSQL alike. */
const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_billing': m0002,
  '0003_job_isolation': m0003,
  '0004_identity': m0004,
  '0005_sign_in': m0005,
  '0006_ledger_ids': m0006,
  '0007_ledger_balanced': m0007,
  '0008_term': m0008,
  '0009_notifications': m0009,
  '0010_webhooks': m0010,
  '0011_invoices': m0011,
  '0012_bill_lifecycle': m0012,
  '0013_sweep_writes': m0013,
  '0014_order_search': m0014,
  '0015_principal_changes': m0015,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Db): Promise<void> {
  // Kysely's bookkeeping tables live in the schema being migrated (tests use one schema per file).
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({ db, provider, migrationTableSchema: rows[0]?.schema ?? 'public' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
