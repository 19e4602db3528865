/**
 * Backtest and injector on real series: Chicago 2015 daily counts (city-wide and the four largest
 * primary types) and the City of London monthly street crime by type (2019-01 → 2020-11).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BacktestSeries,
  formatBacktestTables,
  runBacktest,
} from '../../../src/model/evaluation/backtest.js';
import { injectAnomalies } from '../../../src/model/evaluation/injector.js';
import { chicagoSeries, ukSeries } from '../../../src/model/evaluation/samples.js';

let chicago: BacktestSeries[] = [];
let uk: BacktestSeries[] = [];

beforeAll(async () => {
  chicago = await chicagoSeries('samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz', 'day');
  uk = await ukSeries('samples/uk/street_csv');
});

describe('injector', () => {
  it('is seeded, respects the eligible set and the gap, and records sizes', () => {
    const series = Array.from({ length: 50 }, (_, i) => ({ start: String(i), count: 10 }));
    const eligible = Array.from({ length: 30 }, (_, i) => i + 20);
    const a = injectAnomalies(series, { seed: 5, factors: [3, 0.2], count: 6, eligible, minGap: 3 });
    const b = injectAnomalies(series, { seed: 5, factors: [3, 0.2], count: 6, eligible, minGap: 3 });
    expect(a).toEqual(b);
    expect(
      injectAnomalies(series, { seed: 6, factors: [3], count: 6, eligible }).injections.map((x) => x.index),
    ).not.toEqual(a.injections.map((x) => x.index));
    expect(a.injections).toHaveLength(6);
    const idx = a.injections.map((x) => x.index);
    for (const i of idx) expect(i).toBeGreaterThanOrEqual(20);
    for (let k = 1; k < idx.length; k++)
      expect((idx[k] as number) - (idx[k - 1] as number)).toBeGreaterThanOrEqual(3);
    for (const x of a.injections) expect(a.series[x.index]?.count).toBe(x.factor > 1 ? 30 : 2);
    expect(series[idx[0] as number]?.count).toBe(10); // the input is not mutated
  });
});

describe('backtest on real series', () => {
  it('Chicago daily: beats seasonal-naive, recalls large injected anomalies, no false alarms, flags the blizzard', () => {
    const t = runBacktest(chicago, { seed: 1 });
    const f = t.forecast[0];
    expect(f?.mae).toBeLessThan(f?.maeSeasonalNaive as number);
    const a = t.anomaly[0];
    expect(a?.falseAlarmsPerSeriesMonth).toBeLessThanOrEqual(1);
    const recall = (factor: number) =>
      t.recall.find((r) => r.segment === 'all' && r.factor === factor)?.recall as number;
    expect(recall(3)).toBeGreaterThanOrEqual(0.9);
    expect(recall(0.25)).toBeGreaterThanOrEqual(0.9);
    // Smaller anomalies are recalled less often: the table must show the trade-off, not hide it.
    expect(recall(2)).toBeLessThan(recall(3) + 1e-9);
    const city = t.realEvents.filter((r) => r.series === 'chicago|all|all|day');
    expect(city).toHaveLength(2);
    expect(city.every((r) => r.flagged)).toBe(true);
    expect(formatBacktestTables(t)).toContain('chicago-2015-daily');
  });

  it('City of London monthly: the COVID dip of April–May 2020 is flagged in the total', () => {
    const total = uk.filter((s) => s.key.category === 'all');
    expect(total[0]?.points).toHaveLength(23);
    const t = runBacktest(total, { seed: 2, injectionsPerFactor: 2 });
    const covid = t.realEvents.filter((r) => r.series.endsWith('|all|all|month'));
    expect(covid).toHaveLength(2);
    expect(covid.every((r) => r.flagged && r.observed < r.expected / 2)).toBe(true);
  });
});
