/**
 * Los Angeles "Crime Data from 2020 to Present" (`2nrs-mtv8`) rows → CrimeEvents.
 *
 * One event = one portal row = one crime report (`dr_no`, the LAPD division of records number), so
 * `incidentKey` = `sourceKey`. `crm_cd` is the most serious offence; `crm_cd_1..4` (all offences of
 * the report) go to `attributes.crimeCodes`.
 *
 * Time: `date_occ` carries only the date (its time part is always midnight) in one of two formats,
 * mixed row by row in re-saved files (`MM/DD/YYYY hh:mm:ss AM` and `MM/DD/YYYY HH:MM`; SODA JSON
 * gives floating ISO); the time of day is `time_occ`, `HHMM` text (`2230`, `0330`; a number without
 * the leading zero is accepted). A missing `time_occ` is a placeholder (precision `day`). Floating
 * America/Los_Angeles; DST: see local-time.ts. `date_rptd` → `reportedAt`; LA has no update date.
 *
 * Location: LAT/LON 0 is LAPD's "no location" (→ `zero`); `location` and `cross_street` have their
 * space padding collapsed. `areaId` = division name (`area_name`, e.g. `Southwest`).
 * `attributes.arrest` is true when `status` is `AA`/`JA` (adult/juvenile arrest).
 */
import { eventId } from '../../core/crime-event.js';
import { mapLaCrime } from '../../core/taxonomy/la.js';
import type { NormaliseContext, NormaliseResult, RawRow, RowNormaliser } from '../normalise.js';
import {
  type BoundingBox,
  cleanText,
  locate,
  num,
  put,
  readLocation,
  text,
  unpadded,
} from '../socrata-values.js';
import { finish, floatingToUtc, noteMapping, occurrence } from '../us-event.js';

export const LA_SOURCE = 'la';
export const LA_TIME_ZONE = 'America/Los_Angeles';
/** City of Los Angeles (San Fernando Valley to San Pedro) with a small margin. */
export const LA_BOX: BoundingBox = { minLat: 33.7, maxLat: 34.35, minLon: -118.7, maxLon: -118.15 };

function normaliseRow(row: RawRow, ctx: NormaliseContext): NormaliseResult {
  const key = text(row, 'dr_no');
  if (!key) return { ok: false, reason: 'missing dr_no', payload: row };
  const occ = occurrence(text(row, 'date_occ'), text(row, 'time_occ') ?? null, LA_TIME_ZONE);
  if (typeof occ === 'string') return { ok: false, reason: `date_occ/time_occ: ${occ}`, payload: row };

  const crmCd = text(row, 'crm_cd');
  const desc = text(row, 'crm_cd_desc');
  const mapping = mapLaCrime(crmCd, desc);
  const sourceType = desc ?? '';
  noteMapping(LA_SOURCE, mapping, sourceType);

  const area: Record<string, string> = {};
  put(area, 'division', text(row, 'area_name'));
  put(area, 'divisionCode', unpadded(row, 'area'));
  put(area, 'reportingDistrict', text(row, 'rpt_dist_no'));

  const attributes: Record<string, unknown> = {};
  put(attributes, 'part', unpadded(row, 'part_1_2'));
  const mo = text(row, 'mocodes');
  if (mo) attributes.moCodes = mo.split(' ');
  const age = num(row, 'vict_age');
  // 0 and negative ages mean "unknown or no person victim" in LAPD data.
  if (age !== undefined && age > 0) attributes.victimAge = age;
  put(attributes, 'victimSex', cleanText(row, 'vict_sex'));
  put(attributes, 'victimDescent', cleanText(row, 'vict_descent'));
  put(attributes, 'premisesCode', text(row, 'premis_cd'));
  put(attributes, 'premisesDescription', cleanText(row, 'premis_desc'));
  put(attributes, 'weaponCode', text(row, 'weapon_used_cd'));
  put(attributes, 'weaponDescription', cleanText(row, 'weapon_desc'));
  const status = text(row, 'status')?.toUpperCase();
  put(attributes, 'status', status);
  put(attributes, 'statusDescription', text(row, 'status_desc'));
  if (status !== undefined && status !== 'CC') attributes.arrest = status === 'AA' || status === 'JA';
  const codes = ['crm_cd_1', 'crm_cd_2', 'crm_cd_3', 'crm_cd_4']
    .map((f) => text(row, f))
    .filter((c): c is string => !!c);
  if (codes.length) attributes.crimeCodes = codes;
  put(attributes, 'location', text(row, 'location'));
  put(attributes, 'crossStreet', text(row, 'cross_street'));

  const candidate: Record<string, unknown> = {
    id: eventId(LA_SOURCE, key),
    source: LA_SOURCE,
    sourceKey: key,
    incidentKey: key,
    ...occ,
    timeZone: LA_TIME_ZONE,
    ingestedAt: ctx.ingestedAt,
    category: mapping.category,
    subcategory: mapping.subcategory,
    sourceType,
    ...locate(readLocation(row, 'lat', 'lon', ['location_1', 'geocoded_column']), LA_BOX),
    areaId: area.division ?? 'unknown',
    area,
    attributes,
  };
  put(candidate, 'sourceCode', crmCd);
  put(candidate, 'reportedAt', floatingToUtc(text(row, 'date_rptd'), LA_TIME_ZONE));
  return finish(candidate, row);
}

export const laNormaliser: RowNormaliser = {
  source: LA_SOURCE,
  timeZone: LA_TIME_ZONE,
  normaliseRows(rows, ctx) {
    return rows.map((row) => {
      try {
        return normaliseRow(row, ctx);
      } catch (err) {
        return { ok: false, reason: `unexpected: ${(err as Error).message}`, payload: row };
      }
    });
  },
};
