/**
 * Chicago "Crimes - 2001 to Present" (`ijzp-q8t2`) rows → CrimeEvents.
 *
 * One event = one portal row = one incident (Chicago publishes one row per incident, keyed by `id`,
 * with the most serious offence as its IUCR), so `incidentKey` = `sourceKey`. The key is `id`; rows
 * without it (the API-fields extract has no `id`) use `case_number` (the RD number, also unique per
 * incident; a reused case number is treated as an update of the same event).
 *
 * Time: `date` is floating America/Chicago time, `MM/DD/YYYY hh:mm:ss AM/PM` in CSV exports and
 * `YYYY-MM-DDTHH:mm:ss.SSS` in SODA JSON. 12:01 AM and exact midnight (00:00:00) are the portal's
 * "time unknown" values (the 2012 API extract has 133 rows at exactly midnight, 2012-01-01 inflated
 * to 574 rows): they get precision `day` and the `placeholder-time` flag, at local midnight.
 * `updated_on` → `updatedAt`; Chicago publishes no report date. DST: see local-time.ts.
 *
 * Area: `areaId` = community area (`'46'`), `unknown` when empty (the API extract has none).
 */

import { eventId } from '../../core/crime-event.js';
import { mapChicagoType } from '../../core/taxonomy/chicago.js';
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

export const CHICAGO_SOURCE = 'chicago';
export const CHICAGO_TIME_ZONE = 'America/Chicago';

/** City of Chicago plus O'Hare, with a small margin. */
export const CHICAGO_BOX: BoundingBox = { minLat: 41.6, maxLat: 42.05, minLon: -87.96, maxLon: -87.5 };

/** 00:00:00 and 00:01:00 (12:01 AM) are Chicago's "time unknown" values. */
export function isChicagoPlaceholderTime(w: WallTime): boolean {
  return w.hour === 0 && (w.minute === 0 || w.minute === 1) && (w.second ?? 0) === 0;
}

function normaliseRow(row: RawRow, ctx: NormaliseContext): NormaliseResult {
  const key = text(row, 'id') ?? text(row, 'case_number');
  if (!key) return { ok: false, reason: 'missing id and case_number', payload: row };
  const occ = occurrence(text(row, 'date'), undefined, CHICAGO_TIME_ZONE, {
    isPlaceholder: isChicagoPlaceholderTime,
  });
  if (typeof occ === 'string') return { ok: false, reason: occ, payload: row };

  const primaryType = text(row, 'primary_type');
  const iucr = text(row, 'iucr');
  const description = text(row, 'description');
  const fbiCode = text(row, 'fbi_code');
  const mapping = mapChicagoType({ iucr, primaryType, description, fbiCode });
  const sourceType = primaryType ?? '';
  noteMapping(CHICAGO_SOURCE, mapping, sourceType);

  const area: Record<string, string> = {};
  put(area, 'district', text(row, 'district'));
  put(area, 'beat', text(row, 'beat'));
  put(area, 'ward', unpadded(row, 'ward'));
  put(area, 'communityArea', unpadded(row, 'community_area'));

  const attributes: Record<string, unknown> = {};
  put(attributes, 'caseNumber', text(row, 'case_number'));
  put(attributes, 'block', text(row, 'block'));
  put(attributes, 'description', description);
  put(attributes, 'locationDescription', cleanText(row, 'location_description'));
  put(attributes, 'arrest', bool(row, 'arrest'));
  put(attributes, 'domestic', bool(row, 'domestic'));
  put(attributes, 'fbiCode', fbiCode);
  put(attributes, 'xCoordinate', num(row, 'x_coordinate'));
  put(attributes, 'yCoordinate', num(row, 'y_coordinate'));
  put(attributes, 'year', num(row, 'year'));

  const loc = locate(readLocation(row, 'latitude', 'longitude', ['location']), CHICAGO_BOX);
  const candidate: Record<string, unknown> = {
    id: eventId(CHICAGO_SOURCE, key),
    source: CHICAGO_SOURCE,
    sourceKey: key,
    incidentKey: key,
    ...occ,
    timeZone: CHICAGO_TIME_ZONE,
    ingestedAt: ctx.ingestedAt,
    category: mapping.category,
    subcategory: mapping.subcategory,
    sourceType,
    ...loc,
    areaId: area.communityArea ?? 'unknown',
    area,
    attributes,
  };
  put(candidate, 'sourceCode', iucr);
  put(candidate, 'updatedAt', floatingToUtc(text(row, 'updated_on'), CHICAGO_TIME_ZONE));
  return finish(candidate, row);
}

export const chicagoNormaliser: RowNormaliser = {
  source: CHICAGO_SOURCE,
  timeZone: CHICAGO_TIME_ZONE,
  normaliseRows(rows, ctx) {
    return rows.map((row) => {
      try {
        return normaliseRow(row, ctx);
      } catch (err) {
        // Belt and braces: the contract says never throw on a bad row.
        return { ok: false, reason: `unexpected: ${(err as Error).message}`, payload: row };
      }
    });
  },
};
