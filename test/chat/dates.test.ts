/** Time expressions relative to an anchor (the data's latest date), in the source's local calendar. */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { parsePeriods, toWholeMonths } from '../../src/chat/dates.js';

// The Chicago sample's newest event: 2015-02-08 23:43 local (a Sunday).
const anchor = DateTime.fromISO('2015-02-09T05:43:40Z', { zone: 'utc' }).setZone('America/Chicago');
const span = (text: string, a = anchor): string[] =>
  parsePeriods(text, a).map((p) => `${p.from.toISO()}/${p.to.toISO()}`);

describe('parsePeriods', () => {
  it('reads calendar words relative to the anchor, not the clock', () => {
    expect(span('how many burglaries last week')).toEqual([
      '2015-01-26T00:00:00.000-06:00/2015-02-02T00:00:00.000-06:00',
    ]);
    expect(span('this month')).toEqual(['2015-02-01T00:00:00.000-06:00/2015-03-01T00:00:00.000-06:00']);
    expect(span('yesterday')).toEqual(['2015-02-07T00:00:00.000-06:00/2015-02-08T00:00:00.000-06:00']);
    expect(span('today')).toEqual(['2015-02-08T00:00:00.000-06:00/2015-02-09T00:00:00.000-06:00']);
    expect(span('the past 3 days')).toEqual(['2015-02-06T00:00:00.000-06:00/2015-02-09T00:00:00.000-06:00']);
  });

  it('turns parts of the day into hours', () => {
    expect(span('yesterday evening')).toEqual([
      '2015-02-07T18:00:00.000-06:00/2015-02-08T00:00:00.000-06:00',
    ]);
    const [p] = parsePeriods('yesterday evening', anchor);
    expect(p?.grain).toBe('hour');
  });

  it('reads explicit dates with chrono: a day, a month, a year', () => {
    expect(span('why was Feb 1 2015 flagged?')).toEqual([
      '2015-02-01T00:00:00.000-06:00/2015-02-02T00:00:00.000-06:00',
    ]);
    expect(span('in March 2024')).toEqual(['2024-03-01T00:00:00.000-06:00/2024-04-01T00:00:00.000-05:00']);
    expect(span('in 2014')).toEqual(['2014-01-01T00:00:00.000-06:00/2015-01-01T00:00:00.000-06:00']);
    expect(parsePeriods('May 2020', anchor)[0]?.label).toBe('May 2020');
  });

  it('takes a month without a year as the latest one not after the anchor', () => {
    expect(span('in march')).toEqual(['2014-03-01T00:00:00.000-06:00/2014-04-01T00:00:00.000-05:00']);
    expect(span('in january')).toEqual(['2015-01-01T00:00:00.000-06:00/2015-02-01T00:00:00.000-06:00']);
  });

  it('finds both periods of a comparison, in order', () => {
    const ps = parsePeriods('compare robberies this month vs last month', anchor);
    expect(ps.map((p) => p.label)).toEqual(['February 2015', 'January 2015']);
    expect(ps[0]?.partial).toBe(true);
    expect(ps[1]?.partial).toBe(false);
  });

  it('uses the zone of the source (London is UTC+1 in May)', () => {
    const london = DateTime.fromISO('2020-05-31T23:00:00Z', { zone: 'utc' }).setZone('Europe/London');
    expect(span('last month', london)).toEqual([
      '2020-05-01T00:00:00.000+01:00/2020-06-01T00:00:00.000+01:00',
    ]);
  });

  it('finds nothing where there is no date', () => {
    expect(parsePeriods('how many burglaries in Chicago', anchor)).toEqual([]);
    expect(parsePeriods('which area may have the most crime', anchor)).toEqual([]);
  });
});

describe('toWholeMonths (UK data is month-only)', () => {
  it('widens a day or a week to the months it touches', () => {
    const london = DateTime.fromISO('2020-06-15T12:00', { zone: 'Europe/London' });
    const [day] = parsePeriods('on 3 May 2020', london);
    const w = toWholeMonths(day as NonNullable<typeof day>, london);
    expect([w.from.toISODate(), w.to.toISODate(), w.label]).toEqual(['2020-05-01', '2020-06-01', 'May 2020']);
  });
});
