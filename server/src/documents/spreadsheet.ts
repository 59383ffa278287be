import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';

/**
 * Spreadsheets, streamed: rows arrive from an async source and leave as bytes without the whole sheet
 * ever being held in memory. CSV starts with a UTF-8 BOM so that Excel reads Chinese correctly; XLSX goes
 * through exceljs's streaming writer (no shared strings, so memory stays flat).
 */
export type Cell = string | number | null;

const BOM = '\uFEFF';

function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = String(v);
  // Quote what needs it; neutralize leading formula characters (CSV injection) in text cells.
  const safe = typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
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
    header: c.header,
    key: `c${i}`,
    width: c.width ?? 16,
    ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}),
  }));
  (async () => {
    let n = 0;
    for await (const r of rows) {
      // The client went away: stop reading the database (the row source is closed by the loop's exit).
      if (out.destroyed) return;
      ws.addRow(r).commit();
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

export async function streamToBuffer(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}
