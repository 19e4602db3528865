/**
 * Builds backtest series straight from the shipped real samples (samples/): Chicago 2015 (daily and
 * hourly, city-wide and the largest primary types), San Francisco December 2018 (daily, incidents
 * deduplicated by Incident ID) and the City of London street files (monthly, by crime type).
 * Timestamps are read in each source's own zone with luxon; UK data is month-only. The SF file's last
 * day (2018-12-31) holds only 12 rows (the export was cut), so the SF series ends on 2018-12-30.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { readRecordedRows } from '../../sources/recorded-file.js';
import type { Granularity } from '../count/design.js';
import { ALL, regularise, type SeriesPoint } from '../count/series-model.js';
import type { BacktestSeries } from './backtest.js';

type Counter = Map<string, Map<string, number>>;

function bump(c: Counter, series: string, start: string): void {
  let m = c.get(series);
  if (!m) {
    m = new Map();
    c.set(series, m);
  }
  m.set(start, (m.get(start) ?? 0) + 1);
}

function toSeries(
  c: Counter,
  dataset: string,
  source: string,
  g: Granularity,
  timeZone: string,
  holidays: BacktestSeries['holidays'],
  bounds: { from: string; to: string },
  knownEvents: (start: string) => boolean,
): BacktestSeries[] {
  const out: BacktestSeries[] = [];
  for (const [category, m] of c) {
    const raw: SeriesPoint[] = [...m.entries()].map(([start, count]) => ({ start, count }));
    // Bracket with zero windows so the gap filling spans the whole period.
    raw.push({ start: bounds.from, count: 0 }, { start: bounds.to, count: 0 });
    const points = regularise(raw, g, timeZone).filter(
      (p) =>
        Date.parse(p.start) >= DateTime.fromISO(bounds.from, { zone: timeZone }).toMillis() &&
        Date.parse(p.start) <= DateTime.fromISO(bounds.to, { zone: timeZone }).toMillis(),
    );
    out.push({
      dataset,
      key: { source, areaId: ALL, category },
      granularity: g,
      timeZone,
      holidays,
      points,
      knownEvents: points.filter((p) => knownEvents(p.start)).map((p) => p.start),
    });
  }
  return out;
}

function topCategories(counts: Map<string, number>, k: number): Set<string> {
  return new Set(
    [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([c]) => c),
  );
}

/** Chicago 2015-01-24 → 2015-02-08 (the partial first day dropped): city-wide + top-k primary types. */
export async function chicagoSeries(file: string, g: 'hour' | 'day', topK = 4): Promise<BacktestSeries[]> {
  const zone = 'America/Chicago';
  const rows = await readRecordedRows(file, { keepHeaders: true });
  const typeCounts = new Map<string, number>();
  for (const r of rows)
    typeCounts.set(String(r['Primary Type']), (typeCounts.get(String(r['Primary Type'])) ?? 0) + 1);
  const top = topCategories(typeCounts, topK);
  const c: Counter = new Map();
  for (const r of rows) {
    const dt = DateTime.fromFormat(String(r.Date), 'MM/dd/yyyy hh:mm:ss a', { zone });
    if (!dt.isValid || dt < DateTime.fromISO('2015-01-24', { zone })) continue;
    const start = (g === 'hour' ? dt.startOf('hour') : dt.startOf('day')).toISO() as string;
    bump(c, ALL, start);
    const type = String(r['Primary Type']);
    if (top.has(type)) bump(c, type.toLowerCase(), start);
  }
  const to = g === 'hour' ? '2015-02-08T23:00:00' : '2015-02-08';
  const blizzard = (s: string) => {
    const d = DateTime.fromISO(s, { zone }).toISODate();
    return d === '2015-02-01' || d === '2015-02-02';
  };
  return toSeries(
    c,
    `chicago-2015-${g === 'hour' ? 'hourly' : 'daily'}`,
    'chicago',
    g,
    zone,
    'US',
    { from: '2015-01-24', to },
    blizzard,
  );
}

/** San Francisco December 2018, daily incidents (deduplicated by Incident ID): city-wide + top-k categories. */
export async function sfSeries(file: string, topK = 4): Promise<BacktestSeries[]> {
  const zone = 'America/Los_Angeles';
  const rows = await readRecordedRows(file, { keepHeaders: true });
  const seen = new Set<string>();
  const typeCounts = new Map<string, number>();
  const kept: { day: string; category: string }[] = [];
  for (const r of rows) {
    const id = String(r['Incident ID']);
    if (seen.has(id)) continue;
    seen.add(id);
    const raw = String(r['Incident Datetime']);
    let dt = DateTime.fromFormat(raw, 'yyyy/MM/dd hh:mm:ss a', { zone });
    if (!dt.isValid) dt = DateTime.fromFormat(raw, 'yyyy/MM/dd hh:mm a', { zone });
    if (!dt.isValid) continue;
    const category = String(r['Incident Category'] || 'unknown');
    typeCounts.set(category, (typeCounts.get(category) ?? 0) + 1);
    kept.push({ day: dt.startOf('day').toISO() as string, category });
  }
  const top = topCategories(typeCounts, topK);
  const c: Counter = new Map();
  for (const k of kept) {
    bump(c, ALL, k.day);
    if (top.has(k.category)) bump(c, k.category.toLowerCase(), k.day);
  }
  return toSeries(
    c,
    'sf-2018-12-daily',
    'socrata-sf',
    'day',
    zone,
    'US',
    { from: '2018-12-01', to: '2018-12-30' },
    () => false,
  );
}

/** City of London monthly street crime: total + crime types averaging ≥ minMonthly a month. COVID months 2020-04/05 are known events. */
export async function ukSeries(dir: string, minMonthly = 20): Promise<BacktestSeries[]> {
  const zone = 'Europe/London';
  const files = (await readdir(dir)).filter((f) => /^\d{4}-\d{2}-.*street\.csv(\.gz)?$/.test(f)).sort();
  const c: Counter = new Map();
  const totals = new Map<string, number>();
  for (const f of files) {
    for (const r of await readRecordedRows(join(dir, f), { keepHeaders: true })) {
      const month = String(r.Month);
      if (!/^\d{4}-\d{2}$/.test(month)) continue;
      const start = `${month}-01`;
      const type = String(r['Crime type']);
      bump(c, ALL, start);
      bump(c, type.toLowerCase(), start);
      totals.set(type.toLowerCase(), (totals.get(type.toLowerCase()) ?? 0) + 1);
    }
  }
  for (const [type, n] of totals) if (n / files.length < minMonthly) c.delete(type);
  const first = (files[0] as string).slice(0, 7);
  const last = (files[files.length - 1] as string).slice(0, 7);
  const covid = (s: string) => {
    const m = DateTime.fromISO(s, { zone }).toFormat('yyyy-MM');
    return m === '2020-04' || m === '2020-05';
  };
  return toSeries(
    c,
    'uk-city-of-london-monthly',
    'uk-police',
    'month',
    zone,
    'UK',
    { from: `${first}-01`, to: `${last}-01` },
    covid,
  );
}

/** Every backtest series of the shipped samples (what `crimepulse evaluate backtest` runs). */
export async function sampleBacktestSeries(
  samplesDir = 'samples',
  opts: { hourly?: boolean } = {},
): Promise<BacktestSeries[]> {
  const chicago = join(samplesDir, 'chicago', 'chicago_crimes_2015-01-23_to_2015-02-08.csv.gz');
  return [
    ...(await chicagoSeries(chicago, 'day')),
    ...(opts.hourly === false ? [] : await chicagoSeries(chicago, 'hour')),
    ...(await sfSeries(join(samplesDir, 'sf', 'sf_police_incidents_2018-12.csv.gz'))),
    ...(await ukSeries(join(samplesDir, 'uk', 'street_csv'))),
  ];
}
