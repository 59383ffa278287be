import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localTimeFormatter } from '../../server/src/documents/local-time.js';
import { localDateTime } from '../../server/src/platform/time.js';

describe('the exports’ fast local time formatter', () => {
  it('says exactly what localDateTime says, across zones and DST changes', () => {
    const zones = [
      'UTC',
      'Asia/Shanghai',
      'America/New_York',
      'Europe/Berlin',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
    ];
    const fmts = new Map(zones.map((z) => [z, localTimeFormatter(z)]));
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }),
        (zone, at) => {
          expect(fmts.get(zone)!(at)).toBe(localDateTime(at, zone));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
