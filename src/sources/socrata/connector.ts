/**
 * The generic Socrata (SODA 2.x) connector: `socrataSource(spec)` is a `Source` for one dataset.
 *
 * A pass:
 * 1. A freshness probe, `$order=<freshnessField> DESC&$limit=1`, sent conditionally with the ETag and
 *    Last-Modified of the last complete pass. A 304 means the dataset has not changed: the pass ends
 *    with a `status` message and no requests for pages.
 * 2. Pages in `$order=<cursorField>,<keyField>`. The first page asks `<cursorField> >= <start>`
 *    (start = stored cursor minus the spec's lookback, or `--since`, or now minus the initial
 *    backfill); the `>=` re-reads the stored cursor's tie group on purpose, ids dedup downstream.
 *    Later pages use keyset paging after the last row, `(c > C) OR (c = C AND k > K)`, instead of
 *    `$offset`: an offset over a dataset that changes during the pass shifts rows between pages
 *    (an updated Chicago row jumps to the end), which skips a row for good; a keyset never does.
 * 3. After each page: one `record` or `reject` per row (the normaliser decides), then a `state`
 *    whose cursor is the last row's (cursor, key) — never past a row not yet emitted. The last state
 *    of a complete pass also carries the probe's ETag/Last-Modified and newest date.
 * 4. A `status` message: `newestRecordAt` is the newest value of the freshness field, so a frozen
 *    dataset (LA's, since early 2024) shows `stale` because its data is old, not because of a flag.
 *
 * Bad pages (HTML error pages, truncated JSON, a page that goes backwards: a stale or repeated page)
 * are retried by the client; when retries run out the pass throws a transient `SourceError` and the
 * cursor stays at the last good page. Schema drift: if `X-SODA2-Fields` lacks the cursor, key or a
 * required column (or the portal answers `no-such-column`), the pass emits a `log` and throws
 * `CP_ERR_SOURCE_SCHEMA_DRIFT` (kind `config`) before emitting any row of that page, so nothing is
 * dead-lettered en masse and the cursor does not move; the operator fixes the mapping. A required
 * column whose type changed is logged as a warning and rows go on to the normaliser, which rejects
 * the ones it cannot read (dead letters with the raw payload).
 *
 * Delivery: at-least-once, idempotent by event id. Rows whose cursor field is null are never read
 * (SoQL comparisons exclude nulls); none of the configured datasets has such rows.
 */
import { z } from 'zod';
import { SourceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { HttpResult } from '../http/polite-client.js';
import { PoliteClient } from '../http/polite-client.js';
import { localToUtcIso } from '../local-time.js';
import type { RawRow } from '../normalise.js';
import type { CheckResult, Cursor, ReadContext, Source, SourceMessage, SourceStatus } from '../source.js';
import { SOCRATA_DEFAULTS, type SocrataDatasetSpec } from './dataset-spec.js';

export const SocrataConfig = z
  .object({
    url: z
      .url()
      .optional()
      .describe('Portal root (default: the dataset spec’s); tests point it at 127.0.0.1.'),
    datasetId: z
      .string()
      .regex(/^[a-z0-9]{4}-[a-z0-9]{4}$/)
      .optional()
      .describe(
        'Another dataset with the same columns (e.g. NYC historic instead of year-to-date); the state stream follows it.',
      ),
    appToken: z.string().min(1).optional().describe('Socrata app token, sent as X-App-Token; never logged.'),
    userAgent: z.string().min(1).default('CrimePulse/0.1 (+https://github.com/crimepulse/crimepulse)'),
    pageSize: z.number().int().min(1).max(50_000).optional().describe('Rows per page (default: the spec’s).'),
    timeoutMs: z.number().int().positive().default(30_000).describe('Per-attempt timeout of a page request.'),
    checkTimeoutMs: z.number().int().positive().default(5_000).describe('Timeout of the reachability probe.'),
    maxRetries: z.number().int().min(0).default(4),
    backoffBaseMs: z.number().int().min(0).default(500),
    retryAfterMaxMs: z.number().int().min(0).default(60_000),
    rateLimit: z
      .object({ perSecond: z.number().positive(), burst: z.number().int().min(1) })
      .default({ perSecond: 2, burst: 4 })
      .describe('Per-host token bucket; Socrata throttles unauthenticated clients hard.'),
  })
  // Unknown keys are dropped (zod's default), so a source's settings object can be passed as is.
  .describe('Live settings of a Socrata source; every field has a default.');
export type SocrataConfig = z.infer<typeof SocrataConfig>;

export interface SocrataDeps {
  /** Shared client (e.g. one per portal host, so the NYC datasets share a budget); default: one per source. */
  client?: PoliteClient;
  /** Clock for freshness; default `new Date()`. */
  now?: () => Date;
  /** Logger for `check()`, which gets no context. */
  log?: Logger;
}

/** The cursor a Socrata stream stores: position plus what the last complete pass saw. */
export interface SocrataCursor extends Cursor {
  cursor: string | null;
  key: string | null;
  etag: string | null;
  lastModified: string | null;
  newest: string | null;
}

interface Position {
  c: string;
  k: string;
}

const FLOATING = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/** A SODA floating timestamp (local wall time, no zone) as a UTC ISO instant. */
export function floatingToUtc(value: string, timeZone: string): string | undefined {
  const m = FLOATING.exec(value);
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  return localToUtcIso(
    {
      year: n(1),
      month: n(2),
      day: n(3),
      hour: n(4),
      minute: n(5),
      second: n(6),
      millisecond: Number((m[7] ?? '0').padEnd(3, '0')),
    },
    timeZone,
  );
}

/** A UTC instant as the floating timestamp SoQL compares with, in the portal's zone. */
export function utcToFloating(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  const ms = String(at.getUTCMilliseconds()).padStart(3, '0');
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}.${ms}`;
}

/** A SoQL string literal. */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function badResponse(message: string, url: string): SourceError {
  return new SourceError('CP_ERR_SOURCE_BAD_RESPONSE', message, { details: { url } });
}

/** Parses a SODA JSON body, refusing HTML error pages and truncated or non-array JSON (all retried). */
export function parseSodaRows(result: HttpResult): RawRow[] {
  const type = result.headers.get('content-type') ?? '';
  const body = result.text.trimStart();
  if (type.includes('html') || body.startsWith('<'))
    throw badResponse('portal sent an HTML page instead of JSON', result.url);
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw badResponse(`portal sent unreadable JSON (${result.text.length} bytes; truncated?)`, result.url);
  }
  if (!Array.isArray(data) || data.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
    throw badResponse('portal sent JSON that is not an array of rows', result.url);
  }
  return data as RawRow[];
}

/** `X-SODA2-Fields`/`X-SODA2-Types` as a name → type map; undefined when the portal (or a proxy) omits them. */
export function sodaSchema(headers: Headers): Map<string, string> | undefined {
  const fields = headers.get('x-soda2-fields');
  if (!fields) return undefined;
  try {
    const names = JSON.parse(fields) as unknown;
    const types = JSON.parse(headers.get('x-soda2-types') ?? '[]') as unknown;
    if (!Array.isArray(names)) return undefined;
    return new Map(names.map((n, i) => [String(n), Array.isArray(types) ? String(types[i] ?? '') : '']));
  } catch {
    return undefined;
  }
}

export function socrataSource(spec: SocrataDatasetSpec, deps: SocrataDeps = {}): Source<SocrataConfig> {
  const freshnessField = spec.freshnessField ?? spec.cursorField;
  const now = deps.now ?? (() => new Date());
  let ownClient: { key: string; client: PoliteClient } | undefined;

  const clientFor = (cfg: SocrataConfig, log: Logger): PoliteClient => {
    if (deps.client) return deps.client;
    const key = JSON.stringify([
      cfg.userAgent,
      cfg.timeoutMs,
      cfg.maxRetries,
      cfg.backoffBaseMs,
      cfg.rateLimit,
    ]);
    if (ownClient?.key !== key) {
      ownClient = {
        key,
        client: new PoliteClient({
          userAgent: cfg.userAgent,
          log,
          timeoutMs: cfg.timeoutMs,
          maxRetries: cfg.maxRetries,
          backoffBaseMs: cfg.backoffBaseMs,
          retryAfterMaxMs: cfg.retryAfterMaxMs,
          rateLimit: cfg.rateLimit,
        }),
      };
    }
    return ownClient.client;
  };

  const datasetOf = (cfg: SocrataConfig) => cfg.datasetId ?? spec.datasetId;
  const resourceUrl = (cfg: SocrataConfig) =>
    `${(cfg.url ?? spec.defaultBaseUrl).replace(/\/+$/, '')}/resource/${datasetOf(cfg)}.json`;
  const authHeaders = (cfg: SocrataConfig): Record<string, string> =>
    cfg.appToken ? { 'X-App-Token': cfg.appToken } : {};
  const keyLiteral = (k: string) => (spec.keyType === 'number' && /^-?\d+(\.\d+)?$/.test(k) ? k : quote(k));
  const compareKeys = (a: string, b: string) =>
    spec.keyType === 'number' ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
  const comparePos = (a: Position, b: Position) => (a.c < b.c ? -1 : a.c > b.c ? 1 : compareKeys(a.k, b.k));
  const positionOf = (row: RawRow): Position | undefined => {
    const c = row[spec.cursorField];
    const k = row[spec.keyField];
    return typeof c === 'string' && (typeof k === 'string' || typeof k === 'number')
      ? { c, k: String(k) }
      : undefined;
  };

  /** Throws schema drift when a column we page or normalise by is gone; returns warnings for type changes. */
  const checkSchema = (res: HttpResult, expectTypes: Map<string, string> | undefined): string[] => {
    const schema = sodaSchema(res.headers);
    if (!schema) return [];
    const needed = [spec.cursorField, spec.keyField, ...spec.requiredFields];
    // System fields (`:id`) are not listed unless selected.
    const missing = [...new Set(needed)].filter((f) => !f.startsWith(':') && !schema.has(f));
    if (missing.length > 0) {
      throw new SourceError(
        'CP_ERR_SOURCE_SCHEMA_DRIFT',
        `${spec.id}: dataset lost column(s) ${missing.join(', ')}`,
        {
          details: { missing, fields: [...schema.keys()], url: res.url },
        },
      );
    }
    if (!expectTypes) return [];
    return spec.requiredFields
      .filter((f) => expectTypes.has(f) && expectTypes.get(f) !== schema.get(f))
      .map((f) => `${f}: ${expectTypes.get(f)} → ${schema.get(f)}`);
  };

  const request = async (
    client: PoliteClient,
    url: string,
    init: Parameters<PoliteClient['request']>[1],
  ): Promise<HttpResult> => {
    try {
      return await client.request(url, init);
    } catch (err) {
      // A query naming a column the dataset no longer has is answered 400 `query.soql.no-such-column`.
      if (
        err instanceof SourceError &&
        err.code === 'CP_ERR_SOURCE_REFUSED' &&
        /no-such-column/i.test(String(err.details?.body))
      ) {
        throw new SourceError(
          'CP_ERR_SOURCE_SCHEMA_DRIFT',
          `${spec.id}: dataset no longer has a queried column`,
          {
            cause: err,
            details: err.details ?? {},
          },
        );
      }
      throw err;
    }
  };

  const statusOf = (
    newestLocal: string | null,
    lastModified: string | null,
    message: string,
  ): SourceStatus => {
    const newestRecordAt = newestLocal ? floatingToUtc(newestLocal, spec.timeZone) : undefined;
    const nowMs = now().getTime();
    const stale = newestRecordAt === undefined || nowMs - Date.parse(newestRecordAt) > spec.expectedLagMs;
    return {
      source: spec.id,
      mode: 'live',
      lastSuccessAt: new Date(nowMs).toISOString(),
      ...(lastModified ? { lastModified } : {}),
      ...(newestRecordAt ? { newestRecordAt } : {}),
      expectedLagMs: spec.expectedLagMs,
      stale,
      message: stale
        ? `${message}; newest ${freshnessField} ${newestLocal ?? 'unknown'} is older than the expected lag`
        : message,
    };
  };

  return {
    id: spec.id,
    description: spec.description,
    timeZone: spec.timeZone,
    expectedLagMs: spec.expectedLagMs,
    defaultPollIntervalMs: spec.pollIntervalMs,
    config: SocrataConfig,

    async check(config: SocrataConfig, signal: AbortSignal): Promise<CheckResult> {
      const cfg = SocrataConfig.parse(config ?? {});
      const client = new PoliteClient({
        userAgent: cfg.userAgent,
        log: deps.log ?? silentLogger,
        timeoutMs: cfg.checkTimeoutMs,
        maxRetries: 0,
      });
      const url = `${resourceUrl(cfg)}?$limit=1`;
      try {
        const res = await request(client, url, {
          signal,
          headers: authHeaders(cfg),
          validate: (r) => void parseSodaRows(r),
        });
        const lm = res.headers.get('last-modified');
        return { ok: true, message: `${datasetOf(cfg)} answered${lm ? `, last modified ${lm}` : ''}` };
      } catch (err) {
        return { ok: false, message: `${datasetOf(cfg)}: ${(err as Error).message}` };
      }
    },

    async *read(config: SocrataConfig, ctx: ReadContext): AsyncGenerator<SourceMessage> {
      const cfg = SocrataConfig.parse(config ?? {});
      const stream = datasetOf(cfg);
      const log = ctx.log.child({ component: 'socrata', source: spec.id, stream });
      const client = clientFor(cfg, log);
      const resource = resourceUrl(cfg);
      const headers = authHeaders(cfg);
      const pageSize = cfg.pageSize ?? spec.pageSize;
      const prev = ctx.state?.[stream] as Partial<SocrataCursor> | undefined;

      // 1. Freshness probe, conditional on the last complete pass.
      const probeUrl = `${resource}?${new URLSearchParams({
        $select: [...new Set([freshnessField, spec.cursorField, spec.keyField])].join(','),
        $where: `${freshnessField} IS NOT NULL`,
        $order: `${freshnessField} DESC`,
        $limit: '1',
      })}`;
      const probe = await request(client, probeUrl, {
        signal: ctx.signal,
        headers,
        ...(prev?.etag ? { etag: prev.etag } : {}),
        ...(prev?.lastModified ? { lastModified: prev.lastModified } : {}),
        validate: (r) => void parseSodaRows(r),
      });
      if (probe.notModified) {
        log.info({ datasetId: stream }, 'dataset not modified since the last pass');
        const lm = prev?.lastModified ? Date.parse(prev.lastModified) : Number.NaN;
        const lmIso = Number.isNaN(lm) ? null : new Date(lm).toISOString();
        yield {
          kind: 'status',
          status: statusOf(prev?.newest ?? null, lmIso, 'not modified since the last pass'),
        };
        return;
      }
      const probeTypes = sodaSchema(probe.headers);
      const newestRow = parseSodaRows(probe)[0];
      const newestValue = newestRow?.[freshnessField];
      const newest = typeof newestValue === 'string' ? newestValue : null;
      const etag = probe.headers.get('etag');
      const lastModifiedHttp = probe.headers.get('last-modified');
      const lastModifiedIso =
        lastModifiedHttp && !Number.isNaN(Date.parse(lastModifiedHttp))
          ? new Date(lastModifiedHttp).toISOString()
          : null;

      // 2. Pages.
      const stored: Position | undefined = prev?.cursor ? { c: prev.cursor, k: prev.key ?? '' } : undefined;
      const start = stored
        ? spec.lookbackMs
          ? utcToFloating(
              new Date(Date.parse(floatingToUtc(stored.c, spec.timeZone) ?? stored.c) - spec.lookbackMs),
              spec.timeZone,
            )
          : stored.c
        : ctx.since
          ? utcToFloating(ctx.since, spec.timeZone)
          : utcToFloating(
              new Date(now().getTime() - (spec.initialBackfillMs ?? SOCRATA_DEFAULTS.initialBackfillMs)),
              spec.timeZone,
            );
      let position: Position | undefined = stored;
      let after: Position | undefined;
      let pages = 0;
      let rowsRead = 0;
      let warned = false;
      const order = `${spec.cursorField},${spec.keyField}`;
      for (;;) {
        ctx.signal.throwIfAborted();
        const where = after
          ? `(${spec.cursorField} > ${quote(after.c)}) OR (${spec.cursorField} = ${quote(after.c)} AND ${spec.keyField} > ${keyLiteral(after.k)})`
          : `${spec.cursorField} >= ${quote(start)}`;
        const query: Record<string, string> = { $where: where, $order: order, $limit: String(pageSize) };
        // A system key (`:id`, for datasets without a unique column) is only returned when selected.
        if (spec.keyField.startsWith(':')) query.$select = ':*,*';
        const url = `${resource}?${new URLSearchParams(query)}`;
        let rows: RawRow[] = [];
        const floor = after;
        const res = await request(client, url, {
          signal: ctx.signal,
          headers,
          validate: (r) => {
            rows = parseSodaRows(r);
            // A page must move forward from where the last one ended and be in `$order`; a repeated
            // or stale page (a cache or a replica behind) would otherwise rewind or skip the cursor.
            let prior: Position | undefined;
            for (const row of rows) {
              const p = positionOf(row);
              if (!p) continue;
              const backwards = floor
                ? p.c < floor.c ||
                  (p.c === floor.c &&
                    (p.k === floor.k || (spec.keyType === 'number' && compareKeys(p.k, floor.k) < 0)))
                : p.c < start;
              // Text keys are ordered by the portal's collation, so only numeric keys are checked inside a tie.
              const unordered =
                prior !== undefined &&
                (p.c < prior.c ||
                  (p.c === prior.c && spec.keyType === 'number' && compareKeys(p.k, prior.k) <= 0));
              if (backwards || unordered) {
                throw badResponse(
                  `page out of order at ${spec.cursorField}=${p.c} ${spec.keyField}=${p.k} (stale or repeated page)`,
                  r.url,
                );
              }
              prior = p;
            }
          },
        });
        let warnings: string[];
        try {
          warnings = checkSchema(res, probeTypes);
        } catch (err) {
          yield {
            kind: 'log',
            level: 'error',
            message: (err as Error).message,
            fields: { ...(err as SourceError).details },
          };
          throw err;
        }
        if (warnings.length > 0 && !warned) {
          warned = true;
          yield {
            kind: 'log',
            level: 'warn',
            message: `${spec.id}: column types changed during the pass`,
            fields: { warnings },
          };
        }
        pages += 1;
        if (rows.length === 0) break;
        const ingestedAt = now().toISOString();
        for (const result of spec.normaliser.normaliseRows(rows, { ingestedAt, origin: url })) {
          yield result.ok
            ? { kind: 'record', event: result.event }
            : { kind: 'reject', source: spec.id, reason: result.reason, payload: result.payload };
        }
        rowsRead += rows.length;
        let last: Position | undefined;
        for (let i = rows.length - 1; i >= 0 && !last; i--) last = positionOf(rows[i] as RawRow);
        if (last && (!position || comparePos(last, position) > 0)) position = last;
        const cursor: SocrataCursor = {
          cursor: position?.c ?? start,
          key: position?.k ?? null,
          etag: null,
          lastModified: null,
          newest: null,
        };
        yield { kind: 'state', source: spec.id, stream, cursor, recordCount: rows.length };
        if (rows.length < pageSize || !last) break;
        after = last;
      }

      const final: SocrataCursor = {
        cursor: position?.c ?? start,
        key: position?.k ?? null,
        etag,
        lastModified: lastModifiedHttp,
        newest,
      };
      yield { kind: 'state', source: spec.id, stream, cursor: final, recordCount: 0 };
      log.info({ pages, rows: rowsRead, cursor: final.cursor, newest }, 'socrata pass complete');
      yield {
        kind: 'status',
        status: statusOf(newest, lastModifiedIso, `read ${rowsRead} rows in ${pages} pages`),
      };
    },
  };
}
