/**
 * Polygon helpers for the data.police.uk `poly` parameter: formatting, splitting into quadrants when
 * the API refuses an area with more than 10,000 crimes (HTTP 503), and the polygon of a point query.
 *
 * Hand-written: clipping a polygon to a rectangle is Sutherland–Hodgman (a dozen lines, exact for a
 * convex clip window, which a rectangle is); a geometry library (turf, ~MBs) is not worth it for that.
 */

/** A vertex as `[lat, lng]` in WGS84 degrees, the order the API uses. */
export type LatLng = readonly [number, number];

/** `lat,lng:lat,lng:...` with 6 decimals (about 0.1 m), the API's `poly` format. */
export function formatPoly(poly: readonly LatLng[]): string {
  return poly.map(([lat, lng]) => `${round6(lat)},${round6(lng)}`).join(':');
}

function round6(x: number): string {
  return String(Math.round(x * 1e6) / 1e6);
}

type Edge = { inside: (p: LatLng) => boolean; cross: (a: LatLng, b: LatLng) => LatLng };

function clip(poly: readonly LatLng[], edge: Edge): LatLng[] {
  const out: LatLng[] = [];
  for (let i = 0; i < poly.length; i++) {
    const cur = poly[i] as LatLng;
    const prev = poly[(i + poly.length - 1) % poly.length] as LatLng;
    if (edge.inside(cur)) {
      if (!edge.inside(prev)) out.push(edge.cross(prev, cur));
      out.push(cur);
    } else if (edge.inside(prev)) out.push(edge.cross(prev, cur));
  }
  return out;
}

const atLat =
  (lat: number) =>
  (a: LatLng, b: LatLng): LatLng => [lat, a[1] + ((b[1] - a[1]) * (lat - a[0])) / (b[0] - a[0])];
const atLng =
  (lng: number) =>
  (a: LatLng, b: LatLng): LatLng => [a[0] + ((b[0] - a[0]) * (lng - a[1])) / (b[1] - a[1]), lng];

/** The part of `poly` inside the rectangle; fewer than 3 vertices means none. */
export function clipToRect(
  poly: readonly LatLng[],
  r: { minLat: number; maxLat: number; minLng: number; maxLng: number },
): LatLng[] {
  let p: LatLng[] = [...poly];
  p = clip(p, { inside: (v) => v[0] >= r.minLat, cross: atLat(r.minLat) });
  p = clip(p, { inside: (v) => v[0] <= r.maxLat, cross: atLat(r.maxLat) });
  p = clip(p, { inside: (v) => v[1] >= r.minLng, cross: atLng(r.minLng) });
  p = clip(p, { inside: (v) => v[1] <= r.maxLng, cross: atLng(r.maxLng) });
  return p;
}

/** Splits a polygon into the (up to 4) parts that fall in the quadrants of its bounding box. */
export function splitPolygon(poly: readonly LatLng[]): LatLng[][] {
  const lats = poly.map((p) => p[0]);
  const lngs = poly.map((p) => p[1]);
  const minLat = Math.min(...lats);
  const maxLat = Math.max(...lats);
  const minLng = Math.min(...lngs);
  const maxLng = Math.max(...lngs);
  const midLat = (minLat + maxLat) / 2;
  const midLng = (minLng + maxLng) / 2;
  const rects = [
    { minLat, maxLat: midLat, minLng, maxLng: midLng },
    { minLat, maxLat: midLat, minLng: midLng, maxLng },
    { minLat: midLat, maxLat, minLng, maxLng: midLng },
    { minLat: midLat, maxLat, minLng: midLng, maxLng },
  ];
  return rects.map((r) => clipToRect(poly, r)).filter((p) => p.length >= 3);
}

/** The API's point query covers a one-mile radius; this is that circle as an n-gon, for splitting. */
export function pointPolygon(lat: number, lng: number, vertices = 16, radiusM = 1609.344): LatLng[] {
  const dLat = radiusM / 111_320;
  const dLng = radiusM / (111_320 * Math.cos((lat * Math.PI) / 180));
  return Array.from({ length: vertices }, (_, i): LatLng => {
    const a = (2 * Math.PI * i) / vertices;
    return [lat + dLat * Math.sin(a), lng + dLng * Math.cos(a)];
  });
}
