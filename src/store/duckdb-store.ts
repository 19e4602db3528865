/**
 * The embedded store: one DuckDB file (`$dataDir/store.duckdb`), opened by one process at a time.
 *
 * Guarantees:
 * - exactly once: each pipeline batch (events, re-aggregated windows, late_events, dead_letters,
 *   closed windows and their anomalies) commits in ONE transaction together with its position
 *   (bus_offsets, source_cursors) and the watermarks, so a crash at any instant leaves either the
 *   whole batch or none of it; a re-delivered event is a duplicate by id and changes nothing;
 * - an updated record (same id, newer updatedAt) replaces the stored one, and every window it
 *   touched, old and new, is recomputed from the events table (a window emptied this way keeps a
 *   row with zero counts, so the lake learns of it too);
 * - a batch's events go in as one CSV file read by `read_csv` (src/store/batch-csv.ts) and then one
 *   bulk statement per table, never row by row; reads use their own connection, so the API sees
 *   committed snapshots only.
 *
 * Speed (bench/pipeline.bench.ts): dedup by id is decided in JS (in-batch: a map; against the store:
 * a Bloom filter of stored ids, src/store/id-filter.ts, and point lookups of the few ids it cannot
 * rule out), so the usual all-new batch never joins `events`; windows are re-aggregated from the
 * time range the batch touched only (zone maps skip the rest); checkpoints are rarer (see openStore).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBValue,
} from '@duckdb/node-api';
import { StoreError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type {
  BatchInput,
  BatchOutcome,
  OffsetUpdate,
  PipelineStore,
  StagedEvent,
} from '../pipeline/pipeline-store.js';
import { type AnomalyRow, anomalyId, type ClosedWindow } from '../pipeline/scorer.js';
import type { CommittedBatch, WindowRow } from '../pipeline/sink.js';
import type { SourceWatermark } from '../pipeline/watermark.js';
import type { Cursor } from '../sources/source.js';
import { type CsvType, csvBool, csvNum, csvText, readCsvSql } from './batch-csv.js';
import { IdFilter } from './id-filter.js';
import { rowToAnomaly, rowToEvent, rowToWindow, tsToIso } from './rows.js';
import { MIGRATIONS } from './schema.js';

export interface Store extends PipelineStore {
  readonly path: string;
  /** Read-only connection for queries (src/store/queries); never used inside a write transaction. */
  readonly reader: DuckDBConnection;
  /** Committed source cursors: source → stream → cursor (what `runIngest` resumes from). */
  cursors(): Promise<Record<string, Record<string, Cursor>>>;
  /** Committed batches of a worker with seq > `afterSeq`, oldest first (lake recovery). */
  batchesSince(workerId: string, afterSeq: number): AsyncIterable<CommittedBatch>;
  /** Records the Delta version a lake table acknowledged for a worker. */
  recordLakeCommit(table: string, workerId: string, version: number): Promise<void>;
  /** Lake versions recorded so far, `table → workerId → version`. */
  lakeCommits(): Promise<Record<string, Record<string, number>>>;
  /** Schema versions applied. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

const WINDOW_TABLES = {
  hour: {
    table: 'windows_hourly',
    touched: 'touched_hour',
    key: 'hour_start',
  },
  day: { table: 'windows_daily', touched: 'touched_day', key: 'day_start' },
  month: { table: 'windows_monthly', touched: 'touched_month', key: 'month_start' },
} as const;

const STAGE_IDS = 'CREATE OR REPLACE TEMP TABLE stage_ids (id VARCHAR)';

const STAGE_DEAD = `CREATE OR REPLACE TEMP TABLE stage_dead (
  source VARCHAR, reason VARCHAR, payload VARCHAR, topic VARCHAR, "partition" INTEGER, "offset" VARCHAR)`;

const STAGE_ANOMALIES = `CREATE OR REPLACE TEMP TABLE stage_anomalies (
  id VARCHAR, granularity VARCHAR, source VARCHAR, area_id VARCHAR, category VARCHAR, window_start_ms DOUBLE, window_end_ms DOUBLE,
  observed DOUBLE, expected DOUBLE, lower DOUBLE, upper DOUBLE, p_value DOUBLE, q_value DOUBLE, severity VARCHAR,
  contributors VARCHAR, model_version VARCHAR, detected_ms DOUBLE)`;

const ts = (col: string): string => `epoch_ms(CAST(${col} AS BIGINT))`;

/** The columns of the batch CSV (`batch_rows`), in file order. */
const BATCH_COLUMNS = [
  ['id', 'VARCHAR'],
  ['source', 'VARCHAR'],
  ['source_key', 'VARCHAR'],
  ['incident_key', 'VARCHAR'],
  ['occurred_ms', 'DOUBLE'],
  ['time_zone', 'VARCHAR'],
  ['time_precision', 'VARCHAR'],
  ['time_flags', 'VARCHAR'],
  ['reported_ms', 'DOUBLE'],
  ['updated_ms', 'DOUBLE'],
  ['ingested_ms', 'DOUBLE'],
  ['category', 'VARCHAR'],
  ['subcategory', 'VARCHAR'],
  ['source_type', 'VARCHAR'],
  ['source_code', 'VARCHAR'],
  ['lat', 'DOUBLE'],
  ['lon', 'DOUBLE'],
  ['location_status', 'VARCHAR'],
  ['area_id', 'VARCHAR'],
  ['area', 'VARCHAR'],
  ['attributes', 'VARCHAR'],
  ['arrest', 'BOOLEAN'],
  ['domestic', 'BOOLEAN'],
  ['hour_ms', 'DOUBLE'],
  ['day_ms', 'DOUBLE'],
  ['day_end_ms', 'DOUBLE'],
  ['local_day', 'VARCHAR'],
  ['month_ms', 'DOUBLE'],
  ['month_end_ms', 'DOUBLE'],
  ['local_month', 'VARCHAR'],
  ['local_hour', 'INTEGER'],
  ['local_dow', 'INTEGER'],
  ['lateness', 'VARCHAR'],
  ['watermark_ms', 'DOUBLE'],
  ['event_json', 'VARCHAR'],
  ['action', 'VARCHAR'],
  ['applied', 'BOOLEAN'],
] as const satisfies readonly (readonly [string, CsvType])[];

/** A winner of the in-batch dedup that is not a duplicate of the store, with what happens to it. */
interface PlannedRow {
  s: StagedEvent;
  action: 'insert' | 'update' | 'duplicate';
  /** False for events beyond allowed lateness (they go to late_events only). */
  applied: boolean;
}

interface WatermarkAdvance {
  source: string;
  prevMs: number | null;
  newMs: number;
}

/** WAL size that triggers a checkpoint (see openStore). */
const CHECKPOINT_THRESHOLD = '512MB';

/** Up to this many maybe-stored ids are looked up with a literal IN list (index point lookups). */
const IN_LIST_MAX = 2000;

/** A SQL string literal. */
const sqlText = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const sqlTs = (ms: number): string => `epoch_ms(CAST(${Math.round(ms)} AS BIGINT))`;

const EVENT_FROM_BATCH = `SELECT id, source, source_key, incident_key, ${ts('occurred_ms')}, time_zone, time_precision, time_flags,
  ${ts('reported_ms')}, ${ts('updated_ms')}, ${ts('ingested_ms')}, category, subcategory, source_type, source_code, lat, lon,
  location_status, area_id, area, attributes, arrest, domestic, ${ts('hour_ms')}, ${ts('day_ms')}, ${ts('day_end_ms')},
  CAST(local_day AS DATE), ${ts('month_ms')}, ${ts('month_end_ms')}, local_month, local_hour, local_dow, $worker, $seq
  FROM batch_rows`;

/** Window keys of every applied row (from `batch_rows`), and of the versions it replaces (`old_rows`). */
function touchedSql(g: 'hour' | 'day' | 'month', withOld: boolean): string {
  const spec = {
    hour: {
      newStart: ts('hour_ms'),
      newEnd: `${ts('hour_ms')} + INTERVAL 1 HOUR`,
      newLabel: `local_day || 'T' || lpad(CAST(local_hour AS VARCHAR), 2, '0')`,
      newNotNull: 'hour_ms IS NOT NULL',
      oldStart: 'old_hour_start',
      oldEnd: 'old_hour_start + INTERVAL 1 HOUR',
      oldLabel: `CAST(old_local_day AS VARCHAR) || 'T' || lpad(CAST(old_local_hour AS VARCHAR), 2, '0')`,
      oldNotNull: 'old_hour_start IS NOT NULL',
    },
    day: {
      newStart: ts('day_ms'),
      newEnd: ts('day_end_ms'),
      newLabel: 'local_day',
      newNotNull: 'day_ms IS NOT NULL',
      oldStart: 'old_day_start',
      oldEnd: 'old_day_end',
      oldLabel: 'CAST(old_local_day AS VARCHAR)',
      oldNotNull: 'old_day_start IS NOT NULL',
    },
    month: {
      newStart: ts('month_ms'),
      newEnd: ts('month_end_ms'),
      newLabel: 'local_month',
      newNotNull: 'true',
      oldStart: 'old_month_start',
      oldEnd: 'old_month_end',
      oldLabel: 'old_local_month',
      oldNotNull: 'old_month_start IS NOT NULL',
    },
  }[g];
  const old = withOld
    ? `UNION
    SELECT DISTINCT old_source, old_area_id, old_category, ${spec.oldStart}, ${spec.oldEnd}, ${spec.oldLabel}
    FROM old_rows WHERE ${spec.oldNotNull}`
    : '';
  return `CREATE OR REPLACE TEMP TABLE ${WINDOW_TABLES[g].touched} AS
    SELECT DISTINCT source, area_id, category, ${spec.newStart} AS window_start, ${spec.newEnd} AS window_end, ${spec.newLabel} AS local_label
    FROM batch_rows WHERE applied AND ${spec.newNotNull}
    ${old}`;
}

/**
 * Recomputes the touched windows from `events`. `loMs`..`hiMs` bound the touched window starts: as
 * constants they let DuckDB skip, by zone maps, the row groups of `events` outside that time range
 * (a replay or a live feed appends in rough time order), instead of scanning the whole table.
 */
function recomputeSql(g: 'hour' | 'day' | 'month', loMs: number, hiMs: number): string[] {
  const { table, touched, key } = WINDOW_TABLES[g];
  return [
    `CREATE OR REPLACE TEMP TABLE recomputed AS
    SELECT t.source, t.area_id, t.category, t.window_start, t.window_end, t.local_label,
      count(e.id) AS event_count, count(DISTINCT e.incident_key) AS incident_count, count(e.id) FILTER (WHERE e.arrest) AS arrest_count,
      count(e.id) FILTER (WHERE e.domestic) AS domestic_count, count(e.arrest) AS arrest_known, count(e.domestic) AS domestic_known
    FROM ${touched} t
    LEFT JOIN (SELECT id, incident_key, arrest, domestic, source, area_id, category, ${key} FROM events
               WHERE ${key} BETWEEN ${sqlTs(loMs)} AND ${sqlTs(hiMs)}) e
      ON e.source = t.source AND e.area_id = t.area_id AND e.category = t.category AND e.${key} = t.window_start
    GROUP BY t.source, t.area_id, t.category, t.window_start, t.window_end, t.local_label`,
    `INSERT INTO ${table} (source, area_id, category, window_start, window_end, local_label, event_count, incident_count,
      arrest_count, domestic_count, arrest_known, domestic_known, worker_id, batch_seq)
    SELECT *, $worker, $seq FROM recomputed
    ON CONFLICT (source, area_id, category, window_start) DO UPDATE SET
      event_count = excluded.event_count, incident_count = excluded.incident_count, arrest_count = excluded.arrest_count,
      domestic_count = excluded.domestic_count, arrest_known = excluded.arrest_known, domestic_known = excluded.domestic_known,
      worker_id = excluded.worker_id, batch_seq = excluded.batch_seq`,
  ];
}

function closeSql(g: 'hour' | 'day' | 'month', advanced: readonly WatermarkAdvance[]): string {
  // Closed = window end ≤ its source's watermark. Watermarks only grow, so the windows that closed in
  // this batch are those between the previous and the new watermark: a select, never a table update.
  // The lowest previous watermark, as a constant, lets zone maps skip the long-closed row groups.
  const values = advanced
    .map(
      (a) =>
        `(${sqlText(a.source)}, ${a.prevMs === null ? 'NULL' : Math.round(a.prevMs)}, ${Math.round(a.newMs)})`,
    )
    .join(', ');
  const floor = advanced.every((a) => a.prevMs !== null)
    ? `AND w.window_end > ${sqlTs(Math.min(...advanced.map((a) => a.prevMs as number)))}`
    : '';
  return `SELECT w.source, w.area_id, w.category, CAST(w.window_start AS VARCHAR) AS window_start, CAST(w.window_end AS VARCHAR) AS window_end,
      w.event_count, w.incident_count, w.arrest_count, w.domestic_count
    FROM ${WINDOW_TABLES[g].table} w
    JOIN (VALUES ${values}) AS m(source, prev_ms, new_ms) ON m.source = w.source
    WHERE w.window_end <= epoch_ms(CAST(m.new_ms AS BIGINT))
      AND (m.prev_ms IS NULL OR w.window_end > epoch_ms(CAST(m.prev_ms AS BIGINT))) ${floor}
    ORDER BY w.source, w.area_id, w.category, w.window_start`;
}

/** Opens (creating if needed) the store file and applies pending migrations. */
export async function openStore(path: string, log: Logger): Promise<Store> {
  const slog = log.child({ component: 'store' });
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path);
  } catch (err) {
    const message = (err as Error).message;
    if (/lock/i.test(message)) {
      throw new StoreError(
        'CP_ERR_STORE_LOCKED',
        `the store file ${path} is locked by another process (${message.split('\n')[0]}); stop that process or use another data dir (CRIMEPULSE_DATA_DIR)`,
        { cause: err, details: { path } },
      );
    }
    throw new StoreError('CP_ERR_STORE_QUERY', `cannot open the store file ${path}: ${message}`, {
      cause: err,
      details: { path },
    });
  }
  const writer = await instance.connect();
  const reader = await instance.connect();
  await writer.run(`SET TimeZone = 'UTC'`);
  await reader.run(`SET TimeZone = 'UTC'`);
  // DuckDB checkpoints (rewrites changed row groups and the primary-key indexes) whenever the WAL
  // passes 16 MB by default: with 20k-event batches that was every commit and most of its time.
  // Commits stay durable (the WAL is synced at COMMIT); only the replay after a crash gets longer.
  await writer.run(`SET checkpoint_threshold = '${CHECKPOINT_THRESHOLD}'`);
  await migrate(writer, slog);
  for (const sql of [STAGE_IDS, STAGE_DEAD, STAGE_ANOMALIES]) await writer.run(sql);
  // The batch CSV lives next to the store (same disk, same clean-up); an in-memory store uses a temp dir.
  const stagingFile =
    path === ':memory:'
      ? join(mkdtempSync(join(tmpdir(), 'crimepulse-stage-')), 'batch.csv')
      : `${path}.stage-${process.pid}.csv`;
  return new DuckDBStore(path, instance, writer, reader, slog, stagingFile);
}

async function migrate(conn: DuckDBConnection, log: Logger): Promise<void> {
  await conn.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`,
  );
  const done = await conn.runAndReadAll('SELECT version FROM schema_migrations');
  const applied = new Set(done.getRowObjectsJS().map((r) => Number(r.version)));
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const sql of m.statements) await conn.run(sql);
      await conn.run('INSERT INTO schema_migrations VALUES ($v, $n, now()::TIMESTAMP)', {
        v: m.version,
        n: m.name,
      });
      await conn.run('COMMIT');
      log.info({ version: m.version, name: m.name }, 'store migration applied');
    } catch (err) {
      await conn.run('ROLLBACK');
      throw new StoreError(
        'CP_ERR_STORE_QUERY',
        `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}

function truthy(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === 'y' || s === 'yes' || s === '1') return true;
    if (s === 'false' || s === 'n' || s === 'no' || s === '0') return false;
  }
  return null;
}

function appendStr(a: DuckDBAppender, v: string | null | undefined): void {
  if (v === undefined || v === null) a.appendNull();
  else a.appendVarchar(v);
}
function appendNum(a: DuckDBAppender, v: number | null | undefined): void {
  if (v === undefined || v === null || !Number.isFinite(v)) a.appendNull();
  else a.appendDouble(v);
}
function appendInt(a: DuckDBAppender, v: number | null | undefined): void {
  if (v === undefined || v === null) a.appendNull();
  else a.appendInteger(v);
}
const isoMs = (s: string | undefined): number | undefined => (s === undefined ? undefined : Date.parse(s));

class DuckDBStore implements Store {
  private queue: Promise<unknown> = Promise.resolve();
  private ids: IdFilter | undefined;

  constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    readonly reader: DuckDBConnection,
    private readonly log: Logger,
    private readonly stagingFile: string,
  ) {}

  /** Serialises writer work: the writer connection holds at most one transaction at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async schemaVersion(): Promise<number> {
    const r = await this.reader.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM schema_migrations');
    return Number(r.getRowObjectsJS()[0]?.v ?? 0);
  }

  async watermarks(): Promise<Record<string, SourceWatermark>> {
    const r = await this.reader.runAndReadAll(
      'SELECT source, epoch_ms(max_occurred_at) AS m, epoch_ms(watermark) AS w FROM watermarks',
    );
    const out: Record<string, SourceWatermark> = {};
    for (const row of r.getRowObjectsJS())
      out[String(row.source)] = { maxOccurredMs: Number(row.m), watermarkMs: Number(row.w) };
    return out;
  }

  async busOffsets(groupId: string): Promise<OffsetUpdate[]> {
    const r = await this.reader.runAndReadAll(
      'SELECT topic, "partition", next_offset FROM bus_offsets WHERE "group" = $g ORDER BY topic, "partition"',
      {
        g: groupId,
      },
    );
    return r.getRowObjectsJS().map((row) => ({
      groupId,
      topic: String(row.topic),
      partition: Number(row.partition),
      nextOffset: String(row.next_offset),
    }));
  }

  async lastBatchSeq(workerId: string): Promise<number> {
    const r = await this.reader.runAndReadAll(
      'SELECT coalesce(max(seq), 0) AS s FROM pipeline_batches WHERE worker_id = $w',
      { w: workerId },
    );
    return Number(r.getRowObjectsJS()[0]?.s ?? 0);
  }

  async cursors(): Promise<Record<string, Record<string, Cursor>>> {
    const r = await this.reader.runAndReadAll(
      'SELECT source, stream, CAST(cursor AS VARCHAR) AS cursor FROM source_cursors',
    );
    const out: Record<string, Record<string, Cursor>> = {};
    for (const row of r.getRowObjectsJS()) {
      const source = String(row.source);
      out[source] ??= {};
      out[source][String(row.stream)] = JSON.parse(String(row.cursor)) as Cursor;
    }
    return out;
  }

  commitBatch(
    input: BatchInput,
    score?: (closed: ClosedWindow[]) => Promise<AnomalyRow[]>,
  ): Promise<BatchOutcome> {
    return this.exclusive(() => this.commitBatchNow(input, score));
  }

  private async stageDead(input: BatchInput): Promise<void> {
    await this.writer.run('DELETE FROM stage_dead');
    if (input.deadLetters.length === 0) return;
    const a = await this.writer.createAppender('stage_dead', 'main', 'temp');
    try {
      for (const d of input.deadLetters) {
        a.appendVarchar(d.source);
        a.appendVarchar(d.reason.slice(0, 2000));
        let payload: string;
        try {
          payload = JSON.stringify(d.payload ?? null) ?? 'null';
        } catch {
          payload = JSON.stringify(String(d.payload));
        }
        a.appendVarchar(payload);
        appendStr(a, d.topic);
        appendInt(a, d.partition);
        appendStr(a, d.offset);
        a.endRow();
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
  }

  private async stageAnomalies(rows: AnomalyRow[]): Promise<void> {
    await this.writer.run('DELETE FROM stage_anomalies');
    if (rows.length === 0) return;
    const a = await this.writer.createAppender('stage_anomalies', 'main', 'temp');
    try {
      for (const r of rows) {
        a.appendVarchar(r.id || anomalyId(r));
        a.appendVarchar(r.granularity);
        a.appendVarchar(r.source);
        a.appendVarchar(r.areaId);
        a.appendVarchar(r.category);
        a.appendDouble(Date.parse(r.windowStart));
        a.appendDouble(Date.parse(r.windowEnd));
        a.appendDouble(r.observed);
        a.appendDouble(r.expected);
        a.appendDouble(r.lower);
        a.appendDouble(r.upper);
        a.appendDouble(r.pValue);
        appendNum(a, r.qValue);
        a.appendVarchar(r.severity);
        a.appendVarchar(JSON.stringify(r.contributors ?? null));
        a.appendVarchar(r.modelVersion);
        a.appendDouble(Date.parse(r.detectedAt));
        a.endRow();
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
  }

  /** The id filter, built from the store on first use and rebuilt larger when it fills up. */
  private async idFilter(): Promise<IdFilter> {
    if (this.ids && this.ids.size <= this.ids.capacity) return this.ids;
    const c = this.writer;
    const n = Number(
      (await c.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0]?.n ?? 0,
    );
    const filter = new IdFilter(Math.max(1 << 20, 2 * n, 2 * (this.ids?.capacity ?? 0)));
    const r = await c.stream('SELECT id FROM events');
    for (;;) {
      const chunk = await r.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const id of chunk.getColumnValues(0)) filter.add(String(id));
    }
    this.ids = filter;
    this.log.debug({ ids: n, capacity: filter.capacity }, 'id filter built');
    return filter;
  }

  /** Stored `updated_at` (epoch ms, or null) of those `ids` that are in `events`. */
  private async storedVersions(ids: readonly string[]): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    if (ids.length === 0) return out;
    const c = this.writer;
    let r: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    if (ids.length <= IN_LIST_MAX) {
      // A literal IN list is answered from the primary-key index (point lookups); a join would scan.
      r = await c.runAndReadAll(
        `SELECT id, CAST(epoch_ms(updated_at) AS DOUBLE) AS u FROM events WHERE id IN (${ids.map(sqlText).join(', ')})`,
      );
    } else {
      // Many maybe-stored ids (a re-delivered batch): one hash join over the id column.
      await c.run('DELETE FROM stage_ids');
      const a = await c.createAppender('stage_ids', 'main', 'temp');
      try {
        for (const id of ids) {
          a.appendVarchar(id);
          a.endRow();
        }
        a.flushSync();
      } finally {
        a.closeSync();
      }
      r = await c.runAndReadAll(
        'SELECT e.id, CAST(epoch_ms(e.updated_at) AS DOUBLE) AS u FROM events e SEMI JOIN stage_ids s ON s.id = e.id',
      );
    }
    for (const row of r.getRowObjectsJS()) out.set(String(row.id), row.u === null ? null : Number(row.u));
    return out;
  }

  /** The batch's non-duplicate rows as CSV in the staging file, then as the temp table `batch_rows`. */
  private async stageRows(rows: readonly PlannedRow[]): Promise<void> {
    const parts: string[] = [];
    for (const { s, action, applied } of rows) {
      const e = s.event;
      const w = s.windows;
      parts.push(
        [
          csvText(e.id),
          csvText(e.source),
          csvText(e.sourceKey),
          csvText(e.incidentKey),
          csvNum(w.occurredMs),
          csvText(e.timeZone),
          csvText(e.timePrecision),
          csvText(JSON.stringify(e.timeFlags ?? [])),
          csvNum(isoMs(e.reportedAt)),
          csvNum(isoMs(e.updatedAt)),
          csvNum(Date.parse(e.ingestedAt)),
          csvText(e.category),
          csvText(e.subcategory),
          csvText(e.sourceType),
          csvText(e.sourceCode),
          csvNum(e.lat),
          csvNum(e.lon),
          csvText(e.locationStatus),
          csvText(e.areaId),
          csvText(JSON.stringify(e.area)),
          csvText(JSON.stringify(e.attributes)),
          csvBool(truthy(e.attributes.arrest)),
          csvBool(truthy(e.attributes.domestic)),
          csvNum(w.hourStart),
          csvNum(w.dayStart),
          csvNum(w.dayEnd),
          csvText(w.localDay),
          csvNum(w.monthStart),
          csvNum(w.monthEnd),
          csvText(w.localMonth),
          csvNum(w.localHour),
          csvNum(w.localDow),
          csvText(s.lateness),
          csvNum(s.watermarkMs),
          // The whole event only where it is needed as such (late_events); cheaper than rebuilding it in SQL.
          csvText(s.lateness === 'too-late' ? JSON.stringify(e) : null),
          csvText(action),
          csvBool(applied),
        ].join(','),
        '\n',
      );
    }
    writeFileSync(this.stagingFile, parts.join(''));
    await this.writer.run(
      `CREATE OR REPLACE TEMP TABLE batch_rows AS SELECT * FROM ${readCsvSql(this.stagingFile, BATCH_COLUMNS)}`,
    );
  }

  private async commitBatchNow(
    input: BatchInput,
    score?: (closed: ClosedWindow[]) => Promise<AnomalyRow[]>,
  ): Promise<BatchOutcome> {
    const c = this.writer;
    const p = { worker: input.workerId, seq: input.seq };
    const filter = await this.idFilter();
    // Dedup inside the batch: newest updatedAt wins, then the later arrival (in JS: one map pass).
    const winners = new Map<string, StagedEvent>();
    for (const s of input.events) {
      const cur = winners.get(s.event.id);
      if (!cur || (isoMs(s.event.updatedAt) ?? -Infinity) >= (isoMs(cur.event.updatedAt) ?? -Infinity))
        winners.set(s.event.id, s);
    }
    // Staging is outside the transaction's meaning (dead letters and anomalies: temp tables that only carry input).
    await this.stageDead(input);
    await c.run('BEGIN TRANSACTION');
    try {
      // Dedup against the store: only ids the filter cannot rule out are looked up.
      const maybe: string[] = [];
      for (const id of winners.keys()) if (filter.mightContain(id)) maybe.push(id);
      const stored = await this.storedVersions(maybe);
      const rows: PlannedRow[] = [];
      let duplicates = input.events.length - winners.size;
      let inserted = 0;
      let updated = 0;
      let lateApplied = 0;
      let sideOutput = 0;
      const appliedBySource: Record<string, number> = {};
      for (const [id, s] of winners) {
        let action: PlannedRow['action'] = 'insert';
        if (stored.has(id)) {
          const old = stored.get(id) ?? null;
          const u = isoMs(s.event.updatedAt);
          action = u !== undefined && (old === null || u > old) ? 'update' : 'duplicate';
        }
        if (action === 'duplicate') {
          duplicates++;
          continue;
        }
        const applied = s.lateness !== 'too-late';
        if (!applied) sideOutput++;
        else {
          if (action === 'insert') inserted++;
          else updated++;
          if (s.lateness === 'late') lateApplied++;
          appliedBySource[s.event.source] = (appliedBySource[s.event.source] ?? 0) + 1;
          // Added before COMMIT: a rollback leaves extra bits only (the filter stays a superset).
          filter.add(id);
        }
        rows.push({ s, action, applied });
      }

      let windowsChanged = 0;
      if (rows.length > 0) {
        await this.stageRows(rows);
        if (sideOutput > 0) {
          await c.run(
            `INSERT INTO late_events
            SELECT id, source, ${ts('occurred_ms')}, ${ts('watermark_ms')}, CAST(watermark_ms - occurred_ms AS BIGINT), event_json, now()::TIMESTAMP, $seq
            FROM batch_rows WHERE lateness = 'too-late'
            ON CONFLICT (id) DO NOTHING`,
            { seq: input.seq },
          );
        }
      }
      if (inserted + updated > 0) {
        if (updated > 0) {
          // The versions being replaced: their windows are re-aggregated too (an update may move an event).
          await c.run(`CREATE OR REPLACE TEMP TABLE old_rows AS
            SELECT source AS old_source, area_id AS old_area_id, category AS old_category, hour_start AS old_hour_start,
              day_start AS old_day_start, day_end AS old_day_end, local_day AS old_local_day, local_hour AS old_local_hour,
              month_start AS old_month_start, month_end AS old_month_end, local_month AS old_local_month
            FROM events WHERE id IN (SELECT id FROM batch_rows WHERE applied AND action = 'update')`);
        }
        for (const g of ['hour', 'day', 'month'] as const) await c.run(touchedSql(g, updated > 0));
        // New ids: a plain bulk insert; updates (rare) replace by primary key.
        await c.run(`INSERT INTO events ${EVENT_FROM_BATCH} WHERE applied AND action = 'insert'`, p);
        if (updated > 0)
          await c.run(
            `INSERT OR REPLACE INTO events ${EVENT_FROM_BATCH} WHERE applied AND action = 'update'`,
            p,
          );
        // Only the time range the touched windows span is read from `events` (zone maps skip the rest).
        const range =
          (
            await c.runAndReadAll(
              `SELECT ${(['hour', 'day', 'month'] as const)
                .map(
                  (g) =>
                    `(SELECT CAST(epoch_ms(min(window_start)) AS DOUBLE) FROM ${WINDOW_TABLES[g].touched}) AS ${g}_lo,
                   (SELECT CAST(epoch_ms(max(window_start)) AS DOUBLE) FROM ${WINDOW_TABLES[g].touched}) AS ${g}_hi`,
                )
                .join(', ')}`,
            )
          ).getRowObjectsJS()[0] ?? {};
        for (const g of ['hour', 'day', 'month'] as const) {
          const lo = range[`${g}_lo`];
          const hi = range[`${g}_hi`];
          if (lo === null || lo === undefined || hi === null || hi === undefined) continue;
          const [aggregate, upsert] = recomputeSql(g, Number(lo), Number(hi)) as [string, string];
          await c.run(aggregate);
          const r = await c.run(upsert, p);
          windowsChanged += Number(r.rowsChanged);
        }
      }
      if (input.deadLetters.length > 0) {
        await c.run(
          `INSERT INTO dead_letters
          SELECT source, md5(payload), any_value(reason), any_value(payload), any_value(topic), any_value("partition"), any_value("offset"),
            now()::TIMESTAMP, $seq
          FROM stage_dead GROUP BY source, md5(payload)
          ON CONFLICT (source, payload_hash) DO NOTHING`,
          { seq: input.seq },
        );
      }
      const wmSql = 'SELECT source, CAST(epoch_ms(watermark) AS DOUBLE) AS w FROM watermarks';
      const before = new Map<string, number>();
      for (const row of (await c.runAndReadAll(wmSql)).getRowObjectsJS())
        before.set(String(row.source), Number(row.w));
      let wmWritten = false;
      for (const [source, wm] of input.watermarks) {
        if (!Number.isFinite(wm.maxOccurredMs)) continue;
        wmWritten = true;
        await c.run(
          `INSERT INTO watermarks VALUES ($s, ${ts('$m')}, ${ts('$w')}, now()::TIMESTAMP)
          ON CONFLICT (source) DO UPDATE SET max_occurred_at = greatest(watermarks.max_occurred_at, excluded.max_occurred_at),
            watermark = greatest(watermarks.watermark, excluded.watermark), updated_at = excluded.updated_at`,
          {
            s: source,
            m: wm.maxOccurredMs,
            w: Number.isFinite(wm.watermarkMs) ? wm.watermarkMs : wm.maxOccurredMs,
          },
        );
      }
      // Windows closed by this batch's watermark advance, handed to the scorer once (with the anomalies in this transaction).
      const advanced: WatermarkAdvance[] = [];
      if (wmWritten) {
        for (const row of (await c.runAndReadAll(wmSql)).getRowObjectsJS()) {
          const source = String(row.source);
          const prevMs = before.get(source) ?? null;
          const newMs = Number(row.w);
          if (prevMs === null || newMs > prevMs) advanced.push({ source, prevMs, newMs });
        }
      }
      const closed: ClosedWindow[] = [];
      let closedCount = 0;
      if (advanced.length > 0 && !score) {
        // Nobody scores them: only their number is reported, so they are counted, not read.
        for (const g of ['hour', 'day', 'month'] as const) {
          const r = await c.runAndReadAll(`SELECT count(*) AS n FROM (${closeSql(g, advanced)})`);
          closedCount += Number(r.getRowObjectsJS()[0]?.n ?? 0);
        }
      } else if (advanced.length > 0) {
        for (const g of ['hour', 'day', 'month'] as const) {
          const r = await c.runAndReadAll(closeSql(g, advanced));
          for (const row of r.getRowObjectsJS()) {
            closed.push({
              granularity: g,
              source: String(row.source),
              areaId: String(row.area_id),
              category: String(row.category),
              windowStart: toIso(row.window_start),
              windowEnd: toIso(row.window_end),
              eventCount: Number(row.event_count),
              incidentCount: Number(row.incident_count),
              arrestCount: Number(row.arrest_count),
              domesticCount: Number(row.domestic_count),
            });
          }
        }
      }
      let anomalies: AnomalyRow[] = [];
      if (score && closed.length > 0) {
        anomalies = (await score(closed)).map((a) => ({ ...a, id: a.id || anomalyId(a) }));
        await this.stageAnomalies(anomalies);
        if (anomalies.length > 0) {
          await c.run(
            `INSERT OR REPLACE INTO anomalies
            SELECT id, granularity, source, area_id, category, ${ts('window_start_ms')}, ${ts('window_end_ms')}, observed, expected, lower, upper,
              p_value, q_value, severity, contributors, model_version, ${ts('detected_ms')}, $worker, $seq
            FROM stage_anomalies`,
            p,
          );
        }
      }
      for (const cu of input.cursors) {
        await c.run(
          `INSERT INTO source_cursors VALUES ($s, $st, $c, $n, now()::TIMESTAMP)
          ON CONFLICT (source, stream) DO UPDATE SET cursor = excluded.cursor, record_count = excluded.record_count, updated_at = excluded.updated_at`,
          { s: cu.source, st: cu.stream, c: JSON.stringify(cu.cursor), n: cu.recordCount },
        );
      }
      for (const o of input.offsets) {
        await c.run(
          `INSERT INTO bus_offsets VALUES ($g, $t, $p, $o, now()::TIMESTAMP)
          ON CONFLICT ("group", topic, "partition") DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
          { g: o.groupId, t: o.topic, p: o.partition, o: o.nextOffset },
        );
      }
      await c.run('INSERT INTO pipeline_batches VALUES ($worker, $seq, now()::TIMESTAMP, $n, $w, $a)', {
        ...p,
        n: inserted + updated,
        w: windowsChanged,
        a: anomalies.length,
      });
      await c.run('COMMIT');
      return {
        inserted,
        updated,
        duplicates,
        lateApplied,
        sideOutput,
        deadLetters: input.deadLetters.length,
        closedWindows: score ? closed.length : closedCount,
        anomalies,
        appliedBySource,
      };
    } catch (err) {
      try {
        await c.run('ROLLBACK');
      } catch {
        // The transaction may already be aborted; the original error is the one to report.
      }
      throw new StoreError(
        'CP_ERR_STORE_QUERY',
        `batch ${input.workerId}/${input.seq} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async readBatch(workerId: string, seq: number): Promise<CommittedBatch | undefined> {
    const q = { w: workerId, s: seq };
    const b = await this.reader.runAndReadAll(
      'SELECT CAST(committed_at AS VARCHAR) AS committed_at FROM pipeline_batches WHERE worker_id = $w AND seq = $s',
      q,
    );
    const head = b.getRowObjectsJS()[0];
    if (!head) return undefined;
    const ev = await this.reader.runAndReadAll(
      `${EVENT_SELECT} WHERE worker_id = $w AND batch_seq = $s ORDER BY occurred_at, id`,
      q,
    );
    const windows: WindowRow[] = [];
    for (const g of ['hour', 'day', 'month'] as const) {
      const r = await this.reader.runAndReadAll(
        `${windowSelect(WINDOW_TABLES[g].table)} WHERE worker_id = $w AND batch_seq = $s ORDER BY source, area_id, category, window_start`,
        q,
      );
      for (const row of r.getRowObjectsJS()) windows.push(rowToWindow(g, row));
    }
    const an = await this.reader.runAndReadAll(
      `${ANOMALY_SELECT} WHERE worker_id = $w AND batch_seq = $s ORDER BY id`,
      q,
    );
    return {
      workerId,
      seq,
      committedAt: toIso(head.committed_at),
      events: ev.getRowObjectsJS().map(rowToEvent),
      windows,
      anomalies: an.getRowObjectsJS().map(rowToAnomaly),
    };
  }

  async *batchesSince(workerId: string, afterSeq: number): AsyncIterable<CommittedBatch> {
    const r = await this.reader.runAndReadAll(
      'SELECT seq FROM pipeline_batches WHERE worker_id = $w AND seq > $s ORDER BY seq',
      {
        w: workerId,
        s: afterSeq,
      },
    );
    for (const row of r.getRowObjectsJS()) {
      const b = await this.readBatch(workerId, Number(row.seq));
      if (b) yield b;
    }
  }

  recordLakeCommit(table: string, workerId: string, version: number): Promise<void> {
    return this.exclusive(async () => {
      await this.writer.run(
        `INSERT INTO lake_commits VALUES ($t, $w, $v, now()::TIMESTAMP)
        ON CONFLICT (table_name, worker_id) DO UPDATE SET version = greatest(lake_commits.version, excluded.version), committed_at = excluded.committed_at`,
        { t: table, w: workerId, v: version },
      );
    });
  }

  async lakeCommits(): Promise<Record<string, Record<string, number>>> {
    const r = await this.reader.runAndReadAll('SELECT table_name, worker_id, version FROM lake_commits');
    const out: Record<string, Record<string, number>> = {};
    for (const row of r.getRowObjectsJS()) {
      const t = String(row.table_name);
      out[t] ??= {};
      out[t][String(row.worker_id)] = Number(row.version);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.queue;
    this.writer.closeSync();
    this.reader.closeSync();
    rmSync(this.stagingFile, { force: true });
    this.instance.closeSync();
    this.log.debug({ path: this.path }, 'store closed');
  }
}

const toIso = tsToIso;

export const EVENT_SELECT = `SELECT id, source, source_key, incident_key, CAST(occurred_at AS VARCHAR) AS occurred_at, time_zone, time_precision,
  CAST(time_flags AS VARCHAR) AS time_flags, CAST(reported_at AS VARCHAR) AS reported_at, CAST(updated_at AS VARCHAR) AS updated_at,
  CAST(ingested_at AS VARCHAR) AS ingested_at, category, subcategory, source_type, source_code, lat, lon, location_status, area_id,
  CAST(area AS VARCHAR) AS area, CAST(attributes AS VARCHAR) AS attributes FROM events`;

export function windowSelect(table: string): string {
  return `SELECT source, area_id, category, CAST(window_start AS VARCHAR) AS window_start, CAST(window_end AS VARCHAR) AS window_end, local_label,
    event_count, incident_count, arrest_count, domestic_count, arrest_known, domestic_known,
    coalesce(window_end <= (SELECT m.watermark FROM watermarks m WHERE m.source = w.source), false) AS closed, batch_seq FROM ${table} w`;
}

export const ANOMALY_SELECT = `SELECT id, granularity, source, area_id, category, CAST(window_start AS VARCHAR) AS window_start,
  CAST(window_end AS VARCHAR) AS window_end, observed, expected, lower, upper, p_value, q_value, severity,
  CAST(contributors AS VARCHAR) AS contributors, model_version, CAST(detected_at AS VARCHAR) AS detected_at FROM anomalies`;

export type { DuckDBValue };
