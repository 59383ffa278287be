import { monthOf } from '../platform/time.js';

/**
 * Bill months are calendar months (YYYY-MM) in the billing time zone (UTC by default). These helpers turn
 * a month into the instants that bound it, so that every query compares instants, never local times.
 */

const MONTH = /^(\d{4})-(\d{2})$/;

export function isMonth(s: string): boolean {
  const m = MONTH.exec(s);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

function parse(month: string): [number, number] {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`not a month: ${month}`);
  return [Number(m[1]), Number(m[2])];
}

const fmt = (y: number, m: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;

export function addMonths(month: string, n: number): string {
  const [y, m] = parse(month);
  const i = y * 12 + (m - 1) + n;
  return fmt(Math.floor(i / 12), (i % 12) + 1);
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetMs(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant at which the month begins in the zone (00:00 local on the 1st). */
export function monthStart(month: string, timeZone: string): Date {
  const [y, m] = parse(month);
  const wall = Date.UTC(y, m - 1, 1);
  // Two passes settle the offset across a DST change near midnight.
  let t = wall - offsetMs(new Date(wall), timeZone);
  t = wall - offsetMs(new Date(t), timeZone);
  return new Date(t);
}

/** The instant of 00:00 local on a calendar day (y, m 1–12, d; out-of-range days roll over) in the zone. */
export function localMidnight(y: number, m: number, d: number, timeZone: string): Date {
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetMs(new Date(wall), timeZone);
  t = wall - offsetMs(new Date(t), timeZone);
  return new Date(t);
}

/** The calendar day (y, m 1–12, d) of an instant in the zone. */
export function localDay(at: Date, timeZone: string): { y: number; m: number; d: number } {
  const shifted = new Date(at.getTime() + offsetMs(at, timeZone));
  return { y: shifted.getUTCFullYear(), m: shifted.getUTCMonth() + 1, d: shifted.getUTCDate() };
}

export function monthPeriod(month: string, timeZone: string): { start: Date; end: Date } {
  return { start: monthStart(month, timeZone), end: monthStart(addMonths(month, 1), timeZone) };
}

export const currentMonth = (now: Date, timeZone: string): string => monthOf(now, timeZone);

/** Months from `from` to `to` inclusive, newest first. */
export function monthsDesc(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = to; m >= from; m = addMonths(m, -1)) out.push(m);
  return out;
}
