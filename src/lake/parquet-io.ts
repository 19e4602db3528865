/**
 * Parquet through DuckDB (`@duckdb/node-api`, an in-memory instance): data files, per-file stats and
 * V1 checkpoints are written with `COPY (SELECT ...) TO ... (FORMAT parquet)`, and read with
 * `read_parquet`.
 *
 * Why DuckDB and not hyparquet-writer: DuckDB writes every Delta type we need with the right parquet
 * logical types (TIMESTAMPTZ → INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true), DECIMAL, DATE, nested
 * structs and maps for the checkpoint), snappy-compressed, and reads back what Spark writes (INT96
 * timestamps, decimals as FIXED_LEN_BYTE_ARRAY, LIST/MAP encodings) at microsecond precision; it is
 * already the store's engine, and `read_parquet` over our files is the fallback read path the
 * architecture promises. hyparquet returns timestamps as millisecond `Date`s, which would lose the
 * microseconds Delta keeps.
 *
 * Rows reach DuckDB as newline-delimited JSON in a temp file read with an explicit `columns` type
 * map, so DuckDB (not our code) parses timestamps, decimals and dates.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { LakeError } from '../core/errors.js';
import {
  type DeltaType,
  decimalParts,
  type FileStats,
  formatDateDays,
  formatMicros,
  type LakeValue,
  type StructType,
  toMicros,
} from './delta-protocol.js';

/** Runs `fn` with the given connection, or with a fresh in-memory DuckDB closed afterwards. */
export async function withDuck<T>(
  conn: DuckDBConnection | undefined,
  fn: (c: DuckDBConnection) => Promise<T>,
): Promise<T> {
  if (conn) return fn(conn);
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** SQL string literal (DuckDB quoting rule: double the single quotes). */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** The DuckDB column type for a Delta type. */
export function duckType(t: DeltaType): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return 'VARCHAR';
      case 'long':
        return 'BIGINT';
      case 'integer':
        return 'INTEGER';
      case 'short':
        return 'SMALLINT';
      case 'byte':
        return 'TINYINT';
      case 'float':
        return 'FLOAT';
      case 'double':
        return 'DOUBLE';
      case 'boolean':
        return 'BOOLEAN';
      case 'binary':
        return 'BLOB';
      case 'date':
        return 'DATE';
      case 'timestamp':
        return 'TIMESTAMPTZ';
      case 'timestamp_ntz':
        return 'TIMESTAMP';
      default: {
        const d = decimalParts(t);
        if (d) return `DECIMAL(${d.precision},${d.scale})`;
        throw new LakeError('CP_ERR_LAKE_UNSUPPORTED', `No DuckDB type for ${t}`);
      }
    }
  }
  if (t.type === 'struct')
    return `STRUCT(${t.fields.map((f) => `${sqlIdent(f.name)} ${duckType(f.type)}`).join(', ')})`;
  if (t.type === 'array') return `${duckType(t.elementType)}[]`;
  return `MAP(${duckType(t.keyType)}, ${duckType(t.valueType)})`;
}

// ---------------------------------------------------------------------------------------------
// DuckDB values → lake values

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function longToValue(v: bigint): number | bigint {
  return v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v;
}

function timestampMicros(v: DuckDBValue): bigint | undefined {
  if (v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue) return v.micros;
  if (v instanceof DuckDBTimestampMillisecondsValue) return v.millis * 1000n;
  if (v instanceof DuckDBTimestampSecondsValue) return v.seconds * 1_000_000n;
  if (v instanceof DuckDBTimestampNanosecondsValue) return v.nanos / 1000n;
  return undefined;
}

/**
 * Converts one DuckDB value into the lake's row value, guided by the Delta type when known:
 * long → number (bigint beyond 2^53), decimal → exact string, date → `YYYY-MM-DD`, timestamp →
 * `…ffffffZ`, timestamp_ntz → `…ffffff`, binary → Uint8Array, struct → object, array → array,
 * map → object (keys as text, stored order).
 */
export function fromDuck(v: DuckDBValue, type?: DeltaType): LakeValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return longToValue(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  const micros = timestampMicros(v);
  if (micros !== undefined) return formatMicros(micros, type !== 'timestamp_ntz');
  if (v instanceof DuckDBDecimalValue) return v.toString();
  if (v instanceof DuckDBDateValue) return formatDateDays(v.days);
  if (v instanceof DuckDBBlobValue) return v.bytes;
  if (v instanceof DuckDBStructValue) {
    const fields = type && typeof type !== 'string' && type.type === 'struct' ? type.fields : undefined;
    const out: Record<string, LakeValue> = {};
    if (fields) {
      for (const f of fields) out[f.name] = fromDuck(v.entries[f.name] ?? null, f.type);
    } else {
      for (const [k, x] of Object.entries(v.entries)) out[k] = fromDuck(x);
    }
    return out;
  }
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) {
    const el = type && typeof type !== 'string' && type.type === 'array' ? type.elementType : undefined;
    return v.items.map((x) => fromDuck(x, el));
  }
  if (v instanceof DuckDBMapValue) {
    const vt = type && typeof type !== 'string' && type.type === 'map' ? type.valueType : undefined;
    const out: Record<string, LakeValue> = {};
    for (const e of v.entries) out[String(fromDuck(e.key))] = fromDuck(e.value, vt);
    return out;
  }
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// Writing

const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;

/** A row value as JSON for DuckDB's read_json (the inverse of `fromDuck` for flat types). */
function toJsonValue(value: unknown, type: DeltaType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamp':
      // Canonical UTC text (what the sink passes) goes to DuckDB as is: it parses it exactly, and
      // re-formatting every timestamp in JS was a large share of the lake writer's CPU.
      if (typeof value === 'string' && CANONICAL_UTC.test(value)) return value;
      return formatMicros(toMicros(value), true);
    case 'timestamp_ntz':
      return formatMicros(toMicros(value), false);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case 'binary':
      return Buffer.from(value as Uint8Array).toString('hex');
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
      return typeof value === 'bigint' ? value.toString() : value;
    default:
      if (typeof type !== 'string') return value;
      if (decimalParts(type)) return String(value);
      return value;
  }
}

function assertWritable(t: DeltaType, name: string): void {
  if (typeof t !== 'string')
    throw new LakeError(
      'CP_ERR_LAKE_UNSUPPORTED',
      `The writer handles flat columns only; ${name} is nested`,
      {
        details: { feature: 'nested-write', column: name },
      },
    );
}

/**
 * Writes `rows` (values as the reader returns them; timestamps may also be Date or epoch ms) into one
 * parquet file with the given flat `columns`. Returns its size and mtime.
 */
export async function writeParquetRows(
  conn: DuckDBConnection,
  file: string,
  columns: StructType['fields'],
  rows: readonly Record<string, unknown>[],
): Promise<{ size: number; modificationTime: number }> {
  for (const c of columns) assertWritable(c.type, c.name);
  const tmp = join(tmpdir(), `crimepulse-lake-${randomUUID()}.ndjson`);
  const lines: string[] = [];
  for (const r of rows) {
    const o: Record<string, unknown> = {};
    for (const c of columns) o[c.name] = toJsonValue(r[c.name], c.type);
    lines.push(JSON.stringify(o));
  }
  await writeFile(tmp, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  try {
    await mkdir(dirname(file), { recursive: true });
    // Binary arrives as hex text and is decoded in SQL; every other type is cast by read_json.
    const colSpec = columns
      .map((c) => `${sqlString(c.name)}: ${sqlString(c.type === 'binary' ? 'VARCHAR' : duckType(c.type))}`)
      .join(', ');
    const select = columns
      .map((c) =>
        c.type === 'binary' ? `unhex(${sqlIdent(c.name)}) AS ${sqlIdent(c.name)}` : sqlIdent(c.name),
      )
      .join(', ');
    const source =
      rows.length > 0
        ? `read_json(${sqlString(tmp)}, format = 'newline_delimited', columns = {${colSpec}})`
        : `(SELECT ${columns.map((c) => `NULL::${duckType(c.type)} AS ${sqlIdent(c.name)}`).join(', ')} WHERE false)`;
    await conn.run(
      `COPY (SELECT ${select} FROM ${source}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION snappy)`,
    );
  } finally {
    await rm(tmp, { force: true });
  }
  const st = await stat(file);
  return { size: st.size, modificationTime: Math.floor(st.mtimeMs) };
}

/**
 * Copies the rows of existing parquet files into one new file with exactly `columns` (columns no
 * source file has, e.g. added by schema evolution, are written as typed nulls).
 */
export async function copyParquet(
  conn: DuckDBConnection,
  sources: readonly string[],
  file: string,
  columns: StructType['fields'],
): Promise<{ size: number; modificationTime: number }> {
  await mkdir(dirname(file), { recursive: true });
  const list = `[${sources.map(sqlString).join(', ')}]`;
  const described = await conn.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`,
  );
  const present = new Set(described.getRows().map((r) => String(r[0])));
  const sel = columns
    .map((c) =>
      present.has(c.name)
        ? `CAST(${sqlIdent(c.name)} AS ${duckType(c.type)}) AS ${sqlIdent(c.name)}`
        : `NULL::${duckType(c.type)} AS ${sqlIdent(c.name)}`,
    )
    .join(', ');
  await conn.run(
    `COPY (SELECT ${sel} FROM read_parquet(${list}, union_by_name = true)) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION snappy)`,
  );
  const st = await stat(file);
  return { size: st.size, modificationTime: Math.floor(st.mtimeMs) };
}

// Longer strings get a truncated min (still a lower bound) and no max (a truncated max is not an
// upper bound); Spark truncates at 32 characters for the same reason.
const STRING_STATS_LIMIT = 64;

function statValue(v: DuckDBValue, type: DeltaType, bound: 'min' | 'max'): unknown {
  if (v === null) return undefined;
  if (type === 'timestamp' || type === 'timestamp_ntz') {
    // Millisecond precision like Spark; rounded outward so the bound stays a bound.
    const micros = timestampMicros(v) ?? 0n;
    let ms = micros / 1000n;
    if (micros % 1000n !== 0n) {
      if (bound === 'max' && micros > 0n) ms += 1n;
      if (bound === 'min' && micros < 0n) ms -= 1n;
    }
    const iso = new Date(Number(ms)).toISOString();
    return type === 'timestamp' ? iso : iso.slice(0, -1);
  }
  if (type === 'string') {
    const s = String(v);
    if (s.length <= STRING_STATS_LIMIT) return s;
    return bound === 'min' ? s.slice(0, STRING_STATS_LIMIT) : undefined;
  }
  if (typeof type === 'string' && decimalParts(type)) return Number(String(v));
  const x = fromDuck(v, type);
  return typeof x === 'bigint' ? Number(x) : x;
}

/** Per-file stats (numRecords, minValues, maxValues, nullCount) of a parquet file, computed by DuckDB. */
export async function parquetStats(
  conn: DuckDBConnection,
  file: string,
  columns: StructType['fields'],
): Promise<FileStats> {
  const parts = ['count(*)'];
  const ordered = columns.filter(
    (c) => typeof c.type === 'string' && c.type !== 'boolean' && c.type !== 'binary',
  );
  for (const c of columns) parts.push(`count(*) - count(${sqlIdent(c.name)})`);
  for (const c of ordered) parts.push(`min(${sqlIdent(c.name)})`, `max(${sqlIdent(c.name)})`);
  const r = await conn.runAndReadAll(`SELECT ${parts.join(', ')} FROM read_parquet(${sqlString(file)})`);
  const row = r.getRows()[0] ?? [];
  const stats: FileStats = { numRecords: Number(row[0] ?? 0), minValues: {}, maxValues: {}, nullCount: {} };
  columns.forEach((c, i) => {
    (stats.nullCount as Record<string, unknown>)[c.name] = Number(row[1 + i] ?? 0);
  });
  ordered.forEach((c, i) => {
    const min = statValue(row[1 + columns.length + 2 * i] ?? null, c.type, 'min');
    const max = statValue(row[2 + columns.length + 2 * i] ?? null, c.type, 'max');
    if (min !== undefined) (stats.minValues as Record<string, unknown>)[c.name] = min;
    if (max !== undefined) (stats.maxValues as Record<string, unknown>)[c.name] = max;
  });
  return stats;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads parquet files with `read_parquet(..., union_by_name)`; each row comes with the file it
 * came from (`fileKey`). `select` maps output names to parquet column names (column mapping).
 */
export async function readParquetFiles(
  conn: DuckDBConnection,
  files: readonly string[],
  select: readonly { name: string; physical: string; type: DeltaType }[],
): Promise<{ file: string; values: Record<string, LakeValue> }[]> {
  if (files.length === 0) return [];
  const list = `[${files.map(sqlString).join(', ')}]`;
  // Which columns exist in any of the files (missing ones read as null: schema evolution).
  const described = await conn.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`,
  );
  const present = new Set(described.getRows().map((r) => String(r[0])));
  const wanted = select.filter((s) => present.has(s.physical));
  const cols = wanted.map((s) => sqlIdent(s.physical));
  const r = await conn.runAndReadAll(
    `SELECT ${[...cols, '"__cp_file"'].join(', ')} FROM read_parquet(${list}, union_by_name = true, filename = '__cp_file')`,
  );
  const out: { file: string; values: Record<string, LakeValue> }[] = [];
  for (const row of r.getRows()) {
    const values: Record<string, LakeValue> = {};
    wanted.forEach((s, i) => {
      values[s.name] = fromDuck(row[i] ?? null, s.type);
    });
    out.push({ file: String(row[wanted.length]), values });
  }
  return out;
}

/**
 * The files (absolute paths, as `read_parquet` reports them) that hold a row whose `columns` equal one
 * of `keys` (null equals null), found by a DuckDB semi-join: the upsert used to convert every key
 * value of every candidate file to JS, which grew with the table. Undefined when a key column is
 * missing from every file (the caller then falls back to reading the keys itself).
 */
export async function filesHoldingKeys(
  conn: DuckDBConnection,
  files: readonly string[],
  columns: readonly { name: string; type: DeltaType }[],
  keys: readonly (readonly unknown[])[],
): Promise<Set<string> | undefined> {
  if (files.length === 0 || keys.length === 0) return new Set();
  for (const c of columns) assertWritable(c.type, c.name);
  const list = `[${files.map(sqlString).join(', ')}]`;
  const described = await conn.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`,
  );
  const present = new Set(described.getRows().map((r) => String(r[0])));
  if (columns.some((c) => !present.has(c.name) || c.type === 'binary')) return undefined;
  const tmp = join(tmpdir(), `crimepulse-keys-${randomUUID()}.ndjson`);
  const lines = keys.map((k) => {
    const o: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      o[c.name] = toJsonValue(k[i], c.type);
    });
    return JSON.stringify(o);
  });
  await writeFile(tmp, `${lines.join('\n')}\n`);
  try {
    const spec = columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckType(c.type))}`).join(', ');
    const on = columns
      .map((c) => `p.${sqlIdent(c.name)} IS NOT DISTINCT FROM k.${sqlIdent(c.name)}`)
      .join(' AND ');
    const r = await conn.runAndReadAll(
      `SELECT DISTINCT p."__cp_file" FROM read_parquet(${list}, union_by_name = true, filename = '__cp_file') p
       SEMI JOIN read_json(${sqlString(tmp)}, format = 'newline_delimited', columns = {${spec}}) k ON ${on}`,
    );
    return new Set(r.getRows().map((row) => String(row[0])));
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Reads the rows of (parts of) a checkpoint as plain JS objects, one object per action row. */
export async function readCheckpointRows(
  conn: DuckDBConnection,
  files: readonly string[],
): Promise<Record<string, LakeValue>[]> {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const described = await conn.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`,
  );
  const names = described
    .getRows()
    .map((r) => String(r[0]))
    .filter((n) => ['protocol', 'metaData', 'add', 'remove', 'txn'].includes(n));
  if (names.length === 0) return [];
  const r = await conn.runAndReadAll(
    `SELECT ${names.map(sqlIdent).join(', ')} FROM read_parquet(${list}, union_by_name = true)`,
  );
  return r.getRows().map((row) => {
    const o: Record<string, LakeValue> = {};
    names.forEach((n, i) => {
      o[n] = fromDuck(row[i] ?? null);
    });
    return o;
  });
}

const CHECKPOINT_COLUMNS: Record<string, string> = {
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)',
  metaData:
    'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add: 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))',
  remove:
    'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)',
};

/**
 * Writes a V1 classic checkpoint: one row per action, each action type in its own nullable struct
 * column (PROTOCOL.md "Checkpoint Schema"); maps are parquet MAP<string,string>.
 */
export async function writeCheckpointParquet(
  conn: DuckDBConnection,
  file: string,
  actions: readonly Record<string, unknown>[],
): Promise<void> {
  const tmp = join(tmpdir(), `crimepulse-ckpt-${randomUUID()}.ndjson`);
  await writeFile(tmp, `${actions.map((a) => JSON.stringify(a)).join('\n')}\n`);
  try {
    const spec = Object.entries(CHECKPOINT_COLUMNS)
      .map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`)
      .join(', ');
    await conn.run(
      `COPY (SELECT ${Object.keys(CHECKPOINT_COLUMNS).map(sqlIdent).join(', ')} FROM read_json(${sqlString(tmp)}, format = 'newline_delimited', columns = {${spec}})) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION snappy)`,
    );
  } finally {
    await rm(tmp, { force: true });
  }
}
