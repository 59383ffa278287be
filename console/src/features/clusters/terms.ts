import type { Catalog, Term } from '../../api/types.js';

/** A term as one form value ("month:3", "year:1"), and back. */
export const termKey = (t: Term) => `${t.unit}:${t.count}`;
export function parseTerm(key: string): Term {
  const [unit, count] = key.split(':');
  return { unit: unit === 'year' ? 'year' : 'month', count: Number(count) };
}

export const DAY_MS = 86_400_000;

/** A term's length in ms: a month is the catalog's daysPerMonth (30) days, a year 12 such months. */
export function termMs(catalog: Pick<Catalog, 'daysPerMonth'>, term: Term): number {
  const months = term.unit === 'year' ? term.count * 12 : term.count;
  return months * catalog.daysPerMonth * DAY_MS;
}

/** The catalog's term equal to `term`, else its first: a dialog's default choice. */
export function defaultTerm(catalog: Catalog, term: Term | undefined): Term {
  const same = term && catalog.terms.find((x) => x.unit === term.unit && x.count === term.count);
  return same ?? catalog.terms[0] ?? { unit: 'month', count: 1 };
}
