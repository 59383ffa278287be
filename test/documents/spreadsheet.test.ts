import { describe, expect, it } from 'vitest';
import { type Cell, csvStream, xlsxStream, yuanCell } from '../../server/src/documents/spreadsheet.js';

/** An endless row source that records how far it was read and whether it was closed. */
function endless() {
  const state = { pulled: 0, closed: false };
  async function* rows(): AsyncIterable<Cell[]> {
    try {
      for (;;) {
        state.pulled++;
        yield [`row ${state.pulled}`, state.pulled, '订单'];
        if (state.pulled % 100 === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, rows: rows() };
}

const settle = () => new Promise((r) => setTimeout(r, 200));

describe('streamed spreadsheets stop reading when the client goes away', () => {
  for (const kind of ['csv', 'xlsx'] as const) {
    it(kind, async () => {
      const src = endless();
      const out =
        kind === 'csv'
          ? csvStream(['a', 'b', 'c'], src.rows)
          : xlsxStream('s', [{ header: 'a' }, { header: 'b' }, { header: 'c' }], src.rows);
      await new Promise<void>((resolve) => out.once('data', () => resolve()));
      out.destroy();
      await settle();
      const pulled = src.state.pulled;
      await settle();
      expect(src.state.pulled).toBe(pulled);
      expect(src.state.closed).toBe(true);
    });
  }

  it('quotes CSV cells and neutralizes formulas; numbers are numbers by type, never by their text', async () => {
    async function* rows(): AsyncIterable<Cell[]> {
      yield ['a,b', 'say "hi"', '=SUM(A1)', -12, null, yuanCell(-150), '-1.50', '-2+3', 12n];
    }
    const chunks: string[] = [];
    for await (const c of csvStream(['x'], rows())) chunks.push(String(c));
    expect(chunks.join('')).toBe('\uFEFFx\r\n"a,b","say ""hi""",\'=SUM(A1),-12,,-1.50,\'-1.50,\'-2+3,12\r\n');
  });
});
