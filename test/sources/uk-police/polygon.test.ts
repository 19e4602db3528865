import { describe, expect, it } from 'vitest';
import {
  clipToRect,
  formatPoly,
  type LatLng,
  pointPolygon,
  splitPolygon,
} from '../../../src/sources/uk-police/polygon.js';

// Shoelace area in degree² (only ratios matter here).
function area(p: readonly LatLng[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const [y1, x1] = p[i] as LatLng;
    const [y2, x2] = p[(i + 1) % p.length] as LatLng;
    s += x1 * y2 - x2 * y1;
  }
  return Math.abs(s) / 2;
}

describe('polygon helpers', () => {
  it('formats as lat,lng:lat,lng with at most 6 decimals', () => {
    expect(
      formatPoly([
        [51.1234567, -0.1],
        [51.2, -0.2],
        [51.3, 0.000001],
      ]),
    ).toBe('51.123457,-0.1:51.2,-0.2:51.3,0.000001');
  });

  it('splits a square into four quarters whose areas add up', () => {
    const sq: LatLng[] = [
      [0, 0],
      [0, 2],
      [2, 2],
      [2, 0],
    ];
    const parts = splitPolygon(sq);
    expect(parts).toHaveLength(4);
    for (const p of parts) expect(area(p)).toBeCloseTo(1, 9);
  });

  it('splits a concave L-shape: the parts cover exactly its area, an empty quadrant is dropped', () => {
    const L: LatLng[] = [
      [0, 0],
      [0, 4],
      [1, 4],
      [1, 1],
      [4, 1],
      [4, 0],
    ];
    const parts = splitPolygon(L);
    expect(parts.reduce((s, p) => s + area(p), 0)).toBeCloseTo(area(L), 9);
    expect(parts).toHaveLength(3);
  });

  it('clips to a rectangle that misses the polygon to nothing', () => {
    expect(
      clipToRect(
        [
          [0, 0],
          [0, 1],
          [1, 1],
        ],
        { minLat: 5, maxLat: 6, minLng: 5, maxLng: 6 },
      ),
    ).toEqual([]);
  });

  it('a point query circle has the asked number of vertices about one mile out', () => {
    const c = pointPolygon(51.5, -0.1, 8);
    expect(c).toHaveLength(8);
    expect(((c[2] as LatLng)[0] - 51.5) * 111_320).toBeCloseTo(1609.344, 0);
  });
});
