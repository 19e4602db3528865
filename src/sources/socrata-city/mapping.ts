/**
 * The mapping file of a config-driven Socrata city (`sources/socrata-<city>.json`): which dataset, which
 * columns mean what, and how the city's offence types map to canonical categories. A new city is a new
 * JSON file, no code: `createSocrataCityNormaliser(mapping)` reads its rows and `socrataCitySpec(mapping)`
 * hands it to the generic Socrata connector.
 *
 * Field names are SODA API field names (`incident_datetime`), which is also what `readRecordedFile`
 * makes of CSV export headers (`Incident Datetime`). Durations are ISO 8601 (`P2D`, `PT15M`).
 */
import { Duration } from 'luxon';
import { z } from 'zod';
import { Category } from '../../core/categories.js';
import { SourceId } from '../../core/crime-event.js';

const Field = z.string().min(1).max(200).describe('A SODA field name, e.g. `incident_datetime`.');

const IsoDuration = z
  .string()
  .transform((s, ctx) => {
    const d = Duration.fromISO(s);
    if (!d.isValid) {
      ctx.addIssue({ code: 'custom', message: `not an ISO 8601 duration: ${s}` });
      return z.NEVER;
    }
    return d.toMillis();
  })
  .describe('ISO 8601 duration, e.g. `P2D`, `PT15M`; parsed to milliseconds.');

const IanaZone = z.string().refine(
  (z) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: z });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone' },
);

const Occurred = z.union([
  z.object({ datetime: Field.describe('One column holding date and time.') }).strict(),
  z
    .object({
      date: Field.describe('The date column (a datetime column whose time part is ignored is fine).'),
      time: Field.optional().describe('The time-of-day column (`HH:MM`); absent: the city gives dates only.'),
    })
    .strict(),
]);

export const SocrataCityFields = z
  .object({
    key: Field.describe('Unique row key; becomes `sourceKey`.'),
    keyType: z
      .enum(['number', 'text'])
      .default('text')
      .describe('SoQL type of the key (numbers page numerically).'),
    incidentKey: Field.optional().describe('Groups rows of one incident; absent: each row is an incident.'),
    occurred: Occurred,
    reported: Field.optional().describe('Report datetime → `reportedAt`.'),
    updated: Field.optional().describe('Last-update datetime → `updatedAt`.'),
    lat: Field.optional(),
    lon: Field.optional(),
    location: z
      .array(Field)
      .default([])
      .describe('Fallback point columns: GeoJSON, `(lat, lon)`, WKT `POINT (lon lat)`.'),
    areaId: Field.optional().describe('The primary area (the series key); absent or empty: `unknown`.'),
    area: z
      .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/), Field)
      .default({})
      .describe('Stable area name → column.'),
    type: Field.describe('The offence type column the category map is keyed by; kept as `sourceType`.'),
    subtype: Field.optional().describe(
      'A finer type column; its value (slugged) is the subcategory when the map gives none.',
    ),
    code: Field.optional().describe('The offence code column; kept as `sourceCode`.'),
  })
  .strict();
export type SocrataCityFields = z.infer<typeof SocrataCityFields>;

const CategoryTarget = z
  .union([
    Category,
    z
      .object({
        category: Category,
        subcategory: z
          .string()
          .regex(/^[a-z0-9-]+$/)
          .max(200)
          .optional(),
      })
      .strict(),
  ])
  .transform((t) => (typeof t === 'string' ? { category: t } : t));

export const BoundingBox = z
  .object({
    minLat: z.number().min(-90).max(90),
    maxLat: z.number().min(-90).max(90),
    minLon: z.number().min(-180).max(180),
    maxLon: z.number().min(-180).max(180),
  })
  .strict()
  .refine((b) => b.minLat < b.maxLat && b.minLon < b.maxLon, { message: 'min must be below max' });

export const SocrataCityMapping = z
  .object({
    $schema: z.string().optional(),
    source: SourceId.refine((s) => s.startsWith('socrata-'), {
      message: 'mapped cities are named `socrata-<city>`',
    }),
    description: z.string().min(1),
    baseUrl: z.url().describe('Portal root, e.g. `https://data.sfgov.org`.'),
    dataset: z
      .string()
      .regex(/^[a-z0-9]{4}-[a-z0-9]{4}$/)
      .describe('Socrata 4x4 dataset id.'),
    timeZone: IanaZone.describe('IANA zone of the floating timestamps.'),
    expectedLag: IsoDuration.describe('Usual delay between an incident and its appearance on the portal.'),
    pollInterval: IsoDuration.default(15 * 60_000),
    lookback: IsoDuration.default(0).describe('Re-read this much before the cursor on each pass.'),
    initialBackfill: IsoDuration.default(30 * 24 * 3600_000),
    pageSize: z.number().int().min(1).max(50_000).default(5000),
    cursor: z
      .object({
        field: Field.describe('Floating-timestamp column the incremental pass follows.'),
        order: z
          .literal('asc')
          .default('asc')
          .describe('Pages go in ascending (cursor, key) order: keyset paging needs it.'),
      })
      .strict(),
    freshnessField: Field.optional().describe(
      'Column whose newest value says how fresh the data is; default the occurrence column.',
    ),
    fields: SocrataCityFields,
    datetimeFormats: z
      .array(z.string().min(1))
      .default([])
      .describe('luxon formats for non-ISO, non-US datetimes in CSV exports, e.g. `yyyy/MM/dd hh:mm:ss a`.'),
    placeholderTimes: z
      .array(z.string().regex(/^\d{2}:\d{2}$/))
      .default([])
      .describe('Local `HH:MM` values the city uses for "time unknown"; such rows get day precision.'),
    categories: z
      .record(z.string(), CategoryTarget)
      .describe('Type value → canonical category (and subcategory); matched case-insensitively.'),
    bbox: BoundingBox.describe('The city with a margin; points outside are `out-of-region`.'),
    samples: z
      .array(z.string().regex(/^[^/].*\.(csv|csv\.gz|json|json\.gz)$/))
      .default([])
      .describe(
        'Recorded files for replay, relative to the samples folder (e.g. `sf/sf_police_incidents_2018-12.csv.gz`).',
      ),
  })
  .strict();
export type SocrataCityMapping = z.infer<typeof SocrataCityMapping>;
