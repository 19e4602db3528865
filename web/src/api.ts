/** Typed reads of the public /v1 API (docs/api.md); the dashboard uses nothing else. */

export type Granularity = 'hour' | 'day' | 'month';
export type Severity = 'low' | 'medium' | 'high';

export interface WindowItem {
  windowStart: string;
  windowEnd: string;
  events: number;
  incidents: number;
}
export interface StatsResponse {
  events: number;
  incidents: number;
  firstOccurredAt: string | null;
  lastOccurredAt: string | null;
  sources: { source: string; events: number }[];
  categories: { category: string; events: number; share: number }[];
  topAreas: { source: string; areaId: string; events: number }[];
}
export interface HeatmapResponse {
  hourOfWeek: { source: string; areaId: string; hourOfWeek: number; events: number }[];
  grid: { cellDeg: number; bins: { lat: number; lon: number; events: number }[] };
}
export interface Comparison {
  baseline: number;
  expected: number;
  pctChange: number | null;
  pExact: number;
  z: number;
  q: number;
  significant: boolean;
}
export interface CompstatRow {
  areaId: string;
  category: string;
  current: number;
  previous: Comparison;
  lastYear: Comparison;
}
export interface CompstatResponse {
  source: string;
  timeZone: string;
  current: { from: string; to: string };
  previous: { from: string; to: string };
  lastYear: { from: string; to: string };
  items: CompstatRow[];
  truncated: boolean;
}
export interface AnomalyItem {
  id: string;
  granularity: Granularity;
  source: string;
  areaId: string;
  category: string;
  windowStart: string;
  windowEnd: string;
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  pValue: number;
  qValue: number | null;
  severity: Severity;
  contributors: unknown;
  modelVersion: string;
  detectedAt: string;
  explanation?: string;
}
export interface ForecastResponse {
  source: string;
  area: string;
  category: string;
  granularity: Granularity;
  modelVersion: string;
  items: { windowStart: string; expected: number; lower: number; upper: number }[];
}
export interface HotspotResponse {
  cellMeters: number;
  points: number;
  sampled: boolean;
  cells: number;
  items: {
    lat: number;
    lon: number;
    events: number;
    z: number;
    p: number;
    q: number;
    class: 'hot' | 'cold';
  }[];
}
export interface SourceItem {
  source: string;
  description: string;
  mode: 'live' | 'replay' | null;
  modeReason: string | null;
  lastSuccessAt: string | null;
  newestRecordAt: string | null;
  lagSeconds: number | null;
  expectedLagSeconds: number | null;
  stale: boolean;
  complete: boolean | null;
  ingested: number;
  rejected: number;
  stored: {
    events: number;
    newestOccurredAt: string | null;
    lastIngestedAt: string | null;
    watermark: string | null;
  } | null;
}
export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}
export interface ClientConfig {
  chatUrl: string;
  tileUrl: string | null;
}

/** An API error with the catalogue's message, shown to the user as text. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | string[] | number | undefined | null>;

export function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length > 0) p.set(k, v.join(','));
    } else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Responses of the data routes by URL, so a filter change refetches only the queries whose
 * parameters changed (and going back to a previous filter is instant). Cleared when new data
 * arrives (the live stream's "refresh" button) and bounded to the newest 300 URLs.
 */
const cache = new Map<string, unknown>();
export function clearCache(): void {
  cache.clear();
}

export async function getJson<T>(
  path: string,
  q: Query = {},
  signal?: AbortSignal,
  cached = false,
): Promise<T> {
  const url = `${path}${queryString(q)}`;
  if (cached && cache.has(url)) return cache.get(url) as T;
  const body = await fetchJson<T>(url, signal);
  if (cached) {
    cache.set(url, body);
    if (cache.size > 300) cache.delete(cache.keys().next().value as string);
  }
  return body;
}

async function fetchJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
  if (!res.ok) {
    let code = 'HTTP_ERROR';
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { code?: string; message?: string };
      if (body.code) code = body.code;
      if (body.message) message = body.message;
    } catch {
      /* a non-JSON error body keeps the status line */
    }
    throw new ApiRequestError(res.status, code, message);
  }
  return (await res.json()) as T;
}

/** Follows `nextPageToken` until `max` items (list routes page with keyset tokens). */
export async function getAll<T>(
  path: string,
  q: Query,
  max: number,
  signal?: AbortSignal,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let token: string | null = null;
  do {
    const page: Page<T> = await getJson<Page<T>>(
      path,
      { ...q, ...(token ? { pageToken: token } : {}) },
      signal,
      true,
    );
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token !== null && items.length < max);
  return { items: items.slice(0, max), truncated: token !== null || items.length > max };
}
