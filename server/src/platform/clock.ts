/** The one source of "now". Domain code never calls Date.now(); it is handed a Clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that tests move by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | string = '2026-11-02T08:00:00Z') {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * The operator's test clock (TALLY_TEST_CLOCK=1): real time plus an offset that only grows. The offset is
 * stored in the database so that every instance on one PostgreSQL reads the same time; `setOffset` is
 * called with the stored value before each request and each background run.
 */
export class OffsetClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  setOffset(offsetMs: number): void {
    this.offsetMs = offsetMs;
  }
}
