// What a payment and a swept order write to PostgreSQL's WAL, exactly: the payments and the sweeper's batches
// run in process through the production statements (payInOneStatement, timeOutDue), each in its own
// transaction whose id is noted, and pg_walinspect then reads back every WAL record those transactions wrote
// (records of other sessions on the same server are left out, so a busy machine does not skew the figures).
// Per payment and per swept order: records, bytes, of which full-page images, and the split by resource manager
// (Heap, Btree, Transaction…) and by relation, the wall time and the CPU time of the PostgreSQL backend.
//
//   npx tsx bench/wal.ts        (BENCH_WAL_ORGS 50, BENCH_WAL_PAYMENTS 2,000, BENCH_WAL_SWEEP 20,000)
//
// Writes results-wal.json (bench/, or BENCH_OUT_DIR). BENCH_WAL_KEEP=1 keeps the database (tally_bench_wal).
import { writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Db } from '../server/src/db/schema.js';
import { timeOutDue } from '../server/src/orders/orders.repository.js';
import { payInOneStatement } from '../server/src/orders/pay.repository.js';
import { newId } from '../server/src/platform/ids.js';
import { defaultCatalog } from '../server/src/pricing/catalog.js';
import { cpuSeconds, dropDb, freshDb, outPath, pgUrl, progress, round, size, withClient } from './lib.js';
import { seedPayOrgs } from './pay.js';
import { cloneUnpaidOrders } from './seed.js';

const DB = 'tally_bench_wal';

export interface WalFigures {
  /** transactions measured and the units they did (payments, or orders swept) */
  transactions: number;
  units: number;
  recordsPerUnit: number;
  bytesPerUnit: number;
  /** of bytesPerUnit, full-page images (depend on how recently a checkpoint ran) */
  fpiBytesPerUnit: number;
  bytesWithoutFpiPerUnit: number;
  /** records and bytes per unit by resource manager */
  byResourceManager: Record<string, { records: number; bytes: number }>;
  /** records per unit by the relation of their first block and the record's type (`orders HOT_UPDATE`…) */
  byRelation: Record<string, number>;
  /** wall time of the measured loop (one connection, one transaction at a time), per 1,000 units */
  secondsPerThousandUnits: number;
  /** CPU time of that connection's PostgreSQL backend, per 1,000 units: what load on the machine does not change */
  backendCpuSecondsPerThousandUnits: number;
}

export interface WalResult {
  at: string;
  loadAverage: number[];
  indexesOnOrders: string[];
  pay: WalFigures;
  sweep: WalFigures & { batch: number };
}

/** The id of the current transaction, as pg_walinspect shows it (32 bits). */
async function xidOf(db: Db): Promise<string> {
  const r = await sql<{ xid: string }>`select (txid_current() % 4294967296)::text as xid`.execute(db);
  return r.rows[0]!.xid;
}

async function walOf(
  start: string,
  end: string,
  xids: string[],
  units: number,
  seconds: number,
  cpu: number,
): Promise<WalFigures> {
  return withClient(DB, async (c) => {
    const r = await c.query<{ rm: string; n: string; bytes: string; fpi: string }>(
      `select resource_manager as rm, count(*) as n, sum(record_length) as bytes, sum(fpi_length) as fpi
       from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
       where xid::text = any($3::text[])
       group by 1 order by 3 desc`,
      [start, end, xids],
    );
    const per = (x: number) => round(x / units, 2);
    let records = 0;
    let bytes = 0;
    let fpi = 0;
    const byResourceManager: WalFigures['byResourceManager'] = {};
    for (const row of r.rows) {
      records += Number(row.n);
      bytes += Number(row.bytes);
      fpi += Number(row.fpi);
      byResourceManager[row.rm] = { records: per(Number(row.n)), bytes: per(Number(row.bytes)) };
    }
    const rel = await c.query<{ what: string; n: string }>(
      `select coalesce(c.relname, w.resource_manager) || ' ' || w.record_type as what, count(*) as n
       from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) w
       left join pg_class c on c.relfilenode = substring(w.block_ref from 'rel [0-9]+/[0-9]+/([0-9]+)')::oid
       where w.xid::text = any($3::text[])
       group by 1 order by 2 desc`,
      [start, end, xids],
    );
    const byRelation = Object.fromEntries(rel.rows.map((x) => [x.what, per(Number(x.n))]));
    return {
      transactions: xids.length,
      units,
      recordsPerUnit: per(records),
      bytesPerUnit: per(bytes),
      fpiBytesPerUnit: per(fpi),
      bytesWithoutFpiPerUnit: per(bytes - fpi),
      byResourceManager,
      byRelation,
      secondsPerThousandUnits: round((seconds / units) * 1000, 3),
      backendCpuSecondsPerThousandUnits: round((cpu / units) * 1000, 3),
    };
  });
}

const lsn = async (db: Db) =>
  (await sql<{ l: string }>`select pg_current_wal_flush_lsn()::text as l`.execute(db)).rows[0]!.l;

export async function walBench(): Promise<WalResult> {
  const ORGS = size('BENCH_WAL_ORGS', 50);
  const PAYMENTS = size('BENCH_WAL_PAYMENTS', 2_000);
  const SWEEP = size('BENCH_WAL_SWEEP', 20_000);
  const BATCH = size('BENCH_WAL_SWEEP_BATCH', 5_000);
  await freshDb(DB);
  await withClient(DB, (c) => c.query('create extension if not exists pg_walinspect'));
  let out: WalResult | undefined;
  await seedPayOrgs({ DATABASE_URL: pgUrl(DB) }, ORGS, async (pool, orgs) => {
    await pool.connection().execute(async (db) => {
      const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
      const indexes = await sql<{ d: string }>`
      select indexdef as d from pg_indexes where tablename = 'orders' order by indexname`.execute(db);
      // Payments: copies of each org's payable order, paid round-robin over the orgs.
      const perOrg = Math.ceil(PAYMENTS / orgs.length);
      await cloneUnpaidOrders(db, orgs, perOrg, 'wp', { label: 'payable orders' });
      const now = new Date();
      const billMonth = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
      const payBar = progress('payments');
      const payXids: string[] = [];
      const payStart = await lsn(db);
      const t0 = Date.now();
      const cpu0 = cpuSeconds(pid);
      let paid = 0;
      for (let k = 1; k <= perOrg && paid < PAYMENTS; k++)
        for (const o of orgs) {
          if (paid >= PAYMENTS) break;
          const xid = await db.transaction().execute(async (tx) => {
            const r = await payInOneStatement(tx, {
              orgId: o.orgId,
              orderId: `wp${k}_${o.templateOrderId}`,
              now,
              payerId: null,
              billMonth,
              ledgerTxnId: newId('ltx', now),
              projectIds: null,
              catalog: defaultCatalog,
            });
            if (!r.paid) throw new Error(`wp${k}_${o.templateOrderId} was not paid`);
            return xidOf(tx);
          });
          payXids.push(xid);
          paid++;
          if (paid % 200 === 0) payBar.update(`${paid}/${PAYMENTS}`);
        }
      const paySeconds = (Date.now() - t0) / 1000;
      const pay = await walOf(payStart, await lsn(db), payXids, paid, paySeconds, cpuSeconds(pid) - cpu0);
      payBar.done(`${paid} paid: ${pay.recordsPerUnit} WAL records, ${pay.bytesPerUnit} bytes each`);

      // The sweep: copies due an hour ago, timed out by the sweeper's statement in batches.
      const deadline = new Date(now.getTime() - 3_600_000);
      const swept = await cloneUnpaidOrders(db, orgs, Math.ceil(SWEEP / orgs.length), 'ws', {
        deadline,
        windowMs: 1000,
        label: 'due orders',
      });
      const sweepBar = progress('sweep');
      const sweepXids: string[] = [];
      const sweepStart = await lsn(db);
      const t1 = Date.now();
      const cpu1 = cpuSeconds(pid);
      let n = 0;
      for (;;) {
        const r = await db.transaction().execute(async (tx) => {
          const x = await timeOutDue(tx, now, BATCH);
          return { ...x, xid: await xidOf(tx) };
        });
        sweepXids.push(r.xid);
        n += r.count;
        sweepBar.update(`${n}/${swept}`);
        if (r.count < BATCH) break;
      }
      const sweepSeconds = (Date.now() - t1) / 1000;
      const sweepCpu = cpuSeconds(pid) - cpu1;
      const sweepEnd = await lsn(db);
      const sweep = {
        ...(await walOf(sweepStart, sweepEnd, sweepXids, n, sweepSeconds, sweepCpu)),
        batch: BATCH,
      };
      sweepBar.done(`${n} swept: ${sweep.recordsPerUnit} WAL records, ${sweep.bytesPerUnit} bytes each`);
      out = {
        at: new Date().toISOString(),
        loadAverage: [],
        indexesOnOrders: indexes.rows.map((r) => r.d),
        pay,
        sweep,
      };
    });
  });
  if (!process.env.BENCH_WAL_KEEP) await dropDb(DB);
  return out!;
}

if (process.argv[1]?.endsWith('wal.ts')) {
  const os = await import('node:os');
  const load0 = os.loadavg();
  const r = await walBench();
  r.loadAverage = [round(load0[0]!, 1), round(os.loadavg()[0]!, 1)];
  const file = outPath('results-wal.json');
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  console.log(JSON.stringify(r, null, 2));
}
