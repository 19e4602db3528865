/**
 * Reading values out of Socrata rows, whichever way they arrived: CSV export (everything text,
 * `"1,035,836"` thousands separators, `true`/`True`/`TRUE`), or SODA JSON (numbers as strings,
 * booleans as JSON booleans, null fields absent, location columns as objects).
 */
import type { LocationStatus } from '../core/crime-event.js';
import type { RawRow } from './normalise.js';

/** Values the NYC and LA portals use for "no value". Compared upper-cased after trimming. */
const PLACEHOLDERS = new Set(['', '(NULL)', 'NULL', 'NA', 'N/A', 'UNKNOWN']);

/** Trimmed text with runs of spaces collapsed, or undefined when empty or absent. */
export function text(row: RawRow, field: string): string | undefined {
  const v = row[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return undefined;
  const t = (typeof v === 'string' ? v : String(v)).trim();
  if (t === '') return undefined;
  // Most fields have no run to collapse: test first, so the common case allocates nothing more.
  return NEEDS_COLLAPSE.test(t) ? t.replace(/\s+/g, ' ') : t;
}

/** Two whitespace characters in a row, or any whitespace other than a plain space. */
const NEEDS_COLLAPSE = /\s\s|[^\S ]/;

/** Like {@link text} but `(null)`, `NULL`, `NA`, `N/A` and `UNKNOWN` count as absent too. */
export function cleanText(row: RawRow, field: string): string | undefined {
  const s = text(row, field);
  if (s === undefined) return undefined;
  return PLACEHOLDERS.has(s.toUpperCase()) ? undefined : s;
}

/** `true`/`True`/`TRUE`/`Y`/JSON true → true; the false forms → false; anything else → undefined. */
export function bool(row: RawRow, field: string): boolean | undefined {
  const v = row[field];
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toUpperCase();
  if (s === 'TRUE' || s === 'Y' || s === 'YES' || s === '1') return true;
  if (s === 'FALSE' || s === 'N' || s === 'NO' || s === '0') return false;
  return undefined;
}

/** A number from text with thousands separators allowed (`"1,035,836"`); undefined when not numeric. */
export function num(row: RawRow, field: string): number | undefined {
  const v = row[field];
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().replace(/,/g, '');
  if (s === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** A numeric code without leading zeros (`"046"` → `"46"`), or the trimmed text when not numeric. */
export function unpadded(row: RawRow, field: string): string | undefined {
  const s = cleanText(row, field);
  if (s === undefined) return undefined;
  return /^\d+(\.0+)?$/.test(s) ? String(Number.parseInt(s, 10)) : s;
}

export interface BoundingBox {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

export interface Located {
  lat?: number;
  lon?: number;
  locationStatus: LocationStatus;
}

/**
 * Coordinates from, in order: separate lat/lon fields; a location object (SODA 2.0
 * `{latitude, longitude}` or GeoJSON `{type:'Point', coordinates:[lon, lat]}`); a `"(lat, lon)"`
 * string; a WKT `POINT (lon lat)`; a Python-dict repr of the 2.0 object (pandas round trips).
 */
export function readLocation(
  row: RawRow,
  latField: string,
  lonField: string,
  locationFields: readonly string[],
): { lat: number; lon: number } | 'invalid' | undefined {
  const lat = row[latField];
  const lon = row[lonField];
  const hasLat = lat !== undefined && lat !== null && String(lat).trim() !== '';
  const hasLon = lon !== undefined && lon !== null && String(lon).trim() !== '';
  if (hasLat || hasLon) {
    const a = num(row, latField);
    const b = num(row, lonField);
    return a === undefined || b === undefined ? 'invalid' : { lat: a, lon: b };
  }
  for (const f of locationFields) {
    const v = row[f];
    if (v === undefined || v === null || v === '') continue;
    const p = parseLocationValue(v);
    if (p) return p;
  }
  return undefined;
}

function parseLocationValue(v: unknown): { lat: number; lon: number } | 'invalid' | undefined {
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.coordinates) && o.coordinates.length >= 2) {
      const [lon, lat] = o.coordinates.map(Number) as [number, number];
      return Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : 'invalid';
    }
    if (o.latitude !== undefined && o.longitude !== undefined) {
      const lat = Number(o.latitude);
      const lon = Number(o.longitude);
      return Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : 'invalid';
    }
    return undefined;
  }
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const paren = /^\(\s*([-+\d.eE]+)\s*,\s*([-+\d.eE]+)\s*\)$/.exec(s);
  if (paren) return pair(paren[1], paren[2]);
  const wkt = /^POINT\s*\(\s*([-+\d.eE]+)\s+([-+\d.eE]+)\s*\)$/i.exec(s);
  if (wkt) return pair(wkt[2], wkt[1]);
  const dictLat = /'latitude':\s*'([-+\d.eE]+)'/.exec(s);
  const dictLon = /'longitude':\s*'([-+\d.eE]+)'/.exec(s);
  if (dictLat && dictLon) return pair(dictLat[1], dictLon[1]);
  return undefined;
}

function pair(a: string | undefined, b: string | undefined): { lat: number; lon: number } | 'invalid' {
  const lat = Number(a);
  const lon = Number(b);
  return Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : 'invalid';
}

/** Classifies a coordinate pair: (0,0)-style placeholders are `zero`, points outside `box` are `out-of-region`. */
export function locate(p: { lat: number; lon: number } | 'invalid' | undefined, box: BoundingBox): Located {
  if (p === undefined) return { locationStatus: 'missing' };
  if (p === 'invalid') return { locationStatus: 'invalid' };
  // LA codes "no location" as 0/0; a single zero is as meaningless for a US city.
  if (p.lat === 0 || p.lon === 0) return { locationStatus: 'zero' };
  if (Math.abs(p.lat) > 90 || Math.abs(p.lon) > 180) return { locationStatus: 'invalid' };
  if (p.lat < box.minLat || p.lat > box.maxLat || p.lon < box.minLon || p.lon > box.maxLon)
    return { locationStatus: 'out-of-region' };
  return { lat: p.lat, lon: p.lon, locationStatus: 'ok' };
}

/** Adds `key: value` to `out` only when the value is defined (keeps exactOptionalPropertyTypes happy). */
export function put<T>(out: Record<string, T>, key: string, value: T | undefined): void {
  if (value !== undefined) out[key] = value;
}
