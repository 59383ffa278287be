import { readFileSync } from 'node:fs';
import { BankTransferBody } from '../../../contract/api.js';
import { AppError } from '../platform/errors.js';
import { reportBankTransfer } from '../topups/topups.service.js';
import type { CliContext } from './context.js';
import { CliError } from './context.js';
import { parseCsv, yuanToFen } from './csv.js';
import type { Progress } from './progress.js';

/**
 * `tally bank-import FILE.csv`: credits a bank statement. Columns (header row, any order, extra columns
 * ignored): bank_reference, remittance_code (the org's 9-digit code, or the full remittance account number
 * ending in it), amount (yuan, e.g. 1234.56) or amount_fen, currency (optional, default CNY). Each row goes
 * through the same use case as POST /v1/internal/bank-transfers, in its own transaction: credited once per
 * bank reference (trimmed, any case) however often imported; an unknown code is kept as unmatched for an
 * operator, and a transfer that would take a balance past its limit, or is above the per-transfer ceiling
 * (MAX_TRANSFER_FEN), is held for one (counted as `held`).
 */
export interface ImportSummary {
  rows: number;
  credited: number;
  duplicate: number;
  unmatched: number;
  /** transfers past the balance limit or the per-transfer ceiling: held for an operator (reported as unmatched) */
  held: number;
  conflict: number;
  invalid: number;
  creditedAmount: number;
  problems: { line: number; reason: string }[];
}

export async function bankImport(ctx: CliContext, file: string, progress: Progress): Promise<ImportSummary> {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase().replaceAll(' ', '_'));
  const col = (name: string) => header.indexOf(name);
  const iRef = col('bank_reference');
  const iCode = col('remittance_code') >= 0 ? col('remittance_code') : col('account');
  const iAmount = col('amount');
  const iFen = col('amount_fen');
  const iCurrency = col('currency');
  if (iRef < 0 || iCode < 0 || (iAmount < 0 && iFen < 0)) {
    throw new CliError(
      `${file}: the header must name bank_reference, remittance_code and amount (or amount_fen); got: ${header.join(', ')}`,
    );
  }
  const s: ImportSummary = {
    rows: rows.length,
    credited: 0,
    duplicate: 0,
    unmatched: 0,
    held: 0,
    conflict: 0,
    invalid: 0,
    creditedAmount: 0,
    problems: [],
  };
  progress.start(rows.length);
  for (const [n, r] of rows.entries()) {
    const line = n + 2;
    const rawCode = (r[iCode] ?? '').replace(/\s/g, '');
    const amount =
      iFen >= 0 && (r[iFen] ?? '').trim() !== ''
        ? Number((r[iFen] ?? '').trim())
        : yuanToFen(r[iAmount] ?? '');
    const parsed = BankTransferBody.safeParse({
      bankReference: (r[iRef] ?? '').trim(),
      // A full account number ends in the org's 9-digit code.
      remittanceCode: /^\d{10,}$/.test(rawCode) ? rawCode.slice(-9) : rawCode,
      amount,
      currency: ((iCurrency >= 0 ? r[iCurrency] : '') || 'CNY').trim().toUpperCase(),
    });
    if (!parsed.success) {
      s.invalid++;
      s.problems.push({
        line,
        reason: `invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      });
      progress.tick(s);
      continue;
    }
    try {
      const now = ctx.now();
      const out = await ctx.database.db
        .transaction()
        .execute((tx) => reportBankTransfer(tx, parsed.data, now));
      if (out.kind === 'credited' && out.first) {
        s.credited++;
        s.creditedAmount += parsed.data.amount;
      } else if (!out.first) s.duplicate++;
      else if (out.kind === 'unmatched' && out.reason === 'balance_limit_exceeded') {
        s.held++;
        s.problems.push({ line, reason: 'held: the balance would pass its limit; kept for an operator' });
      } else if (out.kind === 'unmatched' && out.reason === 'amount_above_limit') {
        s.held++;
        s.problems.push({ line, reason: 'held: above the per-transfer ceiling; kept for an operator' });
      } else {
        s.unmatched++;
        s.problems.push({
          line,
          reason: `unmatched (${out.kind === 'unmatched' ? out.reason : ''}): kept for an operator`,
        });
      }
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'BANK_REFERENCE_CONFLICT') throw err;
      s.conflict++;
      s.problems.push({ line, reason: `conflict: ${err.message}` });
    }
    progress.tick(s);
  }
  progress.stop();
  return s;
}
