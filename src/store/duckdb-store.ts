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
 * - rows go in through an appender into a staging table and then one bulk statement per table,
 *   never row by row; reads use their own connection, so the API sees committed snapshots only.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBValue,
} from '@duckdb/node-api';
import { StoreError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BatchInput, BatchOutcome, OffsetUpdate, PipelineStore } from '../pipeline/pipeline-store.js';
import { type AnomalyRow, anomalyId, type ClosedWindow } from '../pipeline/scorer.js';
import type { CommittedBatch, WindowRow } from '../pipeline/sink.js';
import type { SourceWatermark } from '../pipeline/watermark.js';
import type { Cursor } from '../sources/source.js';
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

const STAGE_EVENTS = `CREATE OR REPLACE TEMP TABLE stage_events (
  ord INTEGER, id VARCHAR, source VARCHAR, source_key VARCHAR, incident_key VARCHAR, occurred_ms DOUBLE,
  time_zone VARCHAR, time_precision VARCHAR, time_flags VARCHAR, reported_ms DOUBLE, updated_ms DOUBLE, ingested_ms DOUBLE,
  category VARCHAR, subcategory VARCHAR, source_type VARCHAR, source_code VARCHAR, lat DOUBLE, lon DOUBLE,
  location_status VARCHAR, area_id VARCHAR, area VARCHAR, attributes VARCHAR, arrest BOOLEAN, domestic BOOLEAN,
  hour_ms DOUBLE, day_ms DOUBLE, day_end_ms DOUBLE, local_day VARCHAR, month_ms DOUBLE, month_end_ms DOUBLE, local_month VARCHAR,
  local_hour INTEGER, local_dow INTEGER, lateness VARCHAR, watermark_ms DOUBLE, event_json VARCHAR)`;

const STAGE_DEAD = `CREATE OR REPLACE TEMP TABLE stage_dead (
  source VARCHAR, reason VARCHAR, payload VARCHAR, topic VARCHAR, "partition" INTEGER, "offset" VARCHAR)`;

const STAGE_ANOMALIES = `CREATE OR REPLACE TEMP TABLE stage_anomalies (
  id VARCHAR, granularity VARCHAR, source VARCHAR, area_id VARCHAR, category VARCHAR, window_start_ms DOUBLE, window_end_ms DOUBLE,
  observed DOUBLE, expected DOUBLE, lower DOUBLE, upper DOUBLE, p_value DOUBLE, q_value DOUBLE, severity VARCHAR,
  contributors VARCHAR, model_version VARCHAR, detected_ms DOUBLE)`;

const ts = (col: string): string => `epoch_ms(CAST(${col} AS BIGINT))`;

/** Old and new window keys of every applied row, from `batch_actions`. */
function touchedSql(g: 'hour' | 'day' | 'month'): string {
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
  return `CREATE OR REPLACE TEMP TABLE ${WINDOW_TABLES[g].touched} AS
    SELECT DISTINCT source, area_id, category, ${spec.newStart} AS window_start, ${spec.newEnd} AS window_end, ${spec.newLabel} AS local_label
    FROM batch_rows WHERE applied AND ${spec.newNotNull}
    UNION
    SELECT DISTINCT old_source, old_area_id, old_category, ${spec.oldStart}, ${spec.oldEnd}, ${spec.oldLabel}
    FROM batch_rows WHERE applied AND action = 'update' AND ${spec.oldNotNull}`;
}

function recomputeSql(g: 'hour' | 'day' | 'month'): string {
  const { table, touched, key } = WINDOW_TABLES[g];
  return `INSERT INTO ${table} (source, area_id, category, window_start, window_end, local_label, event_count, incident_count,
      arrest_count, domestic_count, arrest_known, domestic_known, worker_id, batch_seq)
    SELECT t.source, t.area_id, t.category, t.window_start, t.window_end, t.local_label,
      count(e.id), count(DISTINCT e.incident_key), count(e.id) FILTER (WHERE e.arrest), count(e.id) FILTER (WHERE e.domestic),
      count(e.arrest), count(e.domestic), $worker, $seq
    FROM ${touched} t
    LEFT JOIN events e ON e.source = t.source AND e.area_id = t.area_id AND e.category = t.category AND e.${key} = t.window_start
    GROUP BY t.source, t.area_id, t.category, t.window_start, t.window_end, t.local_label
    ON CONFLICT (source, area_id, category, window_start) DO UPDATE SET
      event_count = excluded.event_count, incident_count = excluded.incident_count, arrest_count = excluded.arrest_count,
      domestic_count = excluded.domestic_count, arrest_known = excluded.arrest_known, domestic_known = excluded.domestic_known,
      worker_id = excluded.worker_id, batch_seq = excluded.batch_seq`;
}

function closeSql(g: 'hour' | 'day' | 'month'): string {
  // Closed = window end ≤ its source's watermark. Watermarks only grow, so the windows that closed in
  // this batch are those between the previous and the new watermark: a select, never a table update.
  return `SELECT w.source, w.area_id, w.category, CAST(w.window_start AS VARCHAR) AS window_start, CAST(w.window_end AS VARCHAR) AS window_end,
      w.event_count, w.incident_count, w.arrest_count, w.domestic_count
    FROM ${WINDOW_TABLES[g].table} w JOIN watermarks m ON m.source = w.source LEFT JOIN wm_prev p ON p.source = w.source
    WHERE w.window_end <= m.watermark AND (p.watermark IS NULL OR w.window_end > p.watermark)
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
  await migrate(writer, slog);
  for (const sql of [STAGE_EVENTS, STAGE_DEAD, STAGE_ANOMALIES]) await writer.run(sql);
  return new DuckDBStore(path, instance, writer, reader, slog);
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
function appendBool(a: DuckDBAppender, v: boolean | null): void {
  if (v === null) a.appendNull();
  else a.appendBoolean(v);
}
const isoMs = (s: string | undefined): number | undefined => (s === undefined ? undefined : Date.parse(s));

class DuckDBStore implements Store {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    readonly reader: DuckDBConnection,
    private readonly log: Logger,
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

  private async stageEvents(input: BatchInput): Promise<void> {
    const c = this.writer;
    await c.run('DELETE FROM stage_events');
    if (input.events.length === 0) return;
    const a = await c.createAppender('stage_events', 'main', 'temp');
    try {
      let ord = 0;
      for (const s of input.events) {
        const e = s.event;
        const w = s.windows;
        a.appendInteger(ord++);
        a.appendVarchar(e.id);
        a.appendVarchar(e.source);
        a.appendVarchar(e.sourceKey);
        a.appendVarchar(e.incidentKey);
        a.appendDouble(w.occurredMs);
        a.appendVarchar(e.timeZone);
        a.appendVarchar(e.timePrecision);
        a.appendVarchar(JSON.stringify(e.timeFlags));
        appendNum(a, isoMs(e.reportedAt));
        appendNum(a, isoMs(e.updatedAt));
        a.appendDouble(Date.parse(e.ingestedAt));
        a.appendVarchar(e.category);
        appendStr(a, e.subcategory);
        a.appendVarchar(e.sourceType);
        appendStr(a, e.sourceCode);
        appendNum(a, e.lat);
        appendNum(a, e.lon);
        a.appendVarchar(e.locationStatus);
        a.appendVarchar(e.areaId);
        a.appendVarchar(JSON.stringify(e.area));
        a.appendVarchar(JSON.stringify(e.attributes));
        appendBool(a, truthy(e.attributes.arrest));
        appendBool(a, truthy(e.attributes.domestic));
        appendNum(a, w.hourStart);
        appendNum(a, w.dayStart);
        appendNum(a, w.dayEnd);
        appendStr(a, w.localDay);
        a.appendDouble(w.monthStart);
        a.appendDouble(w.monthEnd);
        a.appendVarchar(w.localMonth);
        appendInt(a, w.localHour);
        appendInt(a, w.localDow);
        a.appendVarchar(s.lateness);
        appendNum(a, s.watermarkMs);
        // The whole event only where it is needed as such (late_events); cheaper than rebuilding it in SQL.
        appendStr(a, s.lateness === 'too-late' ? JSON.stringify(e) : null);
        a.endRow();
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
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

  private async commitBatchNow(
    input: BatchInput,
    score?: (closed: ClosedWindow[]) => Promise<AnomalyRow[]>,
  ): Promise<BatchOutcome> {
    const c = this.writer;
    const p = { worker: input.workerId, seq: input.seq };
    // Staging tables are temporary and outside the transaction's meaning: they only carry input.
    await this.stageEvents(input);
    await this.stageDead(input);
    await c.run('BEGIN TRANSACTION');
    try {
      // Dedup inside the batch (newest updatedAt, then the later arrival), then against the store.
      await c.run(`CREATE OR REPLACE TEMP TABLE batch_actions AS
        WITH s AS (
          SELECT ord, id, updated_ms, lateness FROM stage_events
          QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_ms DESC NULLS LAST, ord DESC) = 1
        ), j AS (
          SELECT s.ord, s.lateness,
            CASE WHEN e.id IS NULL THEN 'insert'
                 WHEN s.updated_ms IS NOT NULL AND (e.updated_at IS NULL OR ${ts('s.updated_ms')} > e.updated_at) THEN 'update'
                 ELSE 'duplicate' END AS action,
            e.source AS old_source, e.area_id AS old_area_id, e.category AS old_category,
            e.hour_start AS old_hour_start, e.day_start AS old_day_start, e.day_end AS old_day_end, e.local_day AS old_local_day,
            e.local_hour AS old_local_hour, e.month_start AS old_month_start, e.month_end AS old_month_end, e.local_month AS old_local_month
          FROM s LEFT JOIN events e ON e.id = s.id
        )
        SELECT j.*, j.action <> 'duplicate' AND j.lateness <> 'too-late' AS applied FROM j`);
      await c.run(`CREATE OR REPLACE TEMP TABLE batch_rows AS
        SELECT s.*, b.action, b.applied, b.old_source, b.old_area_id, b.old_category, b.old_hour_start, b.old_day_start, b.old_day_end,
          b.old_local_day, b.old_local_hour, b.old_month_start, b.old_month_end, b.old_local_month
        FROM batch_actions b JOIN stage_events s USING (ord) WHERE b.action <> 'duplicate'`);
      const counts = await c.runAndReadAll(`SELECT
          (SELECT count(*) FROM stage_events) AS staged,
          count(*) AS distinct_ids,
          count(*) FILTER (WHERE action = 'insert' AND applied) AS inserted,
          count(*) FILTER (WHERE action = 'update' AND applied) AS updated,
          count(*) FILTER (WHERE action = 'duplicate') AS duplicates,
          count(*) FILTER (WHERE applied AND lateness = 'late') AS late_applied,
          count(*) FILTER (WHERE action <> 'duplicate' AND lateness = 'too-late') AS side_output
        FROM batch_actions`);
      const bySource = await c.runAndReadAll(
        'SELECT source, count(*) AS n FROM batch_rows WHERE applied GROUP BY source',
      );
      const k = counts.getRowObjectsJS()[0] ?? {};

      await c.run(
        `INSERT INTO late_events
        SELECT id, source, ${ts('occurred_ms')}, ${ts('watermark_ms')}, CAST(watermark_ms - occurred_ms AS BIGINT), event_json, now()::TIMESTAMP, $seq
        FROM batch_rows WHERE lateness = 'too-late'
        ON CONFLICT (id) DO NOTHING`,
        { seq: input.seq },
      );
      for (const g of ['hour', 'day', 'month'] as const) await c.run(touchedSql(g));
      // New ids: a plain bulk insert; updates (rare) replace by primary key.
      await c.run(
        `INSERT INTO events
        SELECT id, source, source_key, incident_key, ${ts('occurred_ms')}, time_zone, time_precision, time_flags,
          ${ts('reported_ms')}, ${ts('updated_ms')}, ${ts('ingested_ms')}, category, subcategory, source_type, source_code, lat, lon,
          location_status, area_id, area, attributes, arrest, domestic, ${ts('hour_ms')}, ${ts('day_ms')}, ${ts('day_end_ms')},
          CAST(local_day AS DATE), ${ts('month_ms')}, ${ts('month_end_ms')}, local_month, local_hour, local_dow, $worker, $seq
        FROM batch_rows WHERE applied AND action = 'insert'`,
        p,
      );
      await c.run(
        `INSERT OR REPLACE INTO events
        SELECT id, source, source_key, incident_key, ${ts('occurred_ms')}, time_zone, time_precision, time_flags,
          ${ts('reported_ms')}, ${ts('updated_ms')}, ${ts('ingested_ms')}, category, subcategory, source_type, source_code, lat, lon,
          location_status, area_id, area, attributes, arrest, domestic, ${ts('hour_ms')}, ${ts('day_ms')}, ${ts('day_end_ms')},
          CAST(local_day AS DATE), ${ts('month_ms')}, ${ts('month_end_ms')}, local_month, local_hour, local_dow, $worker, $seq
        FROM batch_rows WHERE applied AND action = 'update'`,
        p,
      );
      let windowsChanged = 0;
      for (const g of ['hour', 'day', 'month'] as const) {
        const r = await c.run(recomputeSql(g), p);
        windowsChanged += Number(r.rowsChanged);
      }
      await c.run(
        `INSERT INTO dead_letters
        SELECT source, md5(payload), any_value(reason), any_value(payload), any_value(topic), any_value("partition"), any_value("offset"),
          now()::TIMESTAMP, $seq
        FROM stage_dead GROUP BY source, md5(payload)
        ON CONFLICT (source, payload_hash) DO NOTHING`,
        { seq: input.seq },
      );
      await c.run('CREATE OR REPLACE TEMP TABLE wm_prev AS SELECT source, watermark FROM watermarks');
      for (const [source, wm] of input.watermarks) {
        if (!Number.isFinite(wm.maxOccurredMs)) continue;
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
      const closed: ClosedWindow[] = [];
      for (const g of ['hour', 'day', 'month'] as const) {
        const r = await c.runAndReadAll(closeSql(g));
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
      const inserted = Number(k.inserted ?? 0);
      const updated = Number(k.updated ?? 0);
      await c.run('INSERT INTO pipeline_batches VALUES ($worker, $seq, now()::TIMESTAMP, $n, $w, $a)', {
        ...p,
        n: inserted + updated,
        w: windowsChanged,
        a: anomalies.length,
      });
      await c.run('COMMIT');
      const appliedBySource: Record<string, number> = {};
      for (const row of bySource.getRowObjectsJS()) appliedBySource[String(row.source)] = Number(row.n);
      return {
        inserted,
        updated,
        duplicates: Number(k.duplicates ?? 0) + Number(k.staged ?? 0) - Number(k.distinct_ids ?? 0),
        lateApplied: Number(k.late_applied ?? 0),
        sideOutput: Number(k.side_output ?? 0),
        deadLetters: input.deadLetters.length,
        closedWindows: closed.length,
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
