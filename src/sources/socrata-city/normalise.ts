/**
 * A `RowNormaliser` built from a city mapping file (see mapping.ts). Pure and row-by-row: a mapped
 * city's key must be unique per row (the mapping names it), so no batch context is needed.
 *
 * Per row: `sourceKey` = the key column (rows without one are rejected); `incidentKey` = the incident
 * column, or the key; occurrence from one datetime column or a date + time pair (floating local time in
 * the mapping's zone; DST as in local-time.ts; placeholder times and date-only rows get day precision);
 * category from the mapping's table, else `other`/`unmapped` (counted); the remaining columns go to
 * `attributes` under their SODA names (Socrata's `:@computed_region_*` helper columns are dropped).
 */
import { DateTime } from 'luxon';
import { eventId } from '../../core/crime-event.js';
import type { TaxonomyMapping } from '../../core/taxonomy/mapping.js';
import { UNMAPPED } from '../../core/taxonomy/mapping.js';
import { parseFloatingLocal } from '../local-time.js';
import type { NormaliseContext, NormaliseResult, RawRow, RowNormaliser } from '../normalise.js';
import { locate, put, readLocation, text } from '../socrata-values.js';
import { finish, floatingToUtc, noteMapping, occurrence } from '../us-event.js';
import type { SocrataCityMapping } from './mapping.js';

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200);
}

const TIME_TOKEN = /[Hhmsa]/;

interface CompiledFormat {
  parser: ReturnType<typeof DateTime.buildFormatParser>;
  hasTime: boolean;
}

// luxon's `fromFormat` rebuilds its parser on every call (about 0.4 ms); a prebuilt parser is ~50x faster.
function compileFormats(formats: readonly string[]): CompiledFormat[] {
  return formats.map((fmt) => ({
    parser: DateTime.buildFormatParser(fmt, { locale: 'en-US' }),
    hasTime: TIME_TOKEN.test(fmt.replace(/'[^']*'/g, '')),
  }));
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Text the shared floating-time parser reads (ISO or US), converting other layouts through `formats`. */
function floatingText(value: string | undefined, formats: readonly CompiledFormat[]): string | undefined {
  if (value === undefined || parseFloatingLocal(value)) return value;
  for (const f of formats) {
    const dt = DateTime.fromFormatParser(value.trim(), f.parser, { zone: 'UTC', locale: 'en-US' });
    // Built from the fields rather than with `toFormat`, which re-tokenises its pattern on every call.
    if (dt.isValid) {
      const date = `${String(dt.year).padStart(4, '0')}-${pad2(dt.month)}-${pad2(dt.day)}`;
      return f.hasTime ? `${date}T${pad2(dt.hour)}:${pad2(dt.minute)}:${pad2(dt.second)}` : date;
    }
  }
  return value;
}

/** The columns a mapping reads (everything else is an attribute). */
export function mappedFields(m: SocrataCityMapping): Set<string> {
  const f = m.fields;
  const used = [
    f.key,
    f.incidentKey,
    'datetime' in f.occurred ? f.occurred.datetime : f.occurred.date,
    'time' in f.occurred ? f.occurred.time : undefined,
    f.reported,
    f.updated,
    f.lat,
    f.lon,
    ...f.location,
    f.areaId,
    ...Object.values(f.area),
    f.type,
    f.subtype,
    f.code,
  ];
  return new Set(used.filter((x): x is string => x !== undefined));
}

/** Builds the normaliser of one mapped city. */
export function createSocrataCityNormaliser(mapping: SocrataCityMapping): RowNormaliser {
  const { source, timeZone: zone, fields: f } = mapping;
  const categories = new Map<string, SocrataCityMapping['categories'][string]>();
  for (const [k, v] of Object.entries(mapping.categories)) categories.set(k.trim().toLowerCase(), v);
  const placeholders = new Set(mapping.placeholderTimes);
  const used = mappedFields(mapping);
  const formats = compileFormats(mapping.datetimeFormats);
  const pad = (n: number) => String(n).padStart(2, '0');
  // Hoisted out of the row loop: built once per mapping, not once per row.
  const areaFields = Object.entries(f.area);
  const occurrenceOptions = {
    isPlaceholder: (w: { hour: number; minute: number }) =>
      placeholders.has(`${pad(w.hour)}:${pad(w.minute)}`),
    dateOnly: 'date' in f.occurred && f.occurred.time === undefined,
  };

  function normaliseRow(row: RawRow, ctx: NormaliseContext): NormaliseResult {
    const key = text(row, f.key);
    if (!key) return { ok: false, reason: `missing key ${f.key}`, payload: row };
    const occurredText =
      'datetime' in f.occurred ? text(row, f.occurred.datetime) : text(row, f.occurred.date);
    // A mapped time column left empty is "time unknown" (null); no time column at all means date-only.
    const clock =
      'time' in f.occurred && f.occurred.time !== undefined
        ? (text(row, f.occurred.time) ?? null)
        : undefined;
    const occ = occurrence(floatingText(occurredText, formats), clock, zone, occurrenceOptions);
    if (typeof occ === 'string') return { ok: false, reason: occ, payload: row };

    const sourceType = text(row, f.type) ?? '';
    const hit = categories.get(sourceType.toLowerCase());
    const subtype = f.subtype ? text(row, f.subtype) : undefined;
    const mapped: TaxonomyMapping = hit
      ? {
          category: hit.category,
          subcategory: hit.subcategory ?? (slug(subtype ?? sourceType) || 'unspecified'),
        }
      : UNMAPPED;
    noteMapping(source, mapped, sourceType);

    const area: Record<string, string> = {};
    for (const [name, field] of areaFields) put(area, name, text(row, field));
    const attributes: Record<string, unknown> = {};
    for (const k in row) {
      if (!Object.hasOwn(row, k)) continue;
      const v = row[k];
      if (used.has(k) || k.startsWith(':@computed_region') || v === undefined || v === null || v === '')
        continue;
      attributes[k] = v;
    }
    // Without lat/lon columns, a NUL field name (never a real column) sends readLocation to `location`.
    const loc = locate(readLocation(row, f.lat ?? '\u0000', f.lon ?? '\u0000', f.location), mapping.bbox);
    const candidate: Record<string, unknown> = {
      id: eventId(source, key),
      source,
      sourceKey: key,
      incidentKey: (f.incidentKey ? text(row, f.incidentKey) : undefined) ?? key,
      ...occ,
      timeZone: zone,
      ingestedAt: ctx.ingestedAt,
      category: mapped.category,
      subcategory: mapped.subcategory,
      sourceType,
      ...loc,
      areaId: (f.areaId ? text(row, f.areaId) : undefined) ?? 'unknown',
      area,
      attributes,
    };
    if (f.code) put(candidate, 'sourceCode', text(row, f.code));
    if (f.reported)
      put(candidate, 'reportedAt', floatingToUtc(floatingText(text(row, f.reported), formats), zone));
    if (f.updated)
      put(candidate, 'updatedAt', floatingToUtc(floatingText(text(row, f.updated), formats), zone));
    return finish(candidate, row);
  }

  return {
    source,
    timeZone: zone,
    normaliseRows(rows, ctx) {
      return rows.map((row) => {
        try {
          return normaliseRow(row, ctx);
        } catch (err) {
          // A mapping bug must not take the batch down; the row becomes a dead letter that says why.
          return { ok: false, reason: `unexpected: ${(err as Error).message}`, payload: row };
        }
      });
    },
  };
}
