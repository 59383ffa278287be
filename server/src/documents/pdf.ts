import PDFDocument from 'pdfkit';
import { documentFont } from './font.js';

/**
 * A small layout layer over pdfkit for Tally's documents: a title, key-value blocks and tables that break
 * across pages. Text is real text in an embedded (subset) Noto Sans SC font, so it can be searched, copied
 * and extracted. Output is deterministic: the info dates (and the file ID derived from them) are the
 * document's own timestamp, never the time of rendering.
 */
const PAGE = { width: 595.28, height: 841.89, margin: 48 };
const INK = '#1f2329';
const MUTED = '#646a73';
const RULE = '#dee0e3';

export interface Column {
  header: string;
  /** share of the usable width */
  width: number;
  align?: 'left' | 'right';
}

export class PdfWriter {
  constructor(readonly doc: PDFKit.PDFDocument) {}

  private get usable() {
    return PAGE.width - PAGE.margin * 2;
  }

  private ensure(space: number) {
    if (this.doc.y + space > PAGE.height - PAGE.margin) this.doc.addPage();
  }

  title(text: string, subtitle?: string) {
    this.doc.font('regular').fontSize(18).fillColor(INK).text(text, PAGE.margin, this.doc.y);
    if (subtitle) this.doc.font('regular').fontSize(10).fillColor(MUTED).text(subtitle);
    this.doc.moveDown(0.8);
  }

  heading(text: string) {
    this.ensure(40);
    this.doc.moveDown(0.6).font('regular').fontSize(12).fillColor(INK).text(text, PAGE.margin);
    this.doc.moveDown(0.3);
  }

  /** Label: value rows, two columns. */
  fields(rows: [string, string][]) {
    const labelW = 130;
    for (const [k, v] of rows) {
      const h = Math.max(
        this.doc
          .font('regular')
          .fontSize(10)
          .heightOfString(v || ' ', { width: this.usable - labelW }),
        14,
      );
      this.ensure(h + 4);
      const y = this.doc.y;
      this.doc.fillColor(MUTED).text(k, PAGE.margin, y, { width: labelW - 8 });
      this.doc.fillColor(INK).text(v || '—', PAGE.margin + labelW, y, { width: this.usable - labelW });
      this.doc.y = y + h + 4;
    }
  }

  table(columns: Column[], rows: string[][]) {
    const total = columns.reduce((s, c) => s + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.usable);
    const drawRow = (cells: string[], font: 'regular', color: string) => {
      this.doc.font(font).fontSize(8.5);
      const h =
        Math.max(...cells.map((c, i) => this.doc.heightOfString(c || ' ', { width: widths[i]! - 6 }))) + 6;
      this.ensure(h + 2);
      const y = this.doc.y;
      let x = PAGE.margin;
      cells.forEach((c, i) => {
        this.doc
          .fillColor(color)
          .text(c, x + 3, y + 3, { width: widths[i]! - 6, align: columns[i]?.align ?? 'left' });
        x += widths[i]!;
      });
      this.doc
        .moveTo(PAGE.margin, y + h)
        .lineTo(PAGE.margin + this.usable, y + h)
        .lineWidth(0.5)
        .strokeColor(RULE)
        .stroke();
      this.doc.y = y + h + 1;
    };
    drawRow(
      columns.map((c) => c.header),
      'regular',
      INK,
    );
    for (const r of rows) drawRow(r, 'regular', INK);
    this.doc.x = PAGE.margin;
  }

  note(text: string) {
    this.ensure(30);
    this.doc
      .moveDown(0.6)
      .font('regular')
      .fontSize(8.5)
      .fillColor(MUTED)
      .text(text, PAGE.margin, this.doc.y, {
        width: this.usable,
      });
  }
}

let parsed: unknown;

/**
 * The font parsed once per process (parsing the 2.5 MB font took most of a document's time). pdfkit
 * accepts a parsed font object in registerFont; each document still makes its own subset of it.
 */
function parsedFont(): unknown {
  if (!parsed) {
    const probe = new PDFDocument({ autoFirstPage: false });
    probe.registerFont('f', documentFont(400));
    probe.font('f');
    parsed = (probe as unknown as { _font: { font: unknown } })._font.font;
  }
  return parsed;
}

export async function renderPdf(
  meta: { title: string; subject: string; timestamp: Date; lang: string },
  draw: (w: PdfWriter) => void,
): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    lang: meta.lang,
    displayTitle: true,
    info: {
      Title: meta.title,
      Subject: meta.subject,
      Author: 'Tally 费用中心',
      Creator: 'Tally',
      Producer: 'Tally (pdfkit)',
      CreationDate: meta.timestamp,
      ModDate: meta.timestamp,
    },
  });
  // One embedded font (a second weight would double the size and the time): emphasis is by size and colour.
  doc.registerFont('regular', parsedFont() as unknown as Buffer);
  doc.font('regular');
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  draw(new PdfWriter(doc));
  doc.end();
  return done;
}
