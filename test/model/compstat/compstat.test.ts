import { describe, expect, it } from 'vitest';
import { compareCounts, compstat, exactRateTest, sqrtZ } from '../../../src/model/compstat/compstat.js';

describe('CompStat count tests (checked by hand)', () => {
  it('equal periods: 10 vs 5 events', () => {
    // Under H0, a ~ Binomial(15, ½). P(a ≥ 10) = (C(15,10)+…+C(15,15))/2^15 = 4944/32768; symmetric, so p = 2·4944/32768.
    expect(exactRateTest(10, 5)).toBeCloseTo((2 * 4944) / 32768, 12);
    // z = √2(√10 − √5) = 1.30986
    expect(sqrtZ(10, 5)).toBeCloseTo(Math.SQRT2 * (Math.sqrt(10) - Math.sqrt(5)), 12);
    expect(sqrtZ(10, 5)).toBeCloseTo(1.30986, 4);
  });

  it('unequal periods: 10 events in 7 days vs 10 in 14 days', () => {
    // n = 20, p0 = 7/21 = 1/3; P(a = 10) is the observed likelihood; the two-sided p sums every
    // outcome no more likely: a ≥ 10 on the right and a ≤ 3 on the left (P(3) < P(10) < P(4)).
    const binom = (k: number) => {
      let c = 1;
      for (let i = 0; i < k; i++) c = (c * (20 - i)) / (i + 1);
      return c * (1 / 3) ** k * (2 / 3) ** (20 - k);
    };
    let expected = 0;
    for (let k = 0; k <= 3; k++) expected += binom(k);
    for (let k = 10; k <= 20; k++) expected += binom(k);
    expect(binom(3)).toBeLessThan(binom(10));
    expect(binom(4)).toBeGreaterThan(binom(10));
    expect(exactRateTest(10, 10, 7, 14)).toBeCloseTo(expected, 12);
    // r = ½: z = 2(√10 − √5)/√1.5
    expect(sqrtZ(10, 10, 7, 14)).toBeCloseTo((2 * (Math.sqrt(10) - Math.sqrt(5))) / Math.sqrt(1.5), 12);
    const c = compareCounts(10, 10, 7, 14);
    expect(c.expected).toBe(5);
    expect(c.pctChange).toBe(1);
  });

  it('no change is not significant; a doubling of 100 is', () => {
    expect(exactRateTest(50, 50)).toBe(1);
    expect(exactRateTest(200, 100)).toBeLessThan(1e-7);
    expect(exactRateTest(0, 0)).toBe(1);
  });

  it('builds the week-over-week and year-over-year table with totals', () => {
    const rows = [
      // current week 2015-02-01 .. 02-08
      { area_id: '011', category: 'theft', start: '2015-02-02T15:00:00Z', count: 30 },
      { area_id: '011', category: 'battery', start: '2015-02-03T15:00:00Z', count: 12 },
      // previous week
      { area_id: '011', category: 'theft', start: '2015-01-27T15:00:00Z', count: 15 },
      { area_id: '011', category: 'battery', start: '2015-01-28T15:00:00Z', count: 12 },
      // same week last year
      { area_id: '011', category: 'theft', start: '2014-02-03T15:00:00Z', count: 28 },
      // outside every period
      { area_id: '011', category: 'theft', start: '2014-06-01T15:00:00Z', count: 99 },
    ];
    const r = compstat(rows, { from: '2015-02-01', to: '2015-02-08' }, { timeZone: 'America/Chicago' });
    expect(r.previous.from).toBe('2015-01-25T06:00:00.000Z');
    expect(r.lastYear.from).toBe('2014-02-01T06:00:00.000Z');
    const theft = r.rows.find((x) => x.area_id === '011' && x.category === 'theft');
    expect(theft?.current).toBe(30);
    expect(theft?.previous.baseline).toBe(15);
    expect(theft?.previous.pExact).toBeCloseTo(exactRateTest(30, 15), 12);
    expect(theft?.lastYear.baseline).toBe(28);
    const total = r.rows.find((x) => x.area_id === 'all' && x.category === 'all');
    expect(total?.current).toBe(42);
    expect(total?.previous.baseline).toBe(27);
    for (const x of r.rows) expect(x.previous.q).toBeGreaterThanOrEqual(x.previous.pExact - 1e-12);
  });
});
