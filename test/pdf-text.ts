import { PDFParse } from 'pdf-parse';

/**
 * A PDF's text, page by page, as pdf.js extracts it (the pdf-parse package: no system program needed).
 * Text on one baseline comes out as one line; items far apart on it (a table's columns) are joined with a tab.
 */
export async function pdfText(pdf: Uint8Array): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(pdf) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}
