/**
 * The data.police.uk connector (`uk-police`): street-level crimes, month by month, for configured areas.
 *
 * How it polls: `crimes-street-dates` says which months exist; for each configured area, every month
 * newer than the area's cursor is fetched whole with `crimes-street/all-crime` (by polygon, or by point
 * = one-mile radius), normalised as one batch, and followed by a `state` message. A polygon whose GET URL
 * would pass `maxGetUrlLength` (the API's limit is about 4094 characters) is sent as a POST form body.
 * When the API answers 503 (its answer for areas with more than 10,000 crimes), the area is split into
 * the quadrants of its bounding box, recursively up to `maxSplitDepth`; rows that come back from two
 * quadrants (points on a shared edge) are kept once, by the API's row `id`.
 *
 * Guarantees: at-least-once, idempotent by event id. The cursor (`{ lastMonth }` per area stream
 * `area:<id>`) moves only after a month's records have been emitted, so a crash re-reads at most one
 * month, and a month is always read whole (the key rule of the normaliser needs the whole month).
 * Months the portal republishes after they were ingested are not re-read (the cursor only moves forward).
 *
 * Freshness: a `status` message compares the newest published month with the clock. data.police.uk
 * publishes a month about 6–8 weeks after it ends, so `expectedLagMs` is 60 days, and the source is
 * stale when the newest month ended more than that plus a month's grace ago.
 */
import { z } from 'zod';
import { SourceError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { PoliteClient } from '../http/polite-client.js';
import type { RawRow } from '../normalise.js';
import type { CheckResult, ReadContext, Source, SourceMessage, SourceStatus } from '../source.js';
import { UK_POLICE_SOURCE, UK_TIME_ZONE, ukMonthStart, ukPoliceNormaliser } from './normalise.js';
import { formatPoly, type LatLng, pointPolygon, splitPolygon } from './polygon.js';

const DAY_MS = 24 * 3600 * 1000;
const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

const LatLngSchema = z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)]);

export const UkPoliceArea = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .describe('Area id; becomes `areaId` of its events and the cursor stream `area:<id>`.'),
    poly: z
      .array(LatLngSchema)
      .min(3)
      .optional()
      .describe('Polygon as `[lat, lng]` vertices (WGS84), not closed.'),
    point: z
      .object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) })
      .optional()
      .describe('Centre of a one-mile-radius query, instead of a polygon.'),
  })
  .strict()
  .refine((a) => (a.poly === undefined) !== (a.point === undefined), {
    message: 'give exactly one of poly or point',
  });
export type UkPoliceArea = z.infer<typeof UkPoliceArea>;

/** The City of London (its square mile, as a rough polygon): the force of the shipped samples. */
export const CITY_OF_LONDON_AREA: UkPoliceArea = {
  id: 'city-of-london',
  poly: [
    [51.5225, -0.1135],
    [51.5225, -0.0725],
    [51.5085, -0.0725],
    [51.5085, -0.1135],
  ],
};

export const UkPoliceConfig = z
  .object({
    url: z.url().default('https://data.police.uk/api').describe('API base URL (`CRIMEPULSE_UK_POLICE_URL`).'),
    areas: z.array(UkPoliceArea).min(1).default([CITY_OF_LONDON_AREA]).describe('Areas to poll.'),
    userAgent: z.string().min(1).default('CrimePulse/0.1 (+https://github.com/crimepulse/crimepulse)'),
    timeoutMs: z
      .number()
      .int()
      .min(60_000)
      .default(120_000)
      .describe('Per request; whole-month answers can be large and slow.'),
    maxRetries: z.number().int().min(0).default(3),
    backoffBaseMs: z.number().int().min(0).default(1000),
    rateLimit: z
      .object({ perSecond: z.number().positive(), burst: z.number().int().min(1) })
      .default({ perSecond: 15, burst: 30 })
      .describe("data.police.uk's published limit: 15 requests/s, bursts of 30."),
    maxGetUrlLength: z.number().int().min(100).default(4094).describe('Longer polygon queries go as POST.'),
    maxSplitDepth: z
      .number()
      .int()
      .min(0)
      .max(8)
      .default(4)
      .describe('How often a 503 area is split in four.'),
    initialMonths: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Months read on a first run without `--since`.'),
    expectedLagMs: z
      .number()
      .int()
      .positive()
      .default(60 * DAY_MS),
  })
  .strict();
export type UkPoliceConfig = z.infer<typeof UkPoliceConfig>;

const StreetDates = z.array(z.object({ date: z.string().regex(MONTH_RE) }).loose());
const CrimesStreet = z.array(z.object({ month: z.string() }).loose());

export interface UkPoliceDeps {
  /** Injected clock for freshness and `ingestedAt`. */
  now?: () => Date;
  /** Injected HTTP client (tests pass one with short backoff); default one per `read`. */
  client?: (config: UkPoliceConfig, log: Logger) => PoliteClient;
}

function defaultClient(config: UkPoliceConfig, log: Logger): PoliteClient {
  return new PoliteClient({
    userAgent: config.userAgent,
    log,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    backoffBaseMs: config.backoffBaseMs,
    rateLimit: config.rateLimit,
  });
}

function jsonValidator(result: { text: string; url: string }): void {
  try {
    JSON.parse(result.text);
  } catch (err) {
    // A cut-off body from a large month is worth another try.
    throw new SourceError('CP_ERR_SOURCE_BAD_RESPONSE', `unreadable JSON from ${result.url}`, { cause: err });
  }
}

function statusOf(err: unknown): number | undefined {
  if (!(err instanceof SourceError)) return undefined;
  const s = err.details?.status;
  return typeof s === 'number' ? s : undefined;
}

/** The month (`YYYY-MM`) holding an instant, in Europe/London. */
function londonMonth(d: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: UK_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(d);
  const y = parts.find((p) => p.type === 'year')?.value;
  const m = parts.find((p) => p.type === 'month')?.value;
  return `${y}-${m}`;
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** Freshness of the newest published month against the clock. */
export function ukFreshness(
  newestMonth: string | undefined,
  now: Date,
  expectedLagMs: number,
): Pick<SourceStatus, 'newestRecordAt' | 'stale' | 'message'> {
  if (!newestMonth) return { stale: true, message: 'the portal lists no months' };
  const endMs = Date.parse(ukMonthStart(nextMonth(newestMonth)) as string);
  const ageMs = now.getTime() - endMs;
  const stale = ageMs > expectedLagMs + 31 * DAY_MS;
  return {
    newestRecordAt: ukMonthStart(newestMonth) as string,
    stale,
    message: `newest month ${newestMonth} ended ${Math.round(ageMs / DAY_MS)} days ago${stale ? ' (stale)' : ''}`,
  };
}

/** Months to read for one area: after its cursor, else from `since`, else the newest `initialMonths`. */
export function monthsToRead(
  available: readonly string[],
  lastMonth: string | undefined,
  since: Date | undefined,
  initialMonths: number,
): string[] {
  const sorted = [...new Set(available)].sort();
  if (lastMonth) return sorted.filter((m) => m > lastMonth);
  if (since) {
    const from = londonMonth(since);
    return sorted.filter((m) => m >= from);
  }
  return sorted.slice(-initialMonths);
}

class MonthFetcher {
  constructor(
    private readonly client: PoliteClient,
    private readonly config: UkPoliceConfig,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  /** Every crime of one area and month, split on 503, de-duplicated by the API's row id. */
  async fetch(area: UkPoliceArea, month: string): Promise<RawRow[]> {
    const rows =
      area.point !== undefined
        ? await this.fetchPoint(area.point.lat, area.point.lng, month)
        : await this.fetchPoly(area.poly as LatLng[], month, 0);
    const seen = new Set<string>();
    const out: RawRow[] = [];
    for (const row of rows) {
      const id = row.id === undefined || row.id === null ? undefined : String(row.id);
      if (id !== undefined) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      out.push({ ...row, polled_area: area.id });
    }
    return out;
  }

  private async fetchPoint(lat: number, lng: number, month: string): Promise<RawRow[]> {
    try {
      return await this.get({ lat: String(lat), lng: String(lng), date: month });
    } catch (err) {
      if (statusOf(err) !== 503) throw err;
      this.log.warn({ month, lat, lng }, 'point query too large (503); splitting its circle');
      return this.splitAndFetch(pointPolygon(lat, lng), month, 1);
    }
  }

  private async fetchPoly(poly: LatLng[], month: string, depth: number): Promise<RawRow[]> {
    try {
      return await this.get({ poly: formatPoly(poly), date: month });
    } catch (err) {
      if (statusOf(err) !== 503) throw err;
      if (depth >= this.config.maxSplitDepth) {
        throw new SourceError(
          'CP_ERR_SOURCE_HTTP',
          `area still too large for one request after ${depth} splits (${month})`,
          { cause: err },
        );
      }
      this.log.warn(
        { month, depth, vertices: poly.length },
        'polygon too large (503); splitting into quadrants',
      );
      return this.splitAndFetch(poly, month, depth + 1);
    }
  }

  private async splitAndFetch(poly: LatLng[], month: string, depth: number): Promise<RawRow[]> {
    const out: RawRow[] = [];
    for (const part of splitPolygon(poly)) out.push(...(await this.fetchPoly(part, month, depth)));
    return out;
  }

  private async get(params: Record<string, string>): Promise<RawRow[]> {
    const base = `${this.config.url.replace(/\/+$/, '')}/crimes-street/all-crime`;
    // `,` and `:` are legal in a query string, so the poly is sent unescaped (as the API documents it).
    const url = `${base}?${Object.entries(params)
      .map(([k, v]) => `${k}=${v}`)
      .join('&')}`;
    const res =
      url.length <= this.config.maxGetUrlLength
        ? await this.client.request(url, { signal: this.signal, validate: jsonValidator })
        : await this.client.request(base, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(params).toString(),
            signal: this.signal,
            validate: jsonValidator,
          });
    const parsed = CrimesStreet.safeParse(JSON.parse(res.text));
    if (!parsed.success) {
      throw new SourceError(
        'CP_ERR_SOURCE_SCHEMA_DRIFT',
        `crimes-street answer is not a list of crimes: ${parsed.error.message}`,
      );
    }
    return parsed.data as RawRow[];
  }
}

async function fetchMonths(
  client: PoliteClient,
  config: UkPoliceConfig,
  signal: AbortSignal,
): Promise<string[]> {
  const res = await client.request(`${config.url.replace(/\/+$/, '')}/crimes-street-dates`, {
    signal,
    validate: jsonValidator,
  });
  const parsed = StreetDates.safeParse(JSON.parse(res.text));
  if (!parsed.success)
    throw new SourceError(
      'CP_ERR_SOURCE_SCHEMA_DRIFT',
      `crimes-street-dates changed shape: ${parsed.error.message}`,
    );
  return parsed.data.map((d) => d.date).sort();
}

/** Builds the connector; `deps` inject the clock and HTTP client. */
export function createUkPoliceSource(deps: UkPoliceDeps = {}): Source<UkPoliceConfig> {
  const now = deps.now ?? (() => new Date());
  const makeClient = deps.client ?? defaultClient;
  const defaults = UkPoliceConfig.parse({});
  return {
    id: UK_POLICE_SOURCE,
    description: 'data.police.uk street-level crimes (England, Wales, Northern Ireland), monthly',
    timeZone: UK_TIME_ZONE,
    expectedLagMs: defaults.expectedLagMs,
    defaultPollIntervalMs: 6 * 3600 * 1000,
    config: UkPoliceConfig,

    async check(config: UkPoliceConfig, signal: AbortSignal): Promise<CheckResult> {
      try {
        const client = makeClient({ ...config, maxRetries: 0 }, silentLogger);
        const months = await fetchMonths(client, config, signal);
        return {
          ok: months.length > 0,
          message: `${months.length} months published, newest ${months.at(-1) ?? 'none'}`,
        };
      } catch (err) {
        return { ok: false, message: err instanceof Error ? err.message : String(err) };
      }
    },

    async *read(config: UkPoliceConfig, ctx: ReadContext): AsyncIterable<SourceMessage> {
      const log = ctx.log.child({ component: 'source', source: UK_POLICE_SOURCE });
      const client = makeClient(config, log);
      const months = await fetchMonths(client, config, ctx.signal);
      const newest = months.at(-1);
      const base = { source: UK_POLICE_SOURCE, mode: 'live' as const, expectedLagMs: config.expectedLagMs };
      yield { kind: 'status', status: { ...base, ...ukFreshness(newest, now(), config.expectedLagMs) } };
      const fetcher = new MonthFetcher(client, config, log, ctx.signal);
      for (const area of config.areas) {
        const stream = `area:${area.id}`;
        const last = ctx.state?.[stream]?.lastMonth;
        const todo = monthsToRead(
          months,
          typeof last === 'string' ? last : undefined,
          ctx.since,
          config.initialMonths,
        );
        log.info({ stream, lastMonth: last ?? null, months: todo.length }, 'reading months');
        for (const month of todo) {
          ctx.signal.throwIfAborted();
          const rows = await fetcher.fetch(area, month);
          const results = ukPoliceNormaliser.normaliseRows(rows, {
            ingestedAt: now().toISOString(),
            origin: `${area.id}/${month}`,
          });
          let recordCount = 0;
          for (const r of results) {
            if (r.ok) {
              recordCount++;
              yield { kind: 'record', event: r.event };
            } else yield { kind: 'reject', source: UK_POLICE_SOURCE, reason: r.reason, payload: r.payload };
          }
          yield {
            kind: 'state',
            source: UK_POLICE_SOURCE,
            stream,
            cursor: { lastMonth: month },
            recordCount,
          };
          log.info({ stream, month, recordCount, rejected: results.length - recordCount }, 'month ingested');
        }
      }
      yield {
        kind: 'status',
        status: {
          ...base,
          ...ukFreshness(newest, now(), config.expectedLagMs),
          lastSuccessAt: now().toISOString(),
        },
      };
    },
  };
}

/** The connector with the real clock and client. */
export const ukPoliceSource: Source<UkPoliceConfig> = createUkPoliceSource();
