/**
 * NYPD datasets on NYC Open Data → CrimeEvents. Three normalisers share the field readers:
 *
 * - `nyc-complaints` (`qgea-i56i` historic, `5uac-w243` current; same schema). One event = one
 *   complaint row = one incident (`cmplnt_num`), `incidentKey` = `sourceKey`. Occurrence is
 *   `cmplnt_fr_dt` + `cmplnt_fr_tm`; 00:00:00, 00:01:00 and an empty time are NYPD's "time unknown"
 *   values: precision `day`, flag `placeholder-time`. `rpt_dt` → `reportedAt` (a date; local
 *   midnight). Rows without `cmplnt_fr_dt` (a few in the historic file) are rejected: the report date
 *   is not the occurrence date and would distort the series.
 * - `nyc-arrests` (`uip8-fykc` year to date, `8h9b-rp9u` historic). One event = one arrest
 *   (`arrest_key`); arrests have no time of day: precision `day`, flag `date-only`.
 *   `attributes.arrest` is always true.
 * - `nyc-shootings` (`833y-fsy8` historic, `5ucz-vwe8` year to date). One event = one VICTIM row; the
 *   incident is `INCIDENT_KEY`, repeated per victim, so `incidentKey` = INCIDENT_KEY and
 *   `sourceKey` = the Socrata row id `:id` when the row carries it, else INCIDENT_KEY + '-' + the
 *   0-based occurrence index of that key within the batch in row order (a batch must be a whole,
 *   stably ordered file or page set, as the recorded files are). Count distinct `incidentKey` for
 *   incidents. Only an empty OCCUR_TIME is a placeholder here: the 2006–2019 file shows no midnight
 *   cluster (00:00 3 rows, 00:01 58, 00:02 35, 00:05 59 out of 21,408), so 00:00/00:01 are real times.
 *
 * Times are floating America/New_York (`MM/DD/YYYY` + `HH:MM:SS` in CSV, floating ISO in SODA JSON);
 * DST: see local-time.ts. Coordinates: Latitude/Longitude, else the location column; X/Y state-plane
 * coordinates (thousands-separated in old exports) go to attributes as numbers. `(null)`, `NA`,
 * `UNKNOWN` and empty are treated as absent. `areaId` = precinct (`'75'`), `unknown` when absent.
 */
import { eventId } from '../../core/crime-event.js';
import { mapNycOffence, mapNycShooting } from '../../core/taxonomy/nyc.js';
import type { WallTime } from '../local-time.js';
import type { NormaliseContext, NormaliseResult, RawRow, RowNormaliser } from '../normalise.js';
import {
  type BoundingBox,
  bool,
  cleanText,
  locate,
  num,
  put,
  readLocation,
  text,
  unpadded,
} from '../socrata-values.js';
import { finish, floatingToUtc, noteMapping, occurrence } from '../us-event.js';

export const NYC_TIME_ZONE = 'America/New_York';
/** The five boroughs with a small margin. */
export const NYC_BOX: BoundingBox = { minLat: 40.47, maxLat: 40.93, minLon: -74.28, maxLon: -73.68 };

const BORO_CODES: Record<string, string> = {
  B: 'BRONX',
  K: 'BROOKLYN',
  M: 'MANHATTAN',
  Q: 'QUEENS',
  S: 'STATEN ISLAND',
};
const LAW_CATEGORIES: Record<string, string> = {
  F: 'felony',
  FELONY: 'felony',
  M: 'misdemeanor',
  MISDEMEANOR: 'misdemeanor',
  V: 'violation',
  VIOLATION: 'violation',
  I: 'infraction',
  INFRACTION: 'infraction',
};

/** 00:00:00 and 00:01:00 are NYPD complaint "time unknown" values. */
export function isNycPlaceholderTime(w: WallTime): boolean {
  return w.hour === 0 && (w.minute === 0 || w.minute === 1) && (w.second ?? 0) === 0;
}

const LOCATION_FIELDS = ['lat_lon', 'geocoded_column', 'new_georeferenced_column', 'lon_lat'] as const;

function lawCategory(row: RawRow): string | undefined {
  const c = cleanText(row, 'law_cat_cd')?.toUpperCase();
  return c === undefined ? undefined : (LAW_CATEGORIES[c] ?? c.toLowerCase());
}

/** Wraps a row function so an unexpected exception becomes a rejection: normalisers never throw. */
function guarded(fn: (row: RawRow, ctx: NormaliseContext, index: number) => NormaliseResult) {
  return (row: RawRow, ctx: NormaliseContext, index = 0): NormaliseResult => {
    try {
      return fn(row, ctx, index);
    } catch (err) {
      return { ok: false, reason: `unexpected: ${(err as Error).message}`, payload: row };
    }
  };
}

function base(
  source: string,
  key: string,
  incidentKey: string,
  occ: Exclude<ReturnType<typeof occurrence>, string>,
  ctx: NormaliseContext,
  row: RawRow,
): Record<string, unknown> {
  return {
    id: eventId(source, key),
    source,
    sourceKey: key,
    incidentKey,
    ...occ,
    timeZone: NYC_TIME_ZONE,
    ingestedAt: ctx.ingestedAt,
    ...locate(readLocation(row, 'latitude', 'longitude', LOCATION_FIELDS), NYC_BOX),
  };
}

const complaintRow = guarded((row, ctx) => {
  const source = 'nyc-complaints';
  const key = text(row, 'cmplnt_num');
  if (!key) return { ok: false, reason: 'missing cmplnt_num', payload: row };
  const tm = cleanText(row, 'cmplnt_fr_tm');
  const occ = occurrence(text(row, 'cmplnt_fr_dt'), tm ?? null, NYC_TIME_ZONE, {
    isPlaceholder: isNycPlaceholderTime,
  });
  if (typeof occ === 'string') return { ok: false, reason: `cmplnt_fr_dt: ${occ}`, payload: row };
  const ofns = cleanText(row, 'ofns_desc');
  const pdDesc = cleanText(row, 'pd_desc');
  const kyCd = cleanText(row, 'ky_cd');
  const mapping = mapNycOffence({
    kyCd,
    ofnsDesc: ofns,
    pdCd: cleanText(row, 'pd_cd'),
    pdDesc,
    lawCat: cleanText(row, 'law_cat_cd'),
  });
  const sourceType = ofns ?? pdDesc ?? '';
  noteMapping(source, mapping, sourceType);

  const area: Record<string, string> = {};
  put(area, 'precinct', unpadded(row, 'addr_pct_cd'));
  put(area, 'borough', cleanText(row, 'boro_nm')?.toUpperCase());
  put(area, 'patrolBorough', cleanText(row, 'patrol_boro'));
  put(area, 'transitDistrict', unpadded(row, 'transit_district'));
  put(area, 'housingPsa', unpadded(row, 'housing_psa'));

  const attributes: Record<string, unknown> = {};
  put(attributes, 'offenceKey', kyCd);
  put(attributes, 'pdCode', cleanText(row, 'pd_cd'));
  put(attributes, 'pdDescription', pdDesc);
  put(attributes, 'lawCategory', lawCategory(row));
  put(attributes, 'attemptedCompleted', cleanText(row, 'crm_atpt_cptd_cd')?.toLowerCase());
  const to = occurrence(text(row, 'cmplnt_to_dt'), cleanText(row, 'cmplnt_to_tm') ?? null, NYC_TIME_ZONE, {
    isPlaceholder: isNycPlaceholderTime,
  });
  if (typeof to !== 'string') put(attributes, 'occurredTo', to.occurredAt);
  put(attributes, 'locationOfOccurrence', cleanText(row, 'loc_of_occur_desc'));
  put(attributes, 'premisesType', cleanText(row, 'prem_typ_desc'));
  put(attributes, 'jurisdiction', cleanText(row, 'juris_desc'));
  put(attributes, 'jurisdictionCode', cleanText(row, 'jurisdiction_code'));
  put(attributes, 'parkName', cleanText(row, 'parks_nm'));
  put(attributes, 'housingDevelopment', cleanText(row, 'hadevelopt'));
  put(attributes, 'stationName', cleanText(row, 'station_name'));
  put(attributes, 'xCoord', num(row, 'x_coord_cd'));
  put(attributes, 'yCoord', num(row, 'y_coord_cd'));
  put(attributes, 'suspectAgeGroup', cleanText(row, 'susp_age_group'));
  put(attributes, 'suspectRace', cleanText(row, 'susp_race'));
  put(attributes, 'suspectSex', cleanText(row, 'susp_sex'));
  put(attributes, 'victimAgeGroup', cleanText(row, 'vic_age_group'));
  put(attributes, 'victimRace', cleanText(row, 'vic_race'));
  put(attributes, 'victimSex', cleanText(row, 'vic_sex'));

  // Fields assigned onto base() rather than spread into a new object: one allocation less a row.
  const candidate = Object.assign(base(source, key, key, occ, ctx, row), {
    category: mapping.category,
    subcategory: mapping.subcategory,
    sourceType,
    areaId: area.precinct ?? 'unknown',
    area,
    attributes,
  });
  put(candidate, 'sourceCode', kyCd);
  put(candidate, 'reportedAt', floatingToUtc(text(row, 'rpt_dt'), NYC_TIME_ZONE));
  return finish(candidate, row);
});

const arrestRow = guarded((row, ctx) => {
  const source = 'nyc-arrests';
  const key = text(row, 'arrest_key');
  if (!key) return { ok: false, reason: 'missing arrest_key', payload: row };
  const occ = occurrence(text(row, 'arrest_date'), undefined, NYC_TIME_ZONE, { dateOnly: true });
  if (typeof occ === 'string') return { ok: false, reason: `arrest_date: ${occ}`, payload: row };
  const ofns = cleanText(row, 'ofns_desc');
  const pdDesc = cleanText(row, 'pd_desc');
  const kyCd = cleanText(row, 'ky_cd');
  const mapping = mapNycOffence({
    kyCd,
    ofnsDesc: ofns,
    pdCd: cleanText(row, 'pd_cd'),
    pdDesc,
    lawCat: cleanText(row, 'law_cat_cd'),
  });
  const sourceType = ofns ?? pdDesc ?? '';
  noteMapping(source, mapping, sourceType);

  const area: Record<string, string> = {};
  put(area, 'precinct', unpadded(row, 'arrest_precinct'));
  const boro = cleanText(row, 'arrest_boro')?.toUpperCase();
  put(area, 'borough', boro === undefined ? undefined : (BORO_CODES[boro] ?? boro));

  const attributes: Record<string, unknown> = { arrest: true };
  put(attributes, 'offenceKey', kyCd);
  put(attributes, 'pdCode', cleanText(row, 'pd_cd'));
  put(attributes, 'pdDescription', pdDesc);
  put(attributes, 'lawCode', cleanText(row, 'law_code'));
  put(attributes, 'lawCategory', lawCategory(row));
  put(attributes, 'jurisdictionCode', cleanText(row, 'jurisdiction_code'));
  put(attributes, 'perpAgeGroup', cleanText(row, 'age_group'));
  put(attributes, 'perpSex', cleanText(row, 'perp_sex'));
  put(attributes, 'perpRace', cleanText(row, 'perp_race'));
  put(attributes, 'xCoord', num(row, 'x_coord_cd'));
  put(attributes, 'yCoord', num(row, 'y_coord_cd'));

  // Fields assigned onto base() rather than spread into a new object: one allocation less a row.
  const candidate = Object.assign(base(source, key, key, occ, ctx, row), {
    category: mapping.category,
    subcategory: mapping.subcategory,
    sourceType,
    areaId: area.precinct ?? 'unknown',
    area,
    attributes,
  });
  put(candidate, 'sourceCode', kyCd);
  return finish(candidate, row);
});

const shootingRow = guarded((row, ctx, index) => {
  const source = 'nyc-shootings';
  const incident = text(row, 'incident_key');
  if (!incident) return { ok: false, reason: 'missing incident_key', payload: row };
  const rowId = text(row, ':id');
  const key = rowId ?? `${incident}-${index}`;
  const occ = occurrence(text(row, 'occur_date'), cleanText(row, 'occur_time') ?? null, NYC_TIME_ZONE);
  if (typeof occ === 'string') return { ok: false, reason: `occur_date: ${occ}`, payload: row };
  const murder = bool(row, 'statistical_murder_flag') ?? false;
  const mapping = mapNycShooting(murder);

  const area: Record<string, string> = {};
  put(area, 'precinct', unpadded(row, 'precinct'));
  put(area, 'borough', cleanText(row, 'boro')?.toUpperCase());

  const attributes: Record<string, unknown> = { statisticalMurder: murder };
  put(attributes, 'jurisdictionCode', cleanText(row, 'jurisdiction_code'));
  put(attributes, 'locationDescription', cleanText(row, 'location_desc'));
  put(attributes, 'locationOfOccurrence', cleanText(row, 'loc_of_occur_desc'));
  put(attributes, 'locationClass', cleanText(row, 'loc_classfctn_desc'));
  put(attributes, 'perpAgeGroup', cleanText(row, 'perp_age_group'));
  put(attributes, 'perpSex', cleanText(row, 'perp_sex'));
  put(attributes, 'perpRace', cleanText(row, 'perp_race'));
  put(attributes, 'victimAgeGroup', cleanText(row, 'vic_age_group'));
  put(attributes, 'victimSex', cleanText(row, 'vic_sex'));
  put(attributes, 'victimRace', cleanText(row, 'vic_race'));
  put(attributes, 'xCoord', num(row, 'x_coord_cd'));
  put(attributes, 'yCoord', num(row, 'y_coord_cd'));

  const candidate = Object.assign(base(source, key, incident, occ, ctx, row), {
    category: mapping.category,
    subcategory: mapping.subcategory,
    sourceType: 'SHOOTING INCIDENT',
    sourceCode: murder ? 'MURDER' : 'SHOOTING',
    areaId: area.precinct ?? 'unknown',
    area,
    attributes,
  });
  return finish(candidate, row);
});

export const nycComplaintsNormaliser: RowNormaliser = {
  source: 'nyc-complaints',
  timeZone: NYC_TIME_ZONE,
  normaliseRows: (rows, ctx) => rows.map((row) => complaintRow(row, ctx)),
};

export const nycArrestsNormaliser: RowNormaliser = {
  source: 'nyc-arrests',
  timeZone: NYC_TIME_ZONE,
  normaliseRows: (rows, ctx) => rows.map((row) => arrestRow(row, ctx)),
};

export const nycShootingsNormaliser: RowNormaliser = {
  source: 'nyc-shootings',
  timeZone: NYC_TIME_ZONE,
  normaliseRows(rows, ctx) {
    const seen = new Map<string, number>();
    return rows.map((row) => {
      const incident = text(row, 'incident_key');
      let index = 0;
      if (incident) {
        index = seen.get(incident) ?? 0;
        seen.set(incident, index + 1);
      }
      return shootingRow(row, ctx, index);
    });
  },
};
