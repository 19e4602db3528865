import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { fitSeriesModel, predict } from '../../../src/model/count/series-model.js';
import { sampleNegBin, seededRandom } from '../../../src/model/count/stats.js';

/** Simulated daily series: known intercept, weekday effects, yearly cycle, trend and NB dispersion. */
function simulate(seed: number, theta: number) {
  const rand = seededRandom(seed);
  const weekday = [0, 0.1, 0.2, 0.15, 0.3, 0.5, -0.2]; // Mon..Sun, Monday the reference
  const start = DateTime.fromISO('2017-01-01', { zone: 'America/Chicago' });
  const points: { start: string; count: number }[] = [];
  const days = 3 * 365;
  for (let d = 0; d < days; d++) {
    const dt = start.plus({ days: d });
    const years = (d - (days - 1)) / 365.25;
    const eta =
      Math.log(40) +
      (weekday[dt.weekday - 1] as number) +
      0.25 * Math.sin((2 * Math.PI * dt.ordinal) / 365.25) +
      0.1 * years;
    points.push({ start: dt.toISODate() as string, count: sampleNegBin(Math.exp(eta), theta, rand) });
  }
  return points;
}

describe('negative-binomial GLM (IRLS)', () => {
  it('recovers known weekday, seasonal, trend and dispersion parameters', () => {
    const points = simulate(42, 20);
    const m = fitSeriesModel(points, {
      granularity: 'day',
      timeZone: 'America/Chicago',
      fourierOrder: 1,
      ridge: 0.01,
      robust: false,
    });
    const coef = (name: string) => m.coef[m.featureNames.indexOf(name)] as number;
    expect(m.converged).toBe(true);
    expect(coef('intercept')).toBeCloseTo(Math.log(40), 1);
    expect(coef('weekday:6')).toBeCloseTo(0.5, 1); // Saturday
    expect(coef('weekday:7')).toBeCloseTo(-0.2, 1); // Sunday
    expect(coef('sin1')).toBeCloseTo(0.25, 1);
    expect(Math.abs(coef('cos1'))).toBeLessThan(0.05);
    expect(coef('trend')).toBeGreaterThan(0.02);
    expect(coef('trend')).toBeLessThan(0.18);
    expect(m.theta).toBeGreaterThan(14);
    expect(m.theta).toBeLessThan(28);
  });

  it('finds no overdispersion in Poisson data', () => {
    const rand = seededRandom(7);
    const points = Array.from({ length: 400 }, (_, d) => ({
      start: DateTime.fromISO('2020-01-01', { zone: 'UTC' }).plus({ days: d }).toISODate() as string,
      count: sampleNegBin(25, 1e9, rand),
    }));
    const m = fitSeriesModel(points, { granularity: 'day', fourierOrder: 0 });
    expect(m.theta).toBeGreaterThan(200);
    const p = predict(m, '2021-03-01');
    expect(p.expected).toBeGreaterThan(23);
    expect(p.expected).toBeLessThan(27);
  });

  it('serialises to JSON and back without changing predictions', () => {
    const m = fitSeriesModel(simulate(3, 10).slice(0, 120), {
      granularity: 'day',
      timeZone: 'America/Chicago',
      holidays: 'US',
    });
    const back = JSON.parse(JSON.stringify(m));
    expect(predict(back, '2017-06-01')).toEqual(predict(m, '2017-06-01'));
  });
});
