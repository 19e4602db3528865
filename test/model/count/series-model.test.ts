/**
 * The count model on real data: the Chicago sample (2015-01-23 → 2015-02-08) contains the
 * Groundhog Day blizzard of Feb 1–2 2015 (counts fell by about 35–40 %). Counts are built here
 * straight from the CSV (csv-parse via readRecordedRows), timestamps read in America/Chicago.
 */
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { easterSunday, isHoliday } from '../../../src/model/count/holidays.js';
import {
  ALL,
  estimateReportingLag,
  fitSeriesModel,
  forecast,
  nowcast,
  parseSeriesModel,
  type SeriesModel,
  type SeriesPoint,
  type SeriesWindow,
  scoreRound,
  scoreRoundDetailed,
  scoreSpan,
  scoreWindow,
  severityOf,
} from '../../../src/model/count/series-model.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';

const CHICAGO = 'samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz';
const ZONE = 'America/Chicago';

let daily: SeriesPoint[] = [];
let hourly: SeriesPoint[] = [];
let dailyByType = new Map<string, SeriesPoint[]>();

function count(
  rows: Record<string, unknown>[],
  unit: 'day' | 'hour',
  filter: (r: Record<string, unknown>) => boolean = () => true,
): SeriesPoint[] {
  const m = new Map<string, number>();
  for (const r of rows) {
    if (!filter(r)) continue;
    const dt = DateTime.fromFormat(String(r.Date), 'MM/dd/yyyy hh:mm:ss a', { zone: ZONE });
    // The first day of the export is partial (it starts at 08:30): drop it.
    if (dt < DateTime.fromISO('2015-01-24', { zone: ZONE })) continue;
    const k = dt.startOf(unit).toISO() as string;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()]
    .map(([start, c]) => ({ start, count: c }))
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

const day = (d: string) => DateTime.fromISO(d, { zone: ZONE }).toMillis();
const upTo = (pts: SeriesPoint[], d: string) => pts.filter((p) => Date.parse(p.start) < day(d));
const between = (pts: SeriesPoint[], from: string, to: string) =>
  pts.filter((p) => Date.parse(p.start) >= day(from) && Date.parse(p.start) < day(to));
const key = (category = ALL) => ({ source: 'chicago', areaId: ALL, category });
const asWindows = (pts: SeriesPoint[], category = ALL, granularity: 'day' | 'hour' = 'day'): SeriesWindow[] =>
  pts.map((p) => ({
    source: 'chicago',
    areaId: ALL,
    category,
    windowStart: p.start,
    incidentCount: p.count,
    granularity,
  }));

beforeAll(async () => {
  const rows = await readRecordedRows(CHICAGO, { keepHeaders: true });
  daily = count(rows, 'day');
  hourly = count(rows, 'hour');
  dailyByType = new Map(
    ['THEFT', 'BATTERY', 'NARCOTICS', 'CRIMINAL DAMAGE'].map((t) => [
      t.toLowerCase(),
      count(rows, 'day', (r) => r['Primary Type'] === t),
    ]),
  );
});

describe('Chicago 2015: the Groundhog Day blizzard', () => {
  it('flags Feb 1 and Feb 2 as drops from a daily model fitted on the days before', () => {
    const m = fitSeriesModel(upTo(daily, '2015-02-01'), {
      granularity: 'day',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    const anomalies = scoreRound([m], asWindows(between(daily, '2015-02-01', '2015-02-03')));
    expect(anomalies.map((a) => DateTime.fromISO(a.windowStart, { zone: ZONE }).toISODate()).sort()).toEqual([
      '2015-02-01',
      '2015-02-02',
    ]);
    for (const a of anomalies) {
      expect(a.direction).toBe('drop');
      expect(a.observed).toBeLessThan(a.lower);
      expect(a.expected).toBeGreaterThan(550);
      expect(a.qValue).toBeLessThan(1e-5);
      expect(['medium', 'high', 'critical']).toContain(a.severity);
    }
  });

  it('flags Feb 2 too when Feb 1 is already in the history (the robust fit drops it)', () => {
    const m = fitSeriesModel(upTo(daily, '2015-02-02'), {
      granularity: 'day',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    expect(m.outliers.map((s) => DateTime.fromISO(s, { zone: ZONE }).toISODate())).toEqual(['2015-02-01']);
    const s = scoreWindow(m, between(daily, '2015-02-02', '2015-02-03')[0] as SeriesPoint);
    expect(s.direction).toBe('drop');
    expect(s.pValue).toBeLessThan(1e-4);
  });

  it('stays quiet on plain days (Jan 30–31 from Jan 24–29; Feb 6–8 from a history that includes the blizzard)', () => {
    const m1 = fitSeriesModel(upTo(daily, '2015-01-30'), {
      granularity: 'day',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    expect(scoreRound([m1], asWindows(between(daily, '2015-01-30', '2015-02-01')))).toEqual([]);
    const m2 = fitSeriesModel(upTo(daily, '2015-02-06'), {
      granularity: 'day',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    expect(scoreRound([m2], asWindows(between(daily, '2015-02-06', '2015-02-09')))).toEqual([]);
  });

  it('hourly: single hours stay within the hourly false-alarm budget, the day as a whole is a drop', () => {
    const m = fitSeriesModel(upTo(hourly, '2015-02-01'), {
      granularity: 'hour',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    // A plain stretch scored hour by hour raises nothing.
    const quiet = fitSeriesModel(upTo(hourly, '2015-01-29'), {
      granularity: 'hour',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    expect(scoreRound([quiet], asWindows(between(hourly, '2015-01-29', '2015-02-01'), ALL, 'hour'))).toEqual(
      [],
    );
    // The blizzard: hours fall ~35% each, a shift that only the span test sees.
    const feb1 = scoreSpan(m, between(hourly, '2015-02-01', '2015-02-02'));
    expect(feb1.direction).toBe('drop');
    expect(feb1.pValue).toBeLessThan(1e-3);
    const jan30 = scoreSpan(quiet, between(hourly, '2015-01-30', '2015-01-31'));
    expect(jan30.pValue).toBeGreaterThan(0.01);
    const low = between(hourly, '2015-02-01', '2015-02-03').map((p) => scoreWindow(m, p));
    expect(low.filter((s) => s.direction === 'drop').length).toBeGreaterThan(low.length * 0.7);
  });

  it('explains a city-wide anomaly by the categories that fell most, with BH across the round', () => {
    const models: SeriesModel[] = [
      fitSeriesModel(upTo(daily, '2015-02-01'), {
        granularity: 'day',
        timeZone: ZONE,
        holidays: 'US',
        key: key(),
      }),
    ];
    const windows = asWindows(between(daily, '2015-02-01', '2015-02-02'));
    for (const [type, pts] of dailyByType) {
      models.push(
        fitSeriesModel(upTo(pts, '2015-02-01'), {
          granularity: 'day',
          timeZone: ZONE,
          holidays: 'US',
          key: key(type),
        }),
      );
      windows.push(...asWindows(between(pts, '2015-02-01', '2015-02-02'), type));
    }
    const anomalies = scoreRound(models, windows);
    const city = anomalies.find((a) => a.category === ALL);
    expect(city).toBeDefined();
    expect(city?.contributors.length).toBeGreaterThan(0);
    expect(city?.contributors[0]?.dimension).toBe('category');
    // Theft fell the most in absolute terms that day (about 134 expected, 76 seen).
    expect(city?.contributors[0]?.value).toBe('theft');
    const detailed = scoreRoundDetailed(models, windows);
    expect(detailed.scored).toHaveLength(5);
    for (const s of detailed.scored) expect(s.qValue).toBeGreaterThanOrEqual(s.pValue - 1e-12);
  });
});

describe('forecast, nowcast, serialisation', () => {
  it('forecasts the next 7 days with intervals that cover the plain days after the blizzard', () => {
    const m = fitSeriesModel(upTo(daily, '2015-02-01'), {
      granularity: 'day',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    const f = forecast(m, 7, { level: 0.9 });
    expect(f).toHaveLength(7);
    expect(DateTime.fromISO(f[0]?.start as string, { zone: ZONE }).toISODate()).toBe('2015-02-01');
    for (const p of f) expect(p.lower).toBeLessThan(p.expected);
    const late = between(daily, '2015-02-06', '2015-02-08');
    for (const p of late) {
      const fp = f.find((x) => Date.parse(x.start) === Date.parse(p.start));
      expect(p.count).toBeGreaterThanOrEqual(fp?.lower as number);
      expect(p.count).toBeLessThanOrEqual(fp?.upper as number);
    }
  });

  it('nowcasts a window still being reported, using the SF reporting lag', async () => {
    const rows = await readRecordedRows('samples/sf/sf_police_incidents_2018-12.csv.gz', {
      keepHeaders: true,
    });
    const parse = (s: string) =>
      DateTime.fromFormat(s, 'yyyy/MM/dd hh:mm:ss a', { zone: 'America/Los_Angeles' });
    const pairs = rows
      .map((r) => ({
        occurredAt: parse(String(r['Incident Datetime'])),
        reportedAt: parse(String(r['Report Datetime'])),
      }))
      .filter((p) => p.occurredAt.isValid && p.reportedAt.isValid)
      .map((p) => ({
        occurredAt: p.occurredAt.toISO() as string,
        reportedAt: p.reportedAt.toISO() as string,
      }));
    const lag = estimateReportingLag('socrata-sf', pairs);
    expect(lag.n).toBeGreaterThan(10_000);
    // Monotone, and most (not all) incidents are reported within a day.
    for (let i = 1; i < lag.completeness.length; i++)
      expect(lag.completeness[i]).toBeGreaterThanOrEqual(lag.completeness[i - 1] as number);
    const day1 = lag.completeness[lag.lagHours.indexOf(24)] as number;
    expect(day1).toBeGreaterThan(0.5);
    expect(day1).toBeLessThan(0.99);
    const m = fitSeriesModel(upTo(daily, '2015-02-06'), {
      granularity: 'day',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    const window = between(daily, '2015-02-06', '2015-02-07')[0] as SeriesPoint;
    const partial = { start: window.start, count: Math.round(window.count * 0.6) };
    const asOf = DateTime.fromISO('2015-02-07T02:00', { zone: ZONE }).toISO() as string;
    const n = nowcast(m, partial, asOf, lag);
    expect(n.completeness).toBeLessThan(1);
    expect(n.expected).toBeGreaterThan(partial.count);
    expect(n.lower).toBeGreaterThanOrEqual(partial.count);
    // A fully aged window is its own count.
    const old = nowcast(m, window, DateTime.fromISO('2015-03-30', { zone: ZONE }).toISO() as string, {
      ...lag,
      completeness: lag.completeness.map(() => 1),
    });
    expect(old.expected).toBeCloseTo(window.count, 6);
  });

  it('round-trips through JSON and refuses foreign objects', () => {
    const m = fitSeriesModel(upTo(daily, '2015-02-01'), {
      granularity: 'day',
      timeZone: ZONE,
      holidays: 'US',
      key: key(),
    });
    const back = parseSeriesModel(JSON.stringify(m));
    expect(forecast(back, 3)).toEqual(forecast(m, 3));
    expect(() => parseSeriesModel({ kind: 'other' })).toThrow(TypeError);
  });

  it('severity grows with q-value and effect size', () => {
    expect(severityOf(1e-6, 4, 0.01)).toBe('critical');
    expect(severityOf(1e-4, 2.5, 0.01)).toBe('high');
    expect(severityOf(0.005, 1.6, 0.01)).toBe('medium');
    expect(severityOf(0.005, 1.2, 0.01)).toBe('low');
  });
});

describe('holiday table', () => {
  it('knows the US and UK rules', () => {
    expect(easterSunday(2020)).toEqual([4, 12]);
    expect(easterSunday(2015)).toEqual([4, 5]);
    expect(isHoliday('US', '2015-01-19')).toBe(true); // MLK day
    expect(isHoliday('US', '2015-11-26')).toBe(true); // Thanksgiving
    expect(isHoliday('US', '2021-07-05')).toBe(true); // Independence Day observed (Sunday 4th)
    expect(isHoliday('US', '2015-02-01')).toBe(false);
    expect(isHoliday('UK', '2020-04-10')).toBe(true); // Good Friday
    expect(isHoliday('UK', '2020-05-08')).toBe(true); // VE day (moved early May)
    expect(isHoliday('UK', '2020-05-04')).toBe(false);
    expect(isHoliday('UK', '2020-12-28')).toBe(true); // Boxing Day substitute
  });
});
