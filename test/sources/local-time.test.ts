import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  cachedLocalToUtcMillis,
  localToUtcIso,
  localToUtcMillis,
  luxonLocalToUtcMillis,
  parseFloatingLocal,
  utcToWall,
  type WallTime,
} from '../../src/sources/local-time.js';

const ZONES = ['America/Chicago', 'America/New_York', 'America/Los_Angeles'] as const;

// Instants around the DST changes of 2006-2030 (both the pre-2007 April/October rules and the current
// March/November ones), plus anywhere in those years.
const YEARS = fc.integer({ min: 2006, max: 2030 });
const nearTransition = fc
  .tuple(
    YEARS,
    fc.constantFrom(3, 4, 10, 11),
    fc.integer({ min: 1, max: 14 }),
    fc.integer({ min: -3 * 3600, max: 5 * 3600 }),
  )
  .map(([y, month, day, secs]) => Date.UTC(y, month - 1, day, 8, 0, 0) + secs * 1000);
const anyInstant = fc.integer({ min: Date.UTC(2006, 0, 1), max: Date.UTC(2030, 11, 31) });
const instant = fc.oneof(nearTransition, anyInstant).map((ms) => ms - (ms % 1000));

const anyWall = fc.record({
  year: YEARS,
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
});
// Wall times between 00:00 and 04:00 on the days a change can fall on (so gaps and overlaps are hit).
const dstWall = fc.record({
  year: YEARS,
  month: fc.constantFrom(3, 4, 10, 11),
  day: fc.integer({ min: 1, max: 14 }),
  hour: fc.integer({ min: 0, max: 3 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
});
const wallArb = fc.oneof(anyWall, dstWall);

const wallKey = (w: WallTime) =>
  [w.year, w.month, w.day, w.hour, w.minute, w.second ?? 0].map((n) => String(n).padStart(2, '0')).join('');

describe('localToUtc (luxon, America zones, DST)', () => {
  for (const zone of ZONES) {
    it(`${zone}: round trip UTC → wall → UTC is exact except the later half of an overlap`, () => {
      fc.assert(
        fc.property(instant, (ms) => {
          const back = localToUtcMillis(utcToWall(ms, zone), zone)!;
          if (back === ms) return true;
          // Only an ambiguous wall time may come back different, and then as the EARLIER instant,
          // exactly one offset change (one hour in these zones) before.
          expect(back).toBe(ms - 3600_000);
          expect(DateTime.fromMillis(back, { zone }).offset).toBeGreaterThan(
            DateTime.fromMillis(ms, { zone }).offset,
          );
          return true;
        }),
        { numRuns: 2000 },
      );
    });

    it(`${zone}: monotonic in wall time and never throws`, () => {
      fc.assert(
        fc.property(wallArb, wallArb, (a0, b0) => {
          // Same day for half the pairs, so close pairs across a gap or overlap are compared.
          const a = a0;
          const b = b0.hour % 2 === 0 ? { ...b0, year: a0.year, month: a0.month, day: a0.day } : b0;
          const ua = localToUtcMillis(a, zone);
          const ub = localToUtcMillis(b, zone);
          expect(ua).toBeTypeOf('number');
          expect(ub).toBeTypeOf('number');
          if (wallKey(a) < wallKey(b)) expect(ua!).toBeLessThanOrEqual(ub!);
          return true;
        }),
        { numRuns: 2000 },
      );
    });

    it(`${zone}: wall minutes of the DST change days stay in their local day and in order, never throw`, () => {
      fc.assert(
        fc.property(
          YEARS,
          fc.constantFrom(3, 11),
          fc.oneof(fc.integer({ min: 0, max: 24 * 60 - 1 }), fc.integer({ min: 60, max: 180 })),
          (year, month, minuteOfDay) => {
            // Second Sunday of March / first Sunday of November (the rules since 2007).
            const first = DateTime.fromObject({ year, month, day: 1 }, { zone });
            const firstSunday = 1 + ((7 - first.weekday) % 7);
            const day = month === 3 ? firstSunday + 7 : firstSunday;
            const w = { year, month, day, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 };
            const iso = localToUtcIso(w, zone)!;
            const local = DateTime.fromISO(iso, { zone });
            expect(local.toISODate()).toBe(DateTime.fromObject({ year, month, day }).toISODate());
            // Monotonic across the gap/overlap itself: the next wall minute is never earlier.
            const next = minuteOfDay + 1;
            if (next < 24 * 60) {
              const w2 = { year, month, day, hour: Math.floor(next / 60), minute: next % 60 };
              expect(localToUtcMillis(w2, zone)!).toBeGreaterThanOrEqual(Date.parse(iso));
            }
            return true;
          },
        ),
        { numRuns: 1000 },
      );
    });
  }

  it('clamps a gap time to the transition and takes the earlier instant of an overlap (hand-checked)', () => {
    // 2015-03-08 02:30 does not exist in Chicago: it becomes the transition instant, 03:00 CDT = 08:00Z.
    expect(localToUtcIso({ year: 2015, month: 3, day: 8, hour: 2, minute: 30 }, 'America/Chicago')).toBe(
      '2015-03-08T08:00:00.000Z',
    );
    expect(localToUtcIso({ year: 2015, month: 3, day: 8, hour: 3, minute: 0 }, 'America/Chicago')).toBe(
      '2015-03-08T08:00:00.000Z',
    );
    expect(localToUtcIso({ year: 2015, month: 3, day: 8, hour: 1, minute: 59 }, 'America/Chicago')).toBe(
      '2015-03-08T07:59:00.000Z',
    );
    // 2015-11-01 01:30 happens twice in Chicago: CDT (06:30Z) is chosen over CST (07:30Z).
    expect(localToUtcIso({ year: 2015, month: 11, day: 1, hour: 1, minute: 30 }, 'America/Chicago')).toBe(
      '2015-11-01T06:30:00.000Z',
    );
    // 01:59 and 02:00 around the overlap are still ordered.
    expect(localToUtcIso({ year: 2020, month: 11, day: 1, hour: 1, minute: 59 }, 'America/Los_Angeles')).toBe(
      '2020-11-01T08:59:00.000Z',
    );
    expect(localToUtcIso({ year: 2020, month: 11, day: 1, hour: 2, minute: 0 }, 'America/Los_Angeles')).toBe(
      '2020-11-01T10:00:00.000Z',
    );
    expect(
      localToUtcIso({ year: 2010, month: 2, day: 30, hour: 0, minute: 0 }, 'America/New_York'),
    ).toBeUndefined();
  });
});

describe('parseFloatingLocal', () => {
  it('reads the portal formats', () => {
    expect(parseFloatingLocal('02/08/2015 11:43:40 PM')).toEqual({
      wall: { year: 2015, month: 2, day: 8, hour: 23, minute: 43, second: 40, millisecond: 0 },
      hasTime: true,
    });
    expect(parseFloatingLocal('01/01/2012 12:01:00 AM')?.wall.hour).toBe(0);
    expect(parseFloatingLocal('01/01/2012 12:30:00 PM')?.wall.hour).toBe(12);
    expect(parseFloatingLocal('01/08/2020 00:00')).toMatchObject({
      wall: { year: 2020, month: 1, day: 8, hour: 0 },
      hasTime: true,
    });
    expect(parseFloatingLocal('2015-02-08T23:43:40.000')).toMatchObject({
      wall: { hour: 23, minute: 43, second: 40 },
      hasTime: true,
    });
    expect(parseFloatingLocal('09/25/2021')).toMatchObject({
      wall: { year: 2021, month: 9, day: 25 },
      hasTime: false,
    });
    for (const bad of [
      '',
      '2015-02-08T23:43:40Z',
      '13:00',
      '02/08/2015 13:00:00 PM',
      '2015-02-08T25:00:00',
      'yesterday',
    ]) {
      expect(parseFloatingLocal(bad), bad).toBeUndefined();
    }
  });
});

describe('localToUtcMillis: cached-offset path equals the luxon reference', () => {
  // Zones with unusual rules: half-hour DST (Lord Howe), a skipped calendar day (Apia, end of 2011),
  // southern-hemisphere DST, midnight transitions (Sao Paulo until 2019), no DST at all, and the sources'.
  const ODD_ZONES = [
    'America/Chicago',
    'America/New_York',
    'America/Los_Angeles',
    'Europe/London',
    'Australia/Lord_Howe',
    'Pacific/Apia',
    'America/Sao_Paulo',
    'Asia/Kathmandu',
    'America/Santiago',
    'UTC',
  ] as const;
  const wideWall = fc.record({
    year: fc.integer({ min: 1900, max: 2040 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    millisecond: fc.integer({ min: 0, max: 999 }),
  });

  it('agrees on any wall time (valid or not) in any of these zones', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ODD_ZONES), fc.oneof(wideWall, dstWall), (zone, w) => {
        expect(localToUtcMillis(w, zone)).toBe(luxonLocalToUtcMillis(w, zone));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on every wall minute of DST change days, where the cache must step aside', () => {
    for (const [zone, y, m, d] of [
      ['America/Chicago', 2015, 3, 8],
      ['America/Chicago', 2015, 11, 1],
      ['Europe/London', 2019, 3, 31],
      ['Europe/London', 2019, 10, 27],
      ['Australia/Lord_Howe', 2020, 4, 5],
      ['Australia/Lord_Howe', 2020, 10, 4],
      ['America/Sao_Paulo', 2018, 11, 4],
    ] as const) {
      for (let min = 0; min < 24 * 60; min++) {
        const w = { year: y, month: m, day: d, hour: Math.floor(min / 60), minute: min % 60 };
        expect(localToUtcMillis(w, zone), `${zone} ${JSON.stringify(w)}`).toBe(
          luxonLocalToUtcMillis(w, zone),
        );
      }
    }
  });

  it('answers ordinary days from the cache and steps aside on DST change days', () => {
    const plain = { year: 2015, month: 2, day: 8, hour: 23, minute: 43, second: 40 };
    expect(cachedLocalToUtcMillis(plain, 'America/Chicago')).toBe(Date.parse('2015-02-09T05:43:40Z'));
    expect(cachedLocalToUtcMillis({ ...plain, month: 7 }, 'America/Chicago')).toBe(
      Date.parse('2015-07-09T04:43:40Z'),
    );
    // Gap and overlap days (and their neighbours within 15 h) go to luxon.
    expect(
      cachedLocalToUtcMillis({ year: 2015, month: 3, day: 8, hour: 2, minute: 30 }, 'America/Chicago'),
    ).toBeUndefined();
    expect(
      cachedLocalToUtcMillis({ year: 2015, month: 11, day: 1, hour: 1, minute: 30 }, 'America/Chicago'),
    ).toBeUndefined();
    expect(
      cachedLocalToUtcMillis({ year: 2015, month: 11, day: 1, hour: 22, minute: 0 }, 'America/Chicago'),
    ).toBeUndefined();
  });

  it('leaves the unusual to luxon: hour 24, fractions and unknown zones behave as before', () => {
    const w = { year: 2015, month: 3, day: 8, hour: 24, minute: 0 };
    expect(localToUtcMillis(w, 'America/Chicago')).toBe(luxonLocalToUtcMillis(w, 'America/Chicago'));
    const frac = { year: 2015, month: 3, day: 8, hour: 1.5, minute: 0 };
    expect(localToUtcMillis(frac, 'America/Chicago')).toBe(luxonLocalToUtcMillis(frac, 'America/Chicago'));
    expect(
      localToUtcMillis({ year: 2015, month: 1, day: 1, hour: 0, minute: 0 }, 'Mars/Olympus'),
    ).toBeUndefined();
  });
});
