/**
 * Turns data.police.uk latitude/longitude values into checked WGS84 numbers and a `LocationStatus`
 * (crime-event.ts: missing, (0,0) and out-of-region points are dropped and the status says why).
 * The API sends numeric strings, the CSVs text; empty means "no location". Not the shared
 * `socrata-values.locate`: that one treats a single zero coordinate as a placeholder, which is right
 * for US cities but wrong here, where longitude 0 runs through Greenwich.
 */
import type { LocationStatus } from '../../core/crime-event.js';

/** A region's bounding box in WGS84 degrees; points outside it are `out-of-region`. */
export interface BoundingBox {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

export type Located = { status: 'ok'; lat: number; lon: number } | { status: Exclude<LocationStatus, 'ok'> };

function toNumber(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Classifies one point; `bbox` undefined skips the region check. */
export function locationStatus(latRaw: unknown, lonRaw: unknown, bbox?: BoundingBox): Located {
  const lat = toNumber(latRaw);
  const lon = toNumber(lonRaw);
  if (lat === null || lon === null) return { status: 'invalid' };
  if (lat === undefined || lon === undefined) return { status: 'missing' };
  if (lat === 0 && lon === 0) return { status: 'zero' };
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return { status: 'invalid' };
  if (bbox && (lat < bbox.minLat || lat > bbox.maxLat || lon < bbox.minLon || lon > bbox.maxLon))
    return { status: 'out-of-region' };
  return { status: 'ok', lat, lon };
}
