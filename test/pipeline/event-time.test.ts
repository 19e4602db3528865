import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finestWindowEnd, Watermarks, WindowAssigner } from '../../src/pipeline/index.js';

const H = 3600_000;

describe('WindowAssigner', () => {
  const a = new WindowAssigner();

  it('gives America/Chicago DST days 23 and 25 hours', () => {
    const spring = a.assign('2015-03-08T12:00:00.000Z', 'America/Chicago', 'minute');
    expect(spring.localDay).toBe('2015-03-08');
    expect(((spring.dayEnd ?? 0) - (spring.dayStart ?? 0)) / H).toBe(23);
    const fall = a.assign('2015-11-01T12:00:00.000Z', 'America/Chicago', 'minute');
    expect(((fall.dayEnd ?? 0) - (fall.dayStart ?? 0)) / H).toBe(25);
    expect(new Date(fall.dayStart ?? 0).toISOString()).toBe('2015-11-01T05:00:00.000Z');
    // The repeated 01:00 hour is two distinct hourly windows.
    const first = a.assign('2015-11-01T06:30:00.000Z', 'America/Chicago', 'minute');
    const second = a.assign('2015-11-01T07:30:00.000Z', 'America/Chicago', 'minute');
    expect(first.localHour).toBe(1);
    expect(second.localHour).toBe(1);
    expect(first.hourStart).not.toBe(second.hourStart);
  });

  it('never puts day-precision events in hourly windows, nor month-precision ones in daily windows', () => {
    const day = a.assign('2015-02-01T06:00:00.000Z', 'America/Chicago', 'day');
    expect(day.hourStart).toBeNull();
    expect(day.localDay).toBe('2015-02-01');
    expect(finestWindowEnd(day)).toBe(day.dayEnd);
    const month = a.assign('2020-03-31T23:00:00.000Z', 'Europe/London', 'month');
    expect(month.hourStart).toBeNull();
    expect(month.dayStart).toBeNull();
    expect(month.localMonth).toBe('2020-04');
    expect(new Date(month.monthEnd).toISOString()).toBe('2020-04-30T23:00:00.000Z');
  });

  it('puts each event in exactly one window of each kind, and the window contains it (property)', () => {
    const zones = [
      'America/Chicago',
      'America/New_York',
      'America/Los_Angeles',
      'Europe/London',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'UTC',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2026, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const iso = new Date(ms).toISOString();
          const w = new WindowAssigner().assign(iso, zone, 'minute');
          const cached = a.assign(iso, zone, 'minute');
          expect(cached).toEqual(w);
          for (const [s, e] of [
            [w.hourStart, w.hourEnd],
            [w.dayStart, w.dayEnd],
            [w.monthStart, w.monthEnd],
          ] as const) {
            expect(s).not.toBeNull();
            expect((s ?? 0) <= ms && ms < (e ?? 0)).toBe(true);
          }
          // Neighbouring instants either share the window or are separated by its boundary.
          const next = a.assign(new Date(w.hourEnd ?? 0).toISOString(), zone, 'minute');
          expect(next.hourStart).toBe(w.hourEnd);
          const nextDay = a.assign(new Date(w.dayEnd ?? 0).toISOString(), zone, 'minute');
          expect(nextDay.dayStart).toBe(w.dayEnd);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Watermarks', () => {
  it('never decrease, whatever the order of events (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e9 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 1e6 }),
        (times, lag) => {
          const wm = new Watermarks(5000, () => lag);
          let prev = Number.NEGATIVE_INFINITY;
          for (const t of times) {
            wm.observe('s', t, t + 1000);
            const cur = wm.get('s').watermarkMs;
            expect(cur).toBeGreaterThanOrEqual(prev);
            prev = cur;
          }
        },
      ),
    );
  });

  it('classifies on-time, late (within allowed lateness) and too late against the finest window', () => {
    const wm = new Watermarks(2 * H);
    expect(wm.observe('chicago', 10 * H, 11 * H)).toBe('on-time');
    expect(wm.observe('chicago', 10 * H + 5, 11 * H)).toBe('on-time'); // same open hour
    expect(wm.observe('chicago', 9 * H, 10 * H)).toBe('late');
    expect(wm.observe('chicago', 7 * H, 8 * H)).toBe('too-late');
    expect(wm.observe('other', 1, 2)).toBe('on-time'); // per source
    expect(wm.get('chicago').watermarkMs).toBe(10 * H + 5);
  });
});
