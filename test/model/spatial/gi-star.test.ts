import { describe, expect, it } from 'vitest';
import { samplePoisson, seededRandom } from '../../../src/model/count/stats.js';
import {
  type Cell,
  emergingHotSpots,
  type GiStarResult,
  giStar,
  gridCells,
  mannKendall,
  neighboursByDistance,
  neighboursKnn,
  neighboursQueen,
} from '../../../src/model/spatial/gi-star.js';

/** A 20×20 grid of Poisson(λ) counts, with an optional 3×3 cluster of rate λc. */
function grid(seed: number, lambda: number, cluster?: { r: number; c: number; rate: number }): Cell[] {
  const rand = seededRandom(seed);
  const cells: Cell[] = [];
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 20; c++) {
      const inCluster = cluster && Math.abs(r - cluster.r) <= 1 && Math.abs(c - cluster.c) <= 1;
      cells.push({
        id: `${r}:${c}`,
        row: r,
        col: c,
        x: c * 250,
        y: r * 250,
        value: samplePoisson(inCluster ? cluster.rate : lambda, rand),
      });
    }
  }
  return cells;
}

describe('Getis–Ord Gi*', () => {
  it('finds a planted cluster (queen contiguity, FDR 5%)', () => {
    const cells = grid(11, 3, { r: 10, c: 6, rate: 12 });
    const res = giStar(cells, neighboursQueen(cells));
    const hot = new Set(res.filter((r) => r.class === 'hot').map((r) => r.id));
    expect(hot.has('10:6')).toBe(true);
    // Everything hot sits on or next to the cluster.
    for (const id of hot) {
      const [r, c] = id.split(':').map(Number) as [number, number];
      expect(Math.max(Math.abs(r - 10), Math.abs(c - 6))).toBeLessThanOrEqual(2);
    }
    expect(res.find((r) => r.id === '10:6')?.z).toBeGreaterThan(5);
  });

  it('finds nothing in pure noise (several seeds, distance band and k-nearest)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const cells = grid(seed, 4);
      expect(giStar(cells, neighboursByDistance(cells, 360)).filter((r) => r.class !== 'none')).toEqual([]);
      expect(giStar(cells, neighboursKnn(cells, 8)).filter((r) => r.class !== 'none')).toEqual([]);
    }
  });

  it('matches a hand computation on a line of five cells', () => {
    // x = [1, 2, 3, 10, 4]; neighbours of cell 3 (value 10) are cells 2 and 4; W = 3 (self included).
    const cells: Cell[] = [1, 2, 3, 10, 4].map((v, i) => ({ id: String(i), x: i, y: 0, value: v }));
    const res = giStar(cells, neighboursByDistance(cells, 1));
    const mean = 4;
    const s = Math.sqrt((1 + 4 + 9 + 100 + 16) / 5 - 16); // √10
    const z = (3 + 10 + 4 - mean * 3) / (s * Math.sqrt((5 * 3 - 9) / 4));
    expect(res[3]?.z).toBeCloseTo(z, 10);
  });

  it('grids real points with empty cells included', () => {
    const cells = gridCells(
      [
        { lat: 41.88, lon: -87.63 },
        { lat: 41.88, lon: -87.63 },
        { lat: 41.9, lon: -87.6 },
        { lat: null, lon: null },
      ],
      500,
    );
    expect(cells.reduce((s, c) => s + c.value, 0)).toBe(3);
    expect(cells.length).toBeGreaterThan(4);
    expect(cells.filter((c) => c.value === 0).length).toBe(cells.length - 2);
  });
});

describe('emerging hot spots', () => {
  const period = (z: Record<string, number>): GiStarResult[] =>
    Object.entries(z).map(([id, v]) => ({
      id,
      value: 0,
      z: v,
      p: 0,
      q: Math.abs(v) > 2.5 ? 0.001 : 0.5,
      class: v > 2.5 ? 'hot' : v < -2.5 ? 'cold' : 'none',
    }));

  it('classifies new, intensifying, persistent, diminishing, historical and cold patterns', () => {
    const t = 12;
    const periods = Array.from({ length: t }, (_, i) =>
      period({
        newSpot: i === t - 1 ? 4 : 0.5,
        intensifying: 3 + i * 0.5,
        persistent: 4 + (i % 2 === 0 ? 0.3 : -0.3),
        diminishing: 9 - i * 0.5,
        historical: i === t - 1 ? 1 : 5,
        cold: -4 - (i % 3) * 0.1,
        quiet: 0.2,
      }),
    );
    const res = new Map(emergingHotSpots(periods).map((r) => [r.id, r]));
    expect(res.get('newSpot')?.pattern).toBe('new');
    expect(res.get('intensifying')?.pattern).toBe('intensifying');
    expect(res.get('persistent')?.pattern).toBe('persistent');
    expect(res.get('diminishing')?.pattern).toBe('diminishing');
    expect(res.get('historical')?.pattern).toBe('historical');
    expect(res.get('cold')).toMatchObject({ kind: 'cold', pattern: 'persistent' });
    expect(res.get('quiet')).toMatchObject({ kind: 'none', pattern: 'none' });
  });

  it('Mann–Kendall: S for a strictly increasing series of n is n(n−1)/2', () => {
    const mk = mannKendall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(mk.s).toBe(45);
    expect(mk.p).toBeLessThan(0.001);
  });
});
