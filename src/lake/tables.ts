/**
 * CrimePulse's Delta tables, their schemas (aligned with the store's `src/store/schema.ts`, snake_case
 * columns, UTC instants as Delta `timestamp`), and the Delta sink that mirrors each committed batch.
 *
 * Partitioning:
 * - `events` by `source` and `date`, where `date` is the event's LOCAL calendar date in its
 *   source's IANA zone (`time_zone`). Portals publish and people ask by local day ("crimes in
 *   Chicago on 5 January"), a source has one zone, so a partition is one local day of one city.
 *   Month-precision UK events carry the first instant of their local month, so they land on the
 *   1st. A UTC-instant range maps to local dates within ±1 day of its UTC dates; prune with that
 *   margin.
 * - `windows_hourly`, `windows_daily` by `source` and `month` (local `YYYY-MM` of the window, from
 *   its local label); `windows_monthly` and `anomalies` by `source`.
 *
 * Exactly-once: every write is an upsert by the table key carrying `txn {appId:
 * crimepulse-<table>-<workerId>, version: batch seq}`; a batch already in the lake is skipped, so
 * after a crash the batches newer than `lakeVersions()` are replayed from the store (the source of
 * truth) without doubling anything.
 */

import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DateTime } from 'luxon';
import type { CrimeEvent } from '../core/crime-event.js';
import type { WindowRow } from '../pipeline/sink.js';
import { type DeltaType, type StructType, struct } from './delta-protocol.js';
import { type Filter, type LakeDeps, loadSnapshot, tableExists } from './delta-reader.js';
import { type CommitResult, createTable, upsertRows, type WriterDeps } from './delta-writer.js';

export type LakeTableName = 'events' | 'windows_hourly' | 'windows_daily' | 'windows_monthly' | 'anomalies';

export interface LakeTableDef {
  name: LakeTableName;
  schema: StructType;
  partitionColumns: string[];
  /** Upsert key: a row with the same key replaces the older one. */
  key: string[];
  configuration: Record<string, string>;
}

const REQUIRED = (names: string[]): Record<string, boolean> =>
  Object.fromEntries(names.map((n) => [n, false]));

const EVENT_COLUMNS: Record<string, DeltaType> = {
  id: 'string',
  source: 'string',
  source_key: 'string',
  incident_key: 'string',
  occurred_at: 'timestamp',
  time_zone: 'string',
  time_precision: 'string',
  time_flags: 'string', // JSON array text
  reported_at: 'timestamp',
  updated_at: 'timestamp',
  ingested_at: 'timestamp',
  category: 'string',
  subcategory: 'string',
  source_type: 'string',
  source_code: 'string',
  lat: 'double',
  lon: 'double',
  location_status: 'string',
  area_id: 'string',
  area: 'string', // JSON object text
  attributes: 'string', // JSON object text
  date: 'date', // partition: local calendar date of occurred_at in time_zone
};

const WINDOW_COLUMNS: Record<string, DeltaType> = {
  source: 'string',
  area_id: 'string',
  category: 'string',
  window_start: 'timestamp',
  window_end: 'timestamp',
  local_label: 'string',
  event_count: 'long',
  incident_count: 'long',
  arrest_count: 'long',
  domestic_count: 'long',
  arrest_known: 'long',
  domestic_known: 'long',
  closed: 'boolean',
  worker_id: 'string',
  batch_seq: 'long',
  updated_at: 'timestamp',
  month: 'string', // partition: local YYYY-MM of the window
};

const ANOMALY_COLUMNS: Record<string, DeltaType> = {
  id: 'string',
  granularity: 'string',
  source: 'string',
  area_id: 'string',
  category: 'string',
  window_start: 'timestamp',
  window_end: 'timestamp',
  observed: 'double',
  expected: 'double',
  lower: 'double',
  upper: 'double',
  p_value: 'double',
  q_value: 'double',
  severity: 'string',
  contributors: 'string', // JSON text
  model_version: 'string',
  detected_at: 'timestamp',
  worker_id: 'string',
  batch_seq: 'long',
};

const windowDef = (name: LakeTableName, partitionColumns: string[]): LakeTableDef => ({
  name,
  schema: struct(
    WINDOW_COLUMNS,
    REQUIRED(['source', 'area_id', 'category', 'window_start', 'window_end', 'month']),
  ),
  partitionColumns,
  key: ['source', 'area_id', 'category', 'window_start'],
  configuration: {},
});

export const LAKE_TABLES: Record<LakeTableName, LakeTableDef> = {
  events: {
    name: 'events',
    schema: struct(
      EVENT_COLUMNS,
      REQUIRED(['id', 'source', 'source_key', 'occurred_at', 'category', 'area_id', 'date']),
    ),
    partitionColumns: ['source', 'date'],
    key: ['id'],
    configuration: {},
  },
  windows_hourly: windowDef('windows_hourly', ['source', 'month']),
  windows_daily: windowDef('windows_daily', ['source', 'month']),
  windows_monthly: windowDef('windows_monthly', ['source']),
  anomalies: {
    name: 'anomalies',
    schema: struct(ANOMALY_COLUMNS, REQUIRED(['id', 'source', 'window_start'])),
    partitionColumns: ['source'],
    key: ['id'],
    configuration: {},
  },
};

/** The directory of a table under the lake root (`<lakeRoot>/<name>`). */
export function lakeTablePath(lakeRoot: string, table: LakeTableName): string {
  return join(lakeRoot, table);
}

/** The Delta `txn` appId of a worker writing a table. */
export function lakeAppId(table: LakeTableName, workerId: string): string {
  return `crimepulse-${table}-${workerId}`;
}

/** Local calendar date (YYYY-MM-DD) of a UTC instant in an IANA zone (UTC when the zone is unknown). */
export function localDate(occurredAt: string, timeZone: string): string {
  // Fast path (luxon's zone math was a tenth of the lake sink's CPU): the zone's UTC offset is looked
  // up once per UTC hour and reused when it is the same at both ends of the hour (no transition
  // inside it); otherwise, or for unparsable text, luxon decides per event.
  const ms = occurredAt.endsWith('Z') ? Date.parse(occurredAt) : Number.NaN;
  if (ms >= 0 && ms < MAX_4_DIGIT_YEAR_MS) {
    const hour = Math.floor(ms / HOUR_MS);
    const offset = hourOffset(timeZone, hour);
    if (offset !== undefined) return new Date(ms + offset * 60_000).toISOString().slice(0, 10);
  }
  return luxonLocalDate(occurredAt, timeZone);
}

const HOUR_MS = 3_600_000;
const MAX_4_DIGIT_YEAR_MS = Date.UTC(9999, 11, 30);
/** (zone, UTC hour) → offset in minutes, or null when the offset changes inside that hour. */
const offsetCache = new Map<string, number | null>();

function hourOffset(timeZone: string, hour: number): number | undefined {
  const key = `${timeZone}\u0000${hour}`;
  let v = offsetCache.get(key);
  if (v === undefined) {
    const start = DateTime.fromMillis(hour * HOUR_MS, { zone: timeZone });
    const end = DateTime.fromMillis((hour + 1) * HOUR_MS - 1, { zone: timeZone });
    v = start.isValid && end.isValid && start.offset === end.offset ? start.offset : null;
    if (offsetCache.size >= 200_000) offsetCache.clear();
    offsetCache.set(key, v);
  }
  return v ?? undefined;
}

function luxonLocalDate(occurredAt: string, timeZone: string): string {
  const utc = DateTime.fromISO(occurredAt, { zone: 'utc' });
  const local = utc.setZone(timeZone);
  return (local.isValid ? local : utc).toISODate() ?? occurredAt.slice(0, 10);
}

/**
 * Filters that prune `events` partitions to a UTC instant range [from, to): the local dates of
 * the range's ends widened by one day each side (every IANA offset is within ±14 h), plus the exact
 * `occurred_at` bounds, which the reader also applies to rows.
 */
export function eventTimeFilters(from: string | Date, to: string | Date): Filter[] {
  const f = DateTime.fromJSDate(typeof from === 'string' ? new Date(from) : from, { zone: 'utc' });
  const t = DateTime.fromJSDate(typeof to === 'string' ? new Date(to) : to, { zone: 'utc' });
  return [
    { column: 'date', op: '>=', value: f.minus({ days: 1 }).toISODate() ?? '' },
    { column: 'date', op: '<=', value: t.plus({ days: 1 }).toISODate() ?? '' },
    { column: 'occurred_at', op: '>=', value: f.toISO() ?? '' },
    { column: 'occurred_at', op: '<', value: t.toISO() ?? '' },
  ];
}

/** One `events` row from a CrimeEvent. */
export function eventToLakeRow(e: CrimeEvent): Record<string, unknown> {
  return {
    id: e.id,
    source: e.source,
    source_key: e.sourceKey,
    incident_key: e.incidentKey,
    occurred_at: e.occurredAt,
    time_zone: e.timeZone,
    time_precision: e.timePrecision,
    time_flags: JSON.stringify(e.timeFlags ?? []),
    reported_at: e.reportedAt ?? null,
    updated_at: e.updatedAt ?? null,
    ingested_at: e.ingestedAt,
    category: e.category,
    subcategory: e.subcategory ?? null,
    source_type: e.sourceType,
    source_code: e.sourceCode ?? null,
    lat: e.lat ?? null,
    lon: e.lon ?? null,
    location_status: e.locationStatus,
    area_id: e.areaId,
    area: JSON.stringify(e.area),
    attributes: JSON.stringify(e.attributes),
    date: localDate(e.occurredAt, e.timeZone),
  };
}

/** A pipeline window row, as the lake receives it (src/pipeline/sink.ts). */
export type LakeWindowInput = WindowRow;

export function windowToLakeRow(
  w: LakeWindowInput,
  workerId: string,
  updatedAt: string,
): Record<string, unknown> {
  return {
    source: w.source,
    area_id: w.areaId,
    category: w.category,
    window_start: w.windowStart,
    window_end: w.windowEnd,
    local_label: w.localLabel,
    event_count: w.eventCount,
    incident_count: w.incidentCount,
    arrest_count: w.arrestCount,
    domestic_count: w.domesticCount,
    arrest_known: w.arrestKnown,
    domestic_known: w.domesticKnown,
    closed: w.closed,
    worker_id: workerId,
    batch_seq: w.batchSeq,
    updated_at: updatedAt,
    month: w.localLabel.slice(0, 7),
  };
}

/** The fields of an anomaly the lake needs (structurally an `AnomalyRow` of src/pipeline/scorer.ts). */
export interface LakeAnomalyInput {
  id: string;
  granularity: string;
  source: string;
  areaId: string;
  category: string;
  windowStart: string;
  windowEnd: string;
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  pValue: number;
  qValue: number | null;
  severity: string;
  contributors?: unknown;
  modelVersion: string;
  detectedAt: string;
}

export function anomalyToLakeRow(
  a: LakeAnomalyInput,
  workerId: string,
  batchSeq: number,
): Record<string, unknown> {
  return {
    id: a.id,
    granularity: a.granularity,
    source: a.source,
    area_id: a.areaId,
    category: a.category,
    window_start: a.windowStart,
    window_end: a.windowEnd,
    observed: a.observed,
    expected: a.expected,
    lower: a.lower,
    upper: a.upper,
    p_value: a.pValue,
    q_value: a.qValue,
    severity: a.severity,
    contributors: a.contributors === undefined ? null : JSON.stringify(a.contributors),
    model_version: a.modelVersion,
    detected_at: a.detectedAt,
    worker_id: workerId,
    batch_seq: batchSeq,
  };
}

/** Creates every CrimePulse table under `lakeRoot` that does not exist yet (idempotent). */
export async function ensureLakeTables(lakeRoot: string, deps: WriterDeps = {}): Promise<void> {
  for (const def of Object.values(LAKE_TABLES)) {
    await createTable(
      lakeTablePath(lakeRoot, def.name),
      {
        schema: def.schema,
        partitionColumns: def.partitionColumns,
        configuration: def.configuration,
        name: def.name,
      },
      deps,
    );
  }
}

/** Per table, the last batch seq of `workerId` recorded in the lake (0 when none). */
export async function lakeVersions(
  lakeRoot: string,
  workerId: string,
  deps: LakeDeps = {},
): Promise<Record<LakeTableName, number>> {
  const out = {} as Record<LakeTableName, number>;
  for (const name of Object.keys(LAKE_TABLES) as LakeTableName[]) {
    const path = lakeTablePath(lakeRoot, name);
    if (!(await tableExists(path, deps.logStore))) {
      out[name] = 0;
      continue;
    }
    const s = await loadSnapshot(path, deps);
    out[name] = s.txns.get(lakeAppId(name, workerId))?.version ?? 0;
  }
  return out;
}

/** A committed batch as the lake sink needs it (structurally `CommittedBatch` of src/pipeline/sink.ts). */
export interface LakeBatch {
  workerId: string;
  seq: number;
  committedAt: string;
  events: readonly CrimeEvent[];
  windows: readonly LakeWindowInput[];
  anomalies: readonly LakeAnomalyInput[];
}

export interface DeltaSink {
  readonly name: string;
  /** The pipeline's `Sink.write`: upserts the batch into every table it touches; idempotent by (workerId, seq). */
  write(batch: LakeBatch): Promise<void>;
  /** Same as `write`, returning each table's commit result (skipped, version, files). */
  writeBatch(batch: LakeBatch): Promise<Partial<Record<LakeTableName, CommitResult>>>;
}

/**
 * The lake `Sink` for the pipeline (cli.ts passes it in). Tables a batch does not touch get no
 * commit; a table's txn version therefore only says which batches it has seen that touched it,
 * which is all a replay needs (replaying a batch with nothing for a table is a no-op).
 */
export function createDeltaSink(lakeRoot: string, deps: WriterDeps = {}): DeltaSink {
  let ensured: Promise<void> | undefined;
  const sink: DeltaSink = {
    name: 'delta-lake',
    async write(batch) {
      await sink.writeBatch(batch);
    },
    async writeBatch(batch) {
      ensured ??= ensureLakeTables(lakeRoot, deps).catch((err: unknown) => {
        ensured = undefined; // try again on the next batch
        throw err;
      });
      await ensured;
      // One in-memory DuckDB for the whole batch instead of one per parquet read/write (creating and
      // closing an instance per call showed up in profiles); the tables are written one after another.
      if (deps.duckdb) return writeTables(batch, deps);
      const instance = await DuckDBInstance.create(':memory:');
      const conn = await instance.connect();
      try {
        return await writeTables(batch, { ...deps, duckdb: conn });
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    },
  };
  const writeTables = async (
    batch: LakeBatch,
    deps: WriterDeps,
  ): Promise<Partial<Record<LakeTableName, CommitResult>>> => {
    const results: Partial<Record<LakeTableName, CommitResult>> = {};
    const perTable: [LakeTableName, Record<string, unknown>[]][] = [
      ['events', batch.events.map(eventToLakeRow)],
      ...(['hour', 'day', 'month'] as const).map((g): [LakeTableName, Record<string, unknown>[]] => [
        g === 'hour' ? 'windows_hourly' : g === 'day' ? 'windows_daily' : 'windows_monthly',
        batch.windows
          .filter((w) => w.granularity === g)
          .map((w) => windowToLakeRow(w, batch.workerId, batch.committedAt)),
      ]),
      ['anomalies', batch.anomalies.map((a) => anomalyToLakeRow(a, batch.workerId, batch.seq))],
    ];
    for (const [name, rows] of perTable) {
      if (rows.length === 0) continue;
      results[name] = await upsertRows(
        lakeTablePath(lakeRoot, name),
        rows,
        LAKE_TABLES[name].key,
        { txn: { appId: lakeAppId(name, batch.workerId), version: batch.seq }, operation: 'MERGE' },
        deps,
      );
    }
    return results;
  };
  return sink;
}
