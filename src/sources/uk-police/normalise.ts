/**
 * data.police.uk rows → `CrimeEvent`s. Two row shapes are accepted, told apart per row:
 * - street CSV rows (the monthly archive files), under SODA-style names as `readRecordedFile` gives by
 *   default (`crime_id`, `month`, `lsoa_code`, `crime_type`, ...). Rows read with `{keepHeaders:true}`
 *   (`Crime ID`, `Crime type`, ...) are accepted too: their keys go through `socrataFieldName` first.
 * - API `crimes-street` objects (`category`, `persistent_id`, `id`, `month`, `location{latitude,
 *   longitude,street}`, `outcome_status`, `context`). The connector adds `polled_area`, the id of the
 *   configured area the row was fetched for, because the API row itself names no area.
 *
 * Time: UK data is month-only. `occurredAt` is the first instant of the month in Europe/London, as UTC
 * (2019-06 → 2019-05-31T23:00:00.000Z), `timePrecision` is `month` and `timeFlags` is `['month-only']`;
 * no day or hour is ever invented.
 *
 * Keys (ARCHITECTURE.md, "The CrimeEvent contract"). A batch is one month file, or one month of one
 * polled area, always reloaded whole, so an index inside it is stable:
 * - a Crime ID / `persistent_id` that occurs once in the batch's month is the key itself;
 * - one that repeats (UK publishes distinct rows under one ID) is `<month>:<id>:<k>`, k = 0-based
 *   occurrence of that ID in the month, in batch order;
 * - an empty one (anti-social behaviour, and the odd API row) is `<month>:<scope>:asb:<k>`, k = 0-based
 *   occurrence among the month's empty-ID rows. `scope` (the force of the CSV row, slugged from
 *   `Reported by`, or the API row's `polled_area`) is added to the rule's `<month>:asb:<k>` because two
 *   forces' files (or two areas) of one month would otherwise both have an `asb:0` and collide on id.
 *
 * Areas: CSV rows use the LSOA code as `areaId` (`unknown` when the row has no location); API rows have
 * no LSOA, so `areaId` is `polled_area` (its series is the polled area as a whole).
 */
import { DateTime } from 'luxon';
import { CrimeEvent, eventId } from '../../core/crime-event.js';
import { countUnmappedType, UNMAPPED, ukCrimeType } from '../../core/taxonomy/index.js';
import { fastEventCheck, fullCheckDue } from '../fast-event-check.js';
import type { NormaliseContext, NormaliseResult, RawRow, RowNormaliser } from '../normalise.js';
import { socrataFieldName } from '../normalise.js';
import { type BoundingBox, locationStatus } from './location-status.js';

export const UK_POLICE_SOURCE = 'uk-police';
export const UK_TIME_ZONE = 'Europe/London';

/** Great Britain and Northern Ireland with a margin; the archive's points are snapped, never offshore. */
export const UK_BBOX: BoundingBox = { minLat: 49.5, maxLat: 61.5, minLon: -8.9, maxLon: 2.1 };

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

interface Parsed {
  month: string;
  baseId: string;
  scope: string;
  draft: Omit<CrimeEvent, 'id' | 'sourceKey' | 'incidentKey' | 'ingestedAt'>;
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v.trim() : String(v);
}

/** Force names repeat on every row: their slugs are remembered (bounded). */
const slugs = new Map<string, string>();

function slug(s: string): string {
  let out = slugs.get(s);
  if (out === undefined) {
    out = slugOf(s);
    if (slugs.size < 10_000) slugs.set(s, out);
  }
  return out;
}

function slugOf(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Month → first instant; a month file has one month, so luxon is asked once per month, not per row. */
const monthStarts = new Map<string, string | undefined>();

/** First instant of a `YYYY-MM` month in Europe/London, as an ISO UTC string. */
export function ukMonthStart(month: string): string | undefined {
  if (monthStarts.has(month)) return monthStarts.get(month);
  const start = computeMonthStart(month);
  if (monthStarts.size < 10_000) monthStarts.set(month, start);
  return start;
}

function computeMonthStart(month: string): string | undefined {
  const m = MONTH.exec(month);
  if (!m) return undefined;
  const dt = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: 1 }, { zone: UK_TIME_ZONE });
  return dt.isValid ? (dt.toUTC().toJSDate().toISOString() as string) : undefined;
}

function isApiRow(row: RawRow): boolean {
  return (
    'persistent_id' in row ||
    (typeof row.location === 'object' && row.location !== null) ||
    ('category' in row && !('crime_type' in row))
  );
}

function csvKeys(row: RawRow): RawRow {
  if ('crime_type' in row && 'month' in row) return row;
  const out: RawRow = {};
  for (const [k, v] of Object.entries(row)) out[socrataFieldName(k)] = v;
  return out;
}

function common(month: string, type: string) {
  const occurredAt = ukMonthStart(month);
  if (!occurredAt) return { error: `month is not YYYY-MM: ${JSON.stringify(month)}` } as const;
  if (type === '') return { error: 'crime type is empty' } as const;
  const t = ukCrimeType(type);
  if (!t) countUnmappedType(UK_POLICE_SOURCE, type);
  return {
    occurredAt,
    category: t?.category ?? UNMAPPED.category,
    subcategory: t?.subcategory ?? UNMAPPED.subcategory,
    sourceCode: t?.slug ?? slug(type),
  } as const;
}

function parseCsv(input: RawRow): Parsed | string {
  const row = csvKeys(input);
  const month = str(row.month);
  const type = str(row.crime_type);
  const c = common(month, type);
  if ('error' in c) return c.error as string;
  const loc = locationStatus(row.latitude, row.longitude, UK_BBOX);
  const lsoa = str(row.lsoa_code);
  const area: Record<string, string> = {};
  if (lsoa) area.lsoa = lsoa;
  if (str(row.lsoa_name)) area.lsoaName = str(row.lsoa_name);
  if (str(row.falls_within)) area.force = str(row.falls_within);
  const attributes: Record<string, unknown> = {
    crimeId: str(row.crime_id) || null,
    reportedBy: str(row.reported_by) || null,
    fallsWithin: str(row.falls_within) || null,
    location: str(row.location) || null,
    lastOutcomeCategory: str(row.last_outcome_category) || null,
    context: str(row.context) || null,
  };
  return {
    month,
    baseId: str(row.crime_id),
    scope: slug(str(row.reported_by) || str(row.falls_within)) || 'unknown',
    draft: {
      source: UK_POLICE_SOURCE,
      occurredAt: c.occurredAt,
      timeZone: UK_TIME_ZONE,
      timePrecision: 'month',
      timeFlags: ['month-only'],
      category: c.category,
      subcategory: c.subcategory,
      sourceType: type,
      sourceCode: c.sourceCode,
      ...(loc.status === 'ok' ? { lat: loc.lat, lon: loc.lon } : {}),
      locationStatus: loc.status,
      areaId: lsoa || 'unknown',
      area,
      attributes,
    },
  };
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function parseApi(row: RawRow): Parsed | string {
  const month = str(row.month);
  const type = str(row.category);
  const c = common(month, type);
  if ('error' in c) return c.error as string;
  const location = obj(row.location);
  const street = obj(location?.street);
  const loc = locationStatus(location?.latitude, location?.longitude, UK_BBOX);
  const polled = str(row.polled_area);
  const outcome = obj(row.outcome_status);
  const attributes: Record<string, unknown> = {
    apiId: row.id ?? null,
    persistentId: str(row.persistent_id) || null,
    streetId: street?.id ?? null,
    location: str(street?.name) || null,
    locationType: str(row.location_type) || null,
    locationSubtype: str(row.location_subtype) || null,
    lastOutcomeCategory: str(outcome?.category) || null,
    lastOutcomeMonth: str(outcome?.date) || null,
    context: str(row.context) || null,
  };
  return {
    month,
    baseId: str(row.persistent_id),
    scope: polled || 'unknown',
    draft: {
      source: UK_POLICE_SOURCE,
      occurredAt: c.occurredAt,
      timeZone: UK_TIME_ZONE,
      timePrecision: 'month',
      timeFlags: ['month-only'],
      category: c.category,
      subcategory: c.subcategory,
      sourceType: type,
      sourceCode: c.sourceCode,
      ...(loc.status === 'ok' ? { lat: loc.lat, lon: loc.lon } : {}),
      locationStatus: loc.status,
      areaId: polled || 'unknown',
      area: polled ? { polledArea: polled } : {},
      attributes,
    },
  };
}

/** The UK normaliser (pure; batch = one month file or one month of one polled area). */
export const ukPoliceNormaliser: RowNormaliser = {
  source: UK_POLICE_SOURCE,
  timeZone: UK_TIME_ZONE,
  normaliseRows(rows: readonly RawRow[], ctx: NormaliseContext): NormaliseResult[] {
    const parsed = rows.map((row): Parsed | string => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'row is not an object';
      return isApiRow(row) ? parseApi(row) : parseCsv(row);
    });
    const counts = new Map<string, number>();
    for (const p of parsed) {
      if (typeof p === 'string' || p.baseId === '') continue;
      const k = `${p.month}\u0000${p.baseId}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const seen = new Map<string, number>();
    return parsed.map((p, i): NormaliseResult => {
      const payload = rows[i] as RawRow;
      if (typeof p === 'string') return { ok: false, reason: p, payload };
      let sourceKey: string;
      if (p.baseId === '') {
        const k = `${p.month}\u0000${p.scope}\u0000asb`;
        const n = seen.get(k) ?? 0;
        seen.set(k, n + 1);
        sourceKey = `${p.month}:${p.scope}:asb:${n}`;
      } else {
        const k = `${p.month}\u0000${p.baseId}`;
        if ((counts.get(k) ?? 0) === 1) sourceKey = p.baseId;
        else {
          const n = seen.get(k) ?? 0;
          seen.set(k, n + 1);
          sourceKey = `${p.month}:${p.baseId}:${n}`;
        }
      }
      const candidate: Record<string, unknown> = {
        ...p.draft,
        id: eventId(UK_POLICE_SOURCE, sourceKey),
        sourceKey,
        incidentKey: sourceKey,
        ingestedAt: ctx.ingestedAt,
      };
      // Zod only for what the schema-derived fast check cannot vouch for, and a sample (fast-event-check.ts).
      if (fastEventCheck(candidate) && !fullCheckDue()) return { ok: true, event: candidate };
      const checked = CrimeEvent.safeParse(candidate);
      if (!checked.success)
        return {
          ok: false,
          reason: `contract: ${checked.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
          payload,
        };
      return { ok: true, event: checked.data };
    });
  },
};
