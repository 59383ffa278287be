import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { INVOICE_STATUSES, type InvoiceStatus } from '../../../contract/invoices.js';
import { isMonth, monthPeriod } from '../billing/bill-period.js';
import { issueDueBills } from '../billing/issue-bill.js';
import { describeInvoice, failWithReason, issueFromFile, listForOperator } from '../invoices/invoices-cli.js';
import { AppError } from '../platform/errors.js';
import { formatMinor } from '../platform/money.js';
import { bankImport } from './bank-import.js';
import { CliError, openContext } from './context.js';
import { progressBar } from './progress.js';
import { seed } from './seed.js';

const USAGE = `Tally operator CLI — works on the server's database (DATABASE_URL, or the embedded PGlite in TALLY_DATA_DIR)

  npx tally bank-import FILE.csv          credit a bank statement (once per bank reference)
        columns: bank_reference, remittance_code (9 digits, or the full account number), amount (yuan, 1234.56)
                 or amount_fen, currency (optional, CNY)
  npx tally bills issue --month YYYY-MM   issue every org's bill for an ended month (idempotent)
  npx tally seed --orgs N --orders M [--days 30] [--cash-fen 100000000] [--out seed.json] [--no-bills]
                                          make a large, valid data set for benchmarks (and issue the
                                          bills of its ended months, unless --no-bills)
  npx tally invoices list [--status requested|issued|failed]
                                          invoice requests (发票), oldest first; requested by default
  npx tally invoices issue ID --number N --date YYYY-MM-DD --pdf FILE.pdf
                                          mark a requested invoice issued (已开票) with its number, date
                                          and PDF (at most 10 MB)
  npx tally invoices fail ID --reason TEXT
                                          mark a requested invoice failed (开票失败); its items may be
                                          invoiced again
  npx tally help
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE);
    return cmd ? 0 : 1;
  }
  if (cmd === 'bank-import') {
    const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
    const file = positionals[0];
    if (!file) throw new CliError('usage: npx tally bank-import FILE.csv');
    const ctx = await openContext();
    try {
      const s = await bankImport(ctx, file, progressBar('bank-import'));
      for (const p of s.problems.slice(0, 50)) console.log(`  line ${p.line}: ${p.reason}`);
      if (s.problems.length > 50) console.log(`  … and ${s.problems.length - 50} more`);
      console.log(
        `bank-import ${file}: ${s.rows} rows — credited ${s.credited} (${formatMinor(s.creditedAmount, 'CNY')}), ` +
          `duplicate ${s.duplicate}, unmatched ${s.unmatched}, held ${s.held}, conflict ${s.conflict}, invalid ${s.invalid}`,
      );
      return s.invalid + s.conflict > 0 ? 2 : 0;
    } finally {
      await ctx.database.close();
    }
  }
  if (cmd === 'bills') {
    const { positionals, values } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { month: { type: 'string' } },
    });
    if (positionals[0] !== 'issue' || !values.month || !isMonth(values.month)) {
      throw new CliError('usage: npx tally bills issue --month YYYY-MM');
    }
    const month = values.month;
    const ctx = await openContext();
    try {
      if (monthPeriod(month, ctx.config.billingTimeZone).end > ctx.now()) {
        throw new CliError(`${month} has not ended yet (billing time zone ${ctx.config.billingTimeZone})`);
      }
      const orgs = await ctx.database.db
        .selectFrom('orgs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const bar = progressBar(`bills ${month}`);
      bar.start(Number(orgs.n));
      let notEnded = false;
      const r = await issueDueBills(ctx.database.db, ctx.config, ctx.now(), {
        month,
        maxBatches: Number.POSITIVE_INFINITY,
        workers: 4,
        onIssued: (x) => {
          if (x.outcome === 'not_ended') notEnded = true;
          bar.tick();
        },
      });
      bar.stop();
      if (notEnded)
        throw new CliError(`${month} has not ended yet (billing time zone ${ctx.config.billingTimeZone})`);
      console.log(
        `bills ${month}: issued ${r.issued} (pending confirmation: charged when confirmed), skipped ${r.skipped} ` +
          '(already issued or being issued by a server); months already issued are left as they are',
      );
      return 0;
    } finally {
      await ctx.database.close();
    }
  }
  if (cmd === 'seed') {
    const { values } = parseArgs({
      args: rest,
      options: {
        orgs: { type: 'string' },
        orders: { type: 'string' },
        days: { type: 'string', default: '30' },
        'cash-fen': { type: 'string', default: '100000000' },
        chunk: { type: 'string', default: '500' },
        'no-bills': { type: 'boolean', default: false },
        out: { type: 'string' },
      },
    });
    const int = (v: string | undefined, name: string, min: number) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min}`);
      return n;
    };
    const opts = {
      orgs: int(values.orgs, 'orgs', 1),
      orders: int(values.orders, 'orders', 0),
      days: int(values.days, 'days', 8),
      cashFen: int(values['cash-fen'], 'cash-fen', 0),
      chunkOrgs: int(values.chunk, 'chunk', 1),
    };
    const ctx = await openContext();
    try {
      const r = await seed(ctx, opts, progressBar('seed'));
      const out = values.out ?? `seed-${r.run}.json`;
      writeFileSync(out, `${JSON.stringify({ run: r.run, orders: r.orders, orgs: r.orgs }, null, 1)}\n`);
      console.log(
        `seed ${r.run}: ${r.orgs.length} orgs, ${r.orders} orders in ${(r.ms / 1000).toFixed(1)} s ` +
          `(${Math.round(r.orders / Math.max(r.ms / 1000, 0.001))} orders/s); org ids, remittance codes and ` +
          `Org Admin API keys in ${out}`,
      );
      if (!values['no-bills']) {
        // Ended months get their bills now, as a running server would have issued them: the data set is in
        // its steady state, and a server started on it does not spend its first minute issuing them.
        const bar = progressBar('bills');
        bar.start(r.orgs.length);
        const t0 = performance.now();
        const b = await issueDueBills(ctx.database.db, ctx.config, ctx.now(), {
          maxBatches: Number.POSITIVE_INFINITY,
          workers: 4,
          onIssued: () => bar.tick(),
        });
        bar.stop();
        console.log(
          `bills for ended months: issued ${b.issued} (paid ${b.paid}, unpaid ${b.unpaid}) in ` +
            `${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
      }
      return 0;
    } finally {
      await ctx.database.close();
    }
  }
  if (cmd === 'invoices') return invoicesCommand(rest);
  throw new CliError(`unknown command: ${cmd}\n\n${USAGE}`);
}

const INVOICES_USAGE =
  'usage: npx tally invoices list [--status requested|issued|failed]\n' +
  '       npx tally invoices issue ID --number N --date YYYY-MM-DD --pdf FILE.pdf\n' +
  '       npx tally invoices fail ID --reason TEXT';

async function invoicesCommand(rest: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      status: { type: 'string', default: 'requested' },
      number: { type: 'string' },
      date: { type: 'string' },
      pdf: { type: 'string' },
      reason: { type: 'string' },
    },
  });
  const [sub, id] = positionals;
  const ctx = await openContext();
  try {
    if (sub === 'list') {
      if (!(INVOICE_STATUSES as readonly string[]).includes(values.status ?? '')) {
        throw new CliError(INVOICES_USAGE);
      }
      const rows = await listForOperator(ctx.database.db, values.status as InvoiceStatus);
      for (const r of rows) console.log(describeInvoice(r));
      console.log(`${rows.length} ${values.status} invoice${rows.length === 1 ? '' : 's'}`);
      return 0;
    }
    if (sub === 'issue' && id && values.number && values.date && values.pdf) {
      const r = await issueFromFile(ctx.database.db, {
        invoiceId: id,
        number: values.number,
        date: values.date,
        pdfPath: values.pdf,
        now: ctx.now(),
      });
      console.log(describeInvoice(r));
      return 0;
    }
    if (sub === 'fail' && id && values.reason) {
      const r = await failWithReason(ctx.database.db, {
        invoiceId: id,
        reason: values.reason,
        now: ctx.now(),
      });
      console.log(describeInvoice(r));
      return 0;
    }
    throw new CliError(INVOICES_USAGE);
  } catch (err) {
    // The use cases' refusals (not found, not requested any more, not a PDF) are the operator's to read.
    if (err instanceof AppError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  } finally {
    await ctx.database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof CliError) console.error(`tally: ${err.message}`);
    else console.error('tally: failed:', err);
    process.exit(1);
  },
);
