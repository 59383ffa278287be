/**
 * Instants are UTC on the wire; the console shows them in the org's display time zone (an IANA name),
 * whatever the browser's own zone is.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function parts(instant: Date, timeZone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

const pad = (n: number | undefined, w = 2) => String(n ?? 0).padStart(w, '0');

/**
 * "2026-11-02 16:00:00 (Asia/Shanghai)": the instant in the zone, labelled with the zone so that nobody reads it
 * as their own computer's time (`zone: false` leaves the label off, where a heading already names the zone).
 */
export function formatInstant(
  iso: string | null | undefined,
  timeZone: string,
  opts: { zone?: boolean } = {},
): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const p = parts(d, timeZone);
  const text = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  return opts.zone === false ? text : `${text} (${timeZone})`;
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(
    p.year ?? 0,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  );
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant at which a calendar day starts in the zone: what "created from 11-02" means to the org. */
export function startOfDayInZone(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  let t = guess - zoneOffsetMs(new Date(guess), timeZone);
  // Near a DST change the first guess can be off by the change: one correction settles it.
  t = guess - zoneOffsetMs(new Date(t), timeZone);
  return new Date(t);
}

/** "YYYY-MM-DD" + n days, by the calendar (no zone involved). */
export function addDays(ymd: string, n: number): string {
  const [y, m, d] = ymd.split('-').map(Number);
  const t = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + n));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

export function ymdToInstant(ymd: string, timeZone: string): Date {
  const [y, m, d] = ymd.split('-').map(Number);
  return startOfDayInZone(y ?? 1970, m ?? 1, d ?? 1, timeZone);
}

export interface Remaining {
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  totalMs: number;
}

export function remaining(untilIso: string, nowMs: number): Remaining {
  const totalMs = Math.max(0, new Date(untilIso).getTime() - nowMs);
  const s = Math.floor(totalMs / 1000);
  return {
    days: Math.floor(s / 86_400),
    hours: Math.floor((s % 86_400) / 3600),
    minutes: Math.floor((s % 3600) / 60),
    seconds: s % 60,
    totalMs,
  };
}

const DAY_MS = 86_400_000;

/** Whole days until an instant, a started day counting as one; at least 1 (for a step the server says is ahead). */
export function daysUntil(iso: string, nowMs: number): number {
  return Math.max(1, Math.ceil((new Date(iso).getTime() - nowMs) / DAY_MS));
}
