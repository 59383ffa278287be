import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';

/**
 * Spreadsheets, streamed: rows arrive from an async source and leave as bytes without the whole sheet
 * ever being held in memory. CSV starts with a UTF-8 BOM so that Excel reads Chinese correctly; XLSX goes
 * through exceljs's streaming writer (no shared strings, so memory stays flat).
 */
export type Cell = string | number | bigint | Decimal | null;

/**
 * An exact decimal number: `units` of 10^-scale (12345 fen at scale 2 is 123.45). Money and quantities are
 * integers in the row model; this cell writes them as numbers without a float ever spelling them.
 */
export class Decimal {
  constructor(
    readonly units: number | bigint,
    readonly scale: number,
  ) {}

  toString(): string {
    const u = BigInt(this.units);
    const abs = (u < 0n ? -u : u).toString().padStart(this.scale + 1, '0');
    const cut = abs.length - this.scale;
    const digits = this.scale ? `${abs.slice(0, cut)}.${abs.slice(cut)}` : abs;
    return u < 0n ? `-${digits}` : digits;
  }

  toNumber(): number {
    return Number(this.toString());
  }
}

/** Yuan from fen, as a number cell. */
export const yuanCell = (fen: number | bigint): Decimal => new Decimal(fen, 2);

const BOM = '\uFEFF';

/**
 * Text that a spreadsheet would run as a formula (leading =, +, -, @, tab or CR; `-2+3+cmd|...` too) gets a
 * leading apostrophe. Only text: whether a cell is a number is decided by its type in the row, never by how
 * its text looks.
 */
export function neutralizeText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = typeof v === 'string' ? neutralizeText(v) : v.toString();
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** What exceljs writes: text neutralized, numbers as numbers (a bigint beyond 2^53 stays exact, as text). */
function xlsxValue(v: Cell): string | number | null {
  if (v === null || typeof v === 'number') return v;
  if (typeof v === 'string') return neutralizeText(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v.toNumber();
}

export function csvStream(header: string[], rows: AsyncIterable<Cell[]>): Readable {
  async function* gen() {
    yield `${BOM}${header.map(csvCell).join(',')}\r\n`;
    let buf = '';
    for await (const r of rows) {
      buf += `${r.map(csvCell).join(',')}\r\n`;
      if (buf.length > 64_000) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  return Readable.from(gen(), { objectMode: false });
}

export function xlsxStream(
  sheetName: string,
  columns: { header: string; width?: number; numFmt?: string }[],
  rows: AsyncIterable<Cell[]>,
): Readable {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useSharedStrings: false,
    useStyles: true,
  });
  // Fixed workbook dates: the same data gives the same spreadsheet content.
  wb.created = new Date(0);
  wb.modified = new Date(0);
  wb.creator = 'Tally';
  const ws = wb.addWorksheet(sheetName);
  ws.columns = columns.map((c, i) => ({
    header: neutralizeText(c.header),
    key: `c${i}`,
    width: c.width ?? 16,
    ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}),
  }));
  (async () => {
    let n = 0;
    for await (const r of rows) {
      // The client went away: stop reading the database (the row source is closed by the loop's exit).
      if (out.destroyed) return;
      const row = ws.addRow(r.map(xlsxValue));
      r.forEach((v, i) => {
        if (v instanceof Decimal && v.scale > 0) row.getCell(i + 1).numFmt = `0.${'0'.repeat(v.scale)}`;
      });
      row.commit();
      // Let the stream drain now and then, so a slow client slows the producer instead of memory growing.
      if (++n % 1000 === 0 && out.writableNeedDrain) {
        await new Promise((res) => {
          out.once('drain', res);
          out.once('close', res);
        });
      }
    }
    ws.commit();
    await wb.commit();
  })().catch((err) => out.destroy(err as Error));
  return out;
}

export async function* fromArray<T>(items: T[]): AsyncIterable<T> {
  for (const i of items) yield i;
}
