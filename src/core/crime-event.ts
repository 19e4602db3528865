/**
 * The `CrimeEvent` contract: one normalised row from a portal, as published on `crime-incidents`.
 *
 * Invariants (see ARCHITECTURE.md, "The CrimeEvent contract"):
 * - `id` = `<source>:<sourceKey>` and is stable: re-ingesting a row gives the same id; a newer
 *   `updatedAt` for the same id replaces the older version downstream.
 * - An event is one portal row (a victim row for NYC shootings, an offence row for SF). Rows that
 *   belong to one incident share `incidentKey`, so windows can count rows and distinct incidents.
 * - `occurredAt` is a UTC instant; `timeZone` is the source's IANA zone and `timePrecision` says how
 *   much of the instant is real. Month-precision events (UK) carry the first instant of the local
 *   month and must never be placed in an hour or day window.
 * - Coordinates are WGS84; missing, (0,0) and out-of-region points are dropped and
 *   `locationStatus` says why.
 */
import { z } from 'zod';
import { Category } from './categories.js';

export const SourceId = z
  .string()
  .regex(/^[a-z0-9-]+$/, 'source ids are lower-case letters, digits and dashes')
  .describe('Source id, e.g. `chicago`, `uk-police`, `nyc-complaints`, `socrata-sf`.');
export type SourceId = z.infer<typeof SourceId>;

export const TimePrecision = z.enum(['minute', 'hour', 'day', 'month']);
export type TimePrecision = z.infer<typeof TimePrecision>;

export const LocationStatus = z
  .enum(['ok', 'missing', 'zero', 'out-of-region', 'invalid'])
  .describe(
    'Why lat/lon are absent: `missing` upstream, `zero` (0,0 placeholder), `out-of-region`, `invalid`.',
  );
export type LocationStatus = z.infer<typeof LocationStatus>;

/** Flags about the time of occurrence that downstream stages must respect. */
export const TimeFlag = z.enum([
  'placeholder-time', // a portal's "unknown time" value (NYC 00:01, Chicago 12:01 AM, exact midnight), precision lowered to day
  'date-only', // the portal gives no time of day at all
  'month-only', // the portal gives only a month (UK)
]);
export type TimeFlag = z.infer<typeof TimeFlag>;

const IsoInstant = z.iso.datetime({ offset: false }).describe('UTC instant, ISO 8601 with `Z`.');

export const CrimeEvent = z
  .object({
    id: z.string().min(3).max(512),
    source: SourceId,
    sourceKey: z.string().min(1).max(480),
    incidentKey: z
      .string()
      .min(1)
      .max(480)
      .describe('Groups rows of one incident; equals sourceKey when a row is an incident.'),
    occurredAt: IsoInstant,
    timeZone: z.string().min(1).describe('IANA zone of the source, e.g. America/Chicago.'),
    timePrecision: TimePrecision,
    timeFlags: z.array(TimeFlag).default([]),
    reportedAt: IsoInstant.optional(),
    updatedAt: IsoInstant.optional(),
    ingestedAt: IsoInstant,
    category: Category,
    subcategory: z.string().max(200).optional(),
    sourceType: z
      .string()
      .max(300)
      .describe("The portal's own type text, e.g. `BURGLARY` or `Anti-social behaviour`."),
    sourceCode: z
      .string()
      .max(100)
      .optional()
      .describe("The portal's own code, e.g. Chicago IUCR `0610`, LA `Crm Cd` `510`."),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
    locationStatus: LocationStatus,
    areaId: z
      .string()
      .max(200)
      .describe(
        'Primary area of the series (Chicago community area, NYC precinct, LA division, UK LSOA, ...); `unknown` when absent.',
      ),
    area: z.record(z.string(), z.string()).describe('All area fields of the source, under stable names.'),
    attributes: z.record(z.string(), z.unknown()).describe('The remaining source fields, JSON values.'),
  })
  .strict()
  .refine((e) => e.id === `${e.source}:${e.sourceKey}`, {
    message: 'id must be `<source>:<sourceKey>`',
    path: ['id'],
  });
export type CrimeEvent = z.infer<typeof CrimeEvent>;

/** Builds the event id from its parts, the only way ids are made. */
export function eventId(source: string, sourceKey: string): string {
  return `${source}:${sourceKey}`;
}

/** The bus key of an event: `<source>:<areaId>`, so every series lives whole in one partition. */
export function eventKey(e: Pick<CrimeEvent, 'source' | 'areaId'>): string {
  return `${e.source}:${e.areaId}`;
}
