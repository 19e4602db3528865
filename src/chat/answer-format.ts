/** Wording shared by the answers: category phrases, source names, area labels, dashboard links, numbers. */
import type { DateTime } from 'luxon';
import type { Category } from '../core/categories.js';
import type { Period } from './dates.js';
import { AREAS, type AreaEntry } from './entities.js';

/** "There were 12 <phrase>" */
export const CATEGORY_PHRASE: Record<Category, [one: string, many: string]> = {
  violence: ['violent crime', 'violent crimes'],
  'sexual-offences': ['sexual offence', 'sexual offences'],
  robbery: ['robbery', 'robberies'],
  burglary: ['burglary', 'burglaries'],
  theft: ['theft', 'thefts'],
  'vehicle-crime': ['vehicle crime', 'vehicle crimes'],
  'criminal-damage': ['criminal damage offence', 'criminal damage offences'],
  arson: ['arson', 'arsons'],
  drugs: ['drug offence', 'drug offences'],
  weapons: ['weapons offence', 'weapons offences'],
  'public-order': ['public order offence', 'public order offences'],
  fraud: ['fraud offence', 'fraud offences'],
  'anti-social-behaviour': ['anti-social behaviour incident', 'anti-social behaviour incidents'],
  other: ['other offence', 'other offences'],
};

export function crimePhrase(category: Category | undefined, n: number): string {
  if (category === undefined) return n === 1 ? 'recorded crime' : 'recorded crimes';
  const [one, many] = CATEGORY_PHRASE[category];
  return n === 1 ? one : many;
}

export const SOURCE_NAMES: Record<string, string> = {
  chicago: 'Chicago',
  'nyc-complaints': 'New York City (NYPD complaints)',
  'nyc-arrests': 'New York City (NYPD arrests)',
  'nyc-shootings': 'New York City (NYPD shooting incidents)',
  la: 'Los Angeles',
  'uk-police': 'the City of London (data.police.uk)',
  'socrata-sf': 'San Francisco',
};

export const sourceName = (s: string): string => SOURCE_NAMES[s] ?? s;

/** Source id → IANA zone of its local calendar (unknown Socrata cities: UTC). */
export const SOURCE_ZONES: Record<string, string> = {
  chicago: 'America/Chicago',
  'nyc-complaints': 'America/New_York',
  'nyc-arrests': 'America/New_York',
  'nyc-shootings': 'America/New_York',
  la: 'America/Los_Angeles',
  'uk-police': 'Europe/London',
  'socrata-sf': 'America/Los_Angeles',
};

export const sourceZone = (s: string): string => SOURCE_ZONES[s] ?? 'UTC';

/** Sources whose events carry months only. */
export const MONTH_ONLY_SOURCES = new Set(['uk-police']);

const familyOf = (source: string): string => (source.startsWith('nyc-') ? 'nyc' : source);

/** "Austin (community area 25)", "City of London 001F (E01032739)", "precinct 75 (Brooklyn)". */
export function areaLabel(source: string, areaId: string): string {
  const fam = familyOf(source);
  if (areaId === 'unknown') return 'records without an area';
  const exact = AREAS.find((a) => a.source === fam && a.ids.length === 1 && a.ids[0] === areaId);
  if (fam === 'nyc') {
    const boro = AREAS.find((a) => a.source === 'nyc' && a.ids.includes(areaId));
    return boro ? `precinct ${areaId} (${boro.name})` : `precinct ${areaId}`;
  }
  if (exact && exact.name !== areaId)
    return fam === 'chicago' ? `${exact.name} (community area ${areaId})` : `${exact.name} (${areaId})`;
  return fam === 'chicago' ? `community area ${areaId}` : areaId;
}

export function areaPhrase(area: AreaEntry | undefined): string {
  return area ? ` in ${area.name}` : '';
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-GB');

export function fmtNum(v: number): string {
  if (Number.isInteger(v)) return fmtInt(v);
  return Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1);
}

export function fmtP(p: number): string {
  if (p === 0) return '< 1e-300';
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(2);
}

export function pctChange(cur: number, prev: number): string {
  if (prev === 0) return cur === 0 ? 'no change' : 'up from zero';
  const pct = ((cur - prev) / prev) * 100;
  const r = Math.round(pct);
  return r === 0 ? 'about the same' : `${r > 0 ? 'up' : 'down'} ${Math.abs(r)}%`;
}

export interface LinkFilter {
  source: string;
  areas?: string[];
  category?: string;
  from: DateTime;
  to: DateTime;
}

/**
 * The dashboard URL for a filter: `<base>?source=..&area=..&category=..&from=YYYY-MM-DD&to=YYYY-MM-DD`,
 * local ISO dates, `to` exclusive (the API's convention); an hour period links to its whole day.
 */
export function dashboardLink(base: string, f: LinkFilter): string {
  const qs = new URLSearchParams();
  qs.set('source', f.source);
  if (f.areas && f.areas.length > 0) qs.set('area', f.areas.join(','));
  if (f.category) qs.set('category', f.category);
  qs.set('from', f.from.startOf('day').toISODate() ?? '');
  const to = f.to.equals(f.to.startOf('day')) ? f.to : f.to.startOf('day').plus({ days: 1 });
  qs.set('to', to.toISODate() ?? '');
  return `${base}?${qs.toString()}`;
}

/** The period as the answer states it, with a note on what it is relative to. */
export function periodSentence(p: Period): string {
  if (p.grain === 'month' || p.grain === 'year') return `in ${p.label}`;
  if (p.grain === 'day' || p.grain === 'hour' || !p.label.includes(' to ')) return `on ${p.label}`;
  return `from ${p.label}`;
}

/** UTC ISO instant of a local DateTime. */
export const isoUtc = (d: DateTime): string => d.toUTC().toISO({ suppressMilliseconds: false }) ?? '';
