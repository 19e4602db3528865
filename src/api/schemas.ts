/**
 * The frozen /v1 vocabulary: query parameters (one definition each, reused by every route), the paging
 * envelope and the error body. Query strings are strict objects, so an unknown parameter is a 400
 * naming it; list parameters may repeat (`?source=a&source=b`) or be comma-separated (`?source=a,b`).
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { Category } from '../core/categories.js';

export const ApiErrorBody = z
  .object({
    code: z.string().describe('Catalogue code, e.g. `CP_ERR_API_VALIDATION` (docs/errors.md).'),
    message: z
      .string()
      .describe(
        'What went wrong; for validation errors it starts with the field, e.g. `querystring.limit: ...`.',
      ),
    statusCode: z.number().int(),
  })
  .describe('Every /v1 and /admin error.');

export const ERROR_RESPONSES = {
  400: ApiErrorBody,
  404: ApiErrorBody,
  429: ApiErrorBody,
  503: ApiErrorBody,
} as const;

/** `{items, nextPageToken}`: pass `nextPageToken` back as `pageToken` for the next page; null on the last. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextPageToken: z.string().nullable() });
}

const MAX_LIST = 50;

function listParam<T extends z.ZodType<string, string>>(item: T, what: string) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) =>
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(z.array(item).max(MAX_LIST))
    .describe(`${what}; repeat the parameter or separate values with commas (at most ${MAX_LIST}).`);
}

export const SourceParam = listParam(
  z.string().regex(/^[a-z0-9-]{1,64}$/, 'a source id is [a-z0-9-]{1,64}'),
  'Source ids, e.g. `chicago`',
);
export const AreaParam = listParam(
  z
    .string()
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'control characters are not allowed'),
  "Area ids (the source's primary area: community area, precinct, LSOA...)",
);
export const CategoryParam = listParam(Category, 'Canonical categories');

const ISO_SHAPE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO date (UTC midnight) or datetime (no offset = UTC), between years 1900 and 2200; → ISO UTC instant. */
export const InstantParam = z
  .string()
  .max(40)
  .regex(ISO_SHAPE, 'expected an ISO date (2024-01-31) or datetime (2024-01-31T12:00:00Z)')
  .transform((s, ctx) => {
    const d = DateTime.fromISO(s, { zone: 'utc', setZone: false });
    if (!d.isValid || d.year < 1900 || d.year > 2200) {
      ctx.addIssue({ code: 'custom', message: `not a valid date between 1900 and 2200: ${s}` });
      return z.NEVER;
    }
    return d.toUTC().toISO() as string;
  });

export const BboxParam = z
  .string()
  .max(200)
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => p.trim());
    const nums = parts.map((p) => (/^-?\d+(\.\d+)?$/.test(p) ? Number(p) : Number.NaN));
    const [minLon, minLat, maxLon, maxLat] = nums as [number, number, number, number];
    if (nums.length !== 4 || nums.some((n) => !Number.isFinite(n))) {
      ctx.addIssue({ code: 'custom', message: 'expected four numbers minLon,minLat,maxLon,maxLat' });
      return z.NEVER;
    }
    if (minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90 || minLon > maxLon || minLat > maxLat) {
      ctx.addIssue({
        code: 'custom',
        message: 'bbox out of range or min > max (minLon,minLat,maxLon,maxLat in WGS84)',
      });
      return z.NEVER;
    }
    return [minLon, minLat, maxLon, maxLat] as [number, number, number, number];
  })
  .describe('minLon,minLat,maxLon,maxLat (WGS84).');

export const GranularityParam = z.enum(['hour', 'day', 'month']);

export function intParam(min: number, max: number, dflt: number) {
  return z
    .string()
    .regex(/^\d{1,7}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? dflt)
    .describe(`${min}..${max}, default ${dflt}.`);
}

export const PageTokenParam = z.string().min(1).max(512).describe('`nextPageToken` of the previous page.');
export const SeverityParam = z.enum(['low', 'medium', 'high']);

/** The filter every data route shares. */
export const FilterQuery = z.object({
  source: SourceParam.optional(),
  area: AreaParam.optional(),
  category: CategoryParam.optional(),
  from: InstantParam.optional().describe('Inclusive start: ISO date (UTC midnight) or datetime.'),
  to: InstantParam.optional().describe('Exclusive end: ISO date (UTC midnight) or datetime.'),
});
export type FilterQuery = z.output<typeof FilterQuery>;

/** Encodes a keyset position as an opaque page token. */
export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a page token, or undefined when it is not one of ours. */
export function decodeToken<T extends z.ZodType>(token: string, shape: T): z.infer<T> | undefined {
  try {
    const r = shape.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
