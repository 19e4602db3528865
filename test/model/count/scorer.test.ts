/** The pipeline-facing Scorer on real Chicago windows around the Feb 1 2015 blizzard. */
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSeriesScorer } from '../../../src/model/count/scorer.js';
import {
  ALL,
  fitSeriesModel,
  type SeriesModel,
  type SeriesPoint,
} from '../../../src/model/count/series-model.js';
import { AnomalyRow, type ClosedWindow } from '../../../src/pipeline/scorer.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';

const ZONE = 'America/Chicago';
let byDistrict = new Map<string, SeriesPoint[]>();
let total: SeriesPoint[] = [];

beforeAll(async () => {
  const rows = await readRecordedRows('samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz', {
    keepHeaders: true,
  });
  const add = (m: Map<string, Map<string, number>>, k: string, d: string) => {
    const inner = m.get(k) ?? new Map<string, number>();
    inner.set(d, (inner.get(d) ?? 0) + 1);
    m.set(k, inner);
  };
  const m = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const dt = DateTime.fromFormat(String(r.Date), 'MM/dd/yyyy hh:mm:ss a', { zone: ZONE });
    if (dt < DateTime.fromISO('2015-01-24', { zone: ZONE })) continue;
    const d = dt.startOf('day').toUTC().toISO() as string;
    add(m, ALL, d);
    if (r.District) add(m, String(r.District), d);
  }
  const toPoints = (x: Map<string, number>) =>
    [...x.entries()]
      .map(([start, count]) => ({ start, count }))
      .sort((a, b) => a.start.localeCompare(b.start));
  total = toPoints(m.get(ALL) as Map<string, number>);
  byDistrict = new Map([...m.entries()].filter(([k]) => k !== ALL).map(([k, v]) => [k, toPoints(v)]));
});

const feb1 = DateTime.fromISO('2015-02-01', { zone: ZONE });
const win = (areaId: string, p: SeriesPoint): ClosedWindow => ({
  granularity: 'day',
  source: 'chicago',
  areaId,
  category: ALL,
  windowStart: p.start,
  windowEnd: DateTime.fromISO(p.start).setZone(ZONE).plus({ days: 1 }).toUTC().toISO() as string,
  eventCount: p.count,
  incidentCount: p.count,
  arrestCount: 0,
  domesticCount: 0,
});

describe('createSeriesScorer (pipeline Scorer)', () => {
  it('returns valid AnomalyRows for the blizzard day, explained by the districts that fell most', async () => {
    const fitOne = (areaId: string, pts: SeriesPoint[]): SeriesModel =>
      fitSeriesModel(
        pts.filter((p) => Date.parse(p.start) < feb1.toMillis()),
        {
          granularity: 'day',
          timeZone: ZONE,
          holidays: 'US',
          key: { source: 'chicago', areaId, category: ALL },
        },
      );
    const models = [fitOne(ALL, total), ...[...byDistrict].map(([d, pts]) => fitOne(d, pts))];
    const scorer = createSeriesScorer(models, {
      modelVersion: 'series-anomaly@1',
      now: () => new Date('2015-02-02T12:00:00Z'),
    });
    const at = (pts: SeriesPoint[]) =>
      pts.find((p) => Date.parse(p.start) === feb1.toMillis()) as SeriesPoint;
    const windows = [win(ALL, at(total)), ...[...byDistrict].map(([d, pts]) => win(d, at(pts)))];
    const rows = await scorer.scoreClosed(windows);
    const city = rows.find((r) => r.areaId === ALL);
    expect(city).toBeDefined();
    for (const r of rows) expect(AnomalyRow.safeParse(r).success).toBe(true);
    expect(city?.observed).toBe(397);
    expect(city?.observed).toBeLessThan(city?.expected as number);
    expect(city?.detectedAt).toBe('2015-02-02T12:00:00.000Z');
    expect(city?.id.startsWith('series-anomaly@1|day|chicago|all|all|')).toBe(true);
    const detail = city?.contributors as {
      direction: string;
      top: { dimension: string; value: string; excess: number }[];
    };
    expect(detail.direction).toBe('drop');
    expect(detail.top.length).toBeGreaterThan(0);
    expect(detail.top.every((c) => c.dimension === 'area' && c.excess > 0)).toBe(true);
    // A plain day raises nothing.
    const jan29 = DateTime.fromISO('2015-01-29', { zone: ZONE }).toMillis();
    const quietModels = [ALL, ...byDistrict.keys()].map((d) =>
      fitSeriesModel(
        (d === ALL ? total : (byDistrict.get(d) as SeriesPoint[])).filter((p) => Date.parse(p.start) < jan29),
        {
          granularity: 'day',
          timeZone: ZONE,
          holidays: 'US',
          key: { source: 'chicago', areaId: d, category: ALL },
        },
      ),
    );
    scorer.setModels(quietModels);
    const quiet = [ALL, ...byDistrict.keys()].map((d) =>
      win(
        d,
        (d === ALL ? total : (byDistrict.get(d) as SeriesPoint[])).find(
          (p) => Date.parse(p.start) === jan29,
        ) as SeriesPoint,
      ),
    );
    expect(await scorer.scoreClosed(quiet)).toEqual([]);
  });
});
