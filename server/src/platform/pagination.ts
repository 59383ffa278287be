import { AppError } from './errors.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** A cursor is opaque to clients; a forged or damaged one is a validation error, not a 500. */
export function decodeCursor<T extends (string | number)[]>(
  cursor: string,
  shape: ('string' | 'number' | 'date')[],
): T {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (!Array.isArray(parts) || parts.length !== shape.length) throw new Error('shape');
    parts.forEach((p, i) => {
      const kind = shape[i];
      if (kind === 'number' && !Number.isSafeInteger(p)) throw new Error('number');
      if (kind === 'string' && (typeof p !== 'string' || p.length > 100)) throw new Error('string');
      if (kind === 'date' && (typeof p !== 'string' || Number.isNaN(Date.parse(p)))) throw new Error('date');
    });
    return parts as T;
  } catch {
    throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor this API returned', {
      in: 'query',
      issues: [{ field: 'cursor', message: 'invalid cursor' }],
    });
  }
}

/** Rows were fetched with limit + 1: the extra row says whether there is a next page. */
export function pageOf<R, T>(
  rows: R[],
  limit: number,
  present: (r: R) => T,
  cursorOf: (r: R) => (string | number)[],
): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(present), nextCursor: more && last ? encodeCursor(cursorOf(last)) : null };
}

/** The cursor of lists ordered by (created_at, id) descending. */
export function decodeTimeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = decodeCursor<[string, string]>(cursor, ['date', 'string']);
  return { createdAt: new Date(at), id };
}

export const timeCursorOf = (r: { created_at: Date; id: string }): [string, string] => [
  r.created_at.toISOString(),
  r.id,
];
