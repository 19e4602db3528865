/**
 * The dashboard's filter state and its URL form. Names are those of the /v1 parameters (`source`,
 * `area`, `category`, `from`, `to`, `granularity`, `minSeverity`) plus `hourFrom`/`hourTo` (time of
 * day, local hours, applied to the hourly views because the API has no time-of-day filter), so a
 * view's URL can be shared and reloaded. Lists are comma-separated, as the API accepts them.
 */
import type { Granularity, Severity } from './api.js';

export interface Filters {
  source: string[];
  area: string[];
  category: string[];
  /** ISO date (YYYY-MM-DD), inclusive; undefined = the latest 28 days of data. */
  from?: string;
  /** ISO date, exclusive. */
  to?: string;
  granularity: Exclude<Granularity, 'month'>;
  minSeverity: Severity;
  hourFrom: number;
  hourTo: number;
}

export const SEVERITIES: Severity[] = ['low', 'medium', 'high'];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[A-Za-z0-9 _.:'&/()-]{1,80}$/;

function list(p: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (const v of p.getAll(name))
    for (const s of v.split(',')) if (s.trim() && ID.test(s.trim())) out.push(s.trim());
  return [...new Set(out)];
}

function hour(v: string | null, dflt: number, max: number): number {
  const n = v === null ? Number.NaN : Number(v);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : dflt;
}

export function parseFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const from = p.get('from') ?? '';
  const to = p.get('to') ?? '';
  const gran = p.get('granularity');
  const sev = p.get('minSeverity') as Severity | null;
  let hourFrom = hour(p.get('hourFrom'), 0, 23);
  let hourTo = hour(p.get('hourTo'), 24, 24);
  if (hourTo <= hourFrom) [hourFrom, hourTo] = [0, 24];
  return {
    source: list(p, 'source'),
    area: list(p, 'area'),
    category: list(p, 'category'),
    ...(ISO_DATE.test(from) ? { from } : {}),
    ...(ISO_DATE.test(to) ? { to } : {}),
    granularity: gran === 'hour' ? 'hour' : 'day',
    minSeverity: sev && SEVERITIES.includes(sev) ? sev : 'low',
    hourFrom,
    hourTo,
  };
}

/** The URL query of a filter; defaults are left out so URLs stay short. */
export function filtersToSearch(f: Filters): string {
  const p = new URLSearchParams();
  if (f.source.length) p.set('source', f.source.join(','));
  if (f.area.length) p.set('area', f.area.join(','));
  if (f.category.length) p.set('category', f.category.join(','));
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.granularity !== 'day') p.set('granularity', f.granularity);
  if (f.minSeverity !== 'low') p.set('minSeverity', f.minSeverity);
  if (f.hourFrom !== 0) p.set('hourFrom', String(f.hourFrom));
  if (f.hourTo !== 24) p.set('hourTo', String(f.hourTo));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const DAY_MS = 86_400_000;
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The effective [from, to) of a view: the URL's dates, or the 28 days ending with the latest data. */
export function effectiveRange(f: Filters, latest: string | null): { from: string; to: string } {
  const anchor = latest ? Date.parse(latest) : Date.now();
  const to = f.to ?? isoDay(Math.floor(anchor / DAY_MS) * DAY_MS + DAY_MS);
  const from = f.from ?? isoDay(Date.parse(to) - 28 * DAY_MS);
  return from < to ? { from, to } : { from: to, to: from };
}

/** Whether a local hour of day passes the time-of-day filter. */
export const hourPasses = (f: Pick<Filters, 'hourFrom' | 'hourTo'>, h: number): boolean =>
  h >= f.hourFrom && h < f.hourTo;
