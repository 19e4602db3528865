/**
 * Delta Lake reader: snapshot of a table at its latest version or any reconstructable version (time
 * travel) from the newest usable checkpoint plus the JSON commits after it; add/remove reconciled by
 * (path, deletion-vector id); typed partition values; file pruning by partition values and min/max
 * stats; rows read with DuckDB `read_parquet` over the active files only (never the directory: it
 * may hold orphans from crashed or losing writers).
 *
 * Supported: reader version 1; version 2 / the `columnMapping` feature in `name` mode on flat
 * schemas; reader features `timestampNtz` and `columnMapping`. Anything else (deletion vectors, V2
 * checkpoints, id-mode column mapping, ...) is refused with CP_ERR_LAKE_UNSUPPORTED naming the
 * feature, never read into possibly wrong rows.
 *
 * Row values: string; byte/short/integer/float/double → number (float widened from float32); long
 * → number (bigint beyond ±2^53); decimal → exact string with `scale` fraction digits; boolean;
 * binary → Uint8Array; date → `YYYY-MM-DD`; timestamp → `YYYY-MM-DDTHH:MM:SS.ffffffZ`;
 * timestamp_ntz → same without `Z`; struct → object; array → array; map → object; null.
 */

import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeError } from '../core/errors.js';
import {
  type Action,
  type AddAction,
  type DeltaType,
  decimalParts,
  decodeAddPath,
  type FileStats,
  type LakeValue,
  LOG_DIR,
  type MetadataAction,
  type ProtocolAction,
  parseLogFileName,
  parsePartitionValue,
  parseSchemaString,
  parseTimestampMicros,
  type RemoveAction,
  type StructType,
  type TxnAction,
} from './delta-protocol.js';
import { createLocalLogStore, type LogStore } from './log-store.js';
import { readCheckpointRows, readParquetFiles, withDuck } from './parquet-io.js';

export interface LakeDeps {
  /** Where the log lives; the local file system by default. */
  logStore?: LogStore;
  /** A DuckDB connection to use; a private in-memory instance per call by default. */
  duckdb?: DuckDBConnection;
}

export interface Snapshot {
  tablePath: string;
  version: number;
  protocol: ProtocolAction;
  metadata: MetadataAction;
  schema: StructType;
  partitionColumns: string[];
  configuration: Record<string, string>;
  /** Active files in log order. */
  files: AddAction[];
  /** Tombstones (remove actions not re-added), kept for vacuum and checkpoints. */
  tombstones: RemoveAction[];
  /** Latest transaction version per appId. */
  txns: Map<string, TxnAction>;
  /** The checkpoint the snapshot was built from, if any. */
  checkpointVersion: number | undefined;
}

export interface LogListing {
  commits: number[];
  checkpoints: Map<number, string[]>;
  unsupportedCheckpoints: number[];
}

export function logDir(tablePath: string): string {
  return join(tablePath, LOG_DIR);
}

/** Lists commits and complete V1 checkpoints (single or multi-part) of a table. */
export async function listLog(
  tablePath: string,
  logStore: LogStore = createLocalLogStore(),
): Promise<LogListing> {
  const names = await logStore.list(logDir(tablePath));
  const commits: number[] = [];
  const parts = new Map<number, { total: number; names: Map<number, string> }[]>();
  const unsupported: number[] = [];
  for (const name of names) {
    const f = parseLogFileName(name);
    if (!f) continue;
    if (f.kind === 'commit') commits.push(f.version);
    else if (f.kind === 'unsupported-checkpoint') unsupported.push(f.version);
    else {
      const groups = parts.get(f.version) ?? [];
      let g = groups.find((x) => x.total === f.parts);
      if (!g) {
        g = { total: f.parts, names: new Map() };
        groups.push(g);
      }
      g.names.set(f.part, name);
      parts.set(f.version, groups);
    }
  }
  const checkpoints = new Map<number, string[]>();
  for (const [v, groups] of parts) {
    const complete = groups.find((g) => g.names.size === g.total);
    if (complete)
      checkpoints.set(
        v,
        [...complete.names.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n),
      );
  }
  commits.sort((a, b) => a - b);
  return { commits, checkpoints, unsupportedCheckpoints: unsupported.sort((a, b) => a - b) };
}

/** True when `tablePath` has a Delta log with at least one commit or checkpoint. */
export async function tableExists(tablePath: string, logStore?: LogStore): Promise<boolean> {
  const l = await listLog(tablePath, logStore);
  return l.commits.length > 0 || l.checkpoints.size > 0;
}

/** Parses a commit file into actions (one JSON object per line). */
export function parseCommit(text: string, version: number): Action[] {
  const actions: Action[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      actions.push(JSON.parse(line) as Action);
    } catch (cause) {
      throw new LakeError('CP_ERR_LAKE_CORRUPT', `Commit ${version} has a line that is not JSON`, {
        cause,
        details: { version },
      });
    }
  }
  return actions;
}

export async function readCommit(
  tablePath: string,
  version: number,
  logStore: LogStore,
): Promise<Action[] | undefined> {
  const bytes = await logStore.read(join(logDir(tablePath), `${String(version).padStart(20, '0')}.json`));
  if (!bytes) return undefined;
  return parseCommit(new TextDecoder().decode(bytes), version);
}

/** The reconciliation key of a file: its decoded path plus the deletion vector's unique id. */
export function fileKey(a: { path: string; deletionVector?: AddAction['deletionVector'] }): string {
  const dv = a.deletionVector;
  const dvId = dv
    ? `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? '' : `@${dv.offset}`}`
    : '';
  return `${decodeAddPath(a.path)}#${dvId}`;
}

/** Mutable replay state; `apply` folds one action in (PROTOCOL.md "Action Reconciliation"). */
class Replay {
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  files = new Map<string, AddAction>();
  tombstones = new Map<string, RemoveAction>();
  txns = new Map<string, TxnAction>();

  apply(a: Action): void {
    if ('protocol' in a && a.protocol) this.protocol = a.protocol;
    else if ('metaData' in a && a.metaData) this.metadata = a.metaData;
    else if ('txn' in a && a.txn) this.txns.set(a.txn.appId, { ...a.txn, version: Number(a.txn.version) });
    else if ('add' in a && a.add) {
      const k = fileKey(a.add);
      this.tombstones.delete(k);
      this.files.set(k, a.add);
    } else if ('remove' in a && a.remove) {
      const k = fileKey(a.remove);
      this.files.delete(k);
      this.tombstones.set(k, a.remove);
    }
  }
}

function checkpointRowToActions(row: Record<string, LakeValue>): Action[] {
  const out: Action[] = [];
  for (const key of ['protocol', 'metaData', 'txn', 'add', 'remove'] as const) {
    const v = row[key];
    if (v !== null && v !== undefined) out.push({ [key]: v } as unknown as Action);
  }
  return out;
}

/**
 * Loads the snapshot at `version` (latest when omitted). Does not check reader features: call
 * `assertReadable` before reading rows (the writer and vacuum use snapshots of any table).
 */
export async function loadSnapshot(
  tablePath: string,
  options: { version?: number | undefined } & LakeDeps = {},
): Promise<Snapshot> {
  const logStore = options.logStore ?? createLocalLogStore();
  const listing = await listLog(tablePath, logStore);
  const latest = Math.max(-1, ...listing.commits, ...listing.checkpoints.keys());
  if (latest < 0)
    throw new LakeError('CP_ERR_LAKE_CORRUPT', `No Delta table at ${tablePath} (no _delta_log commits)`, {
      details: { tablePath },
    });
  const target = options.version ?? latest;
  if (!Number.isInteger(target) || target < 0 || target > latest)
    throw new LakeError('CP_ERR_LAKE_CORRUPT', `Version ${target} does not exist (latest is ${latest})`, {
      details: { tablePath, version: target, latest },
    });
  const cpVersion = Math.max(-1, ...[...listing.checkpoints.keys()].filter((v) => v <= target));
  const commitSet = new Set(listing.commits);
  for (let v = cpVersion + 1; v <= target; v++) {
    if (!commitSet.has(v)) {
      const v2 = listing.unsupportedCheckpoints.some((c) => c <= target);
      throw new LakeError(
        v2 ? 'CP_ERR_LAKE_UNSUPPORTED' : 'CP_ERR_LAKE_CORRUPT',
        v2
          ? `Version ${target} needs a V2 checkpoint (unsupported feature: v2Checkpoint)`
          : `Version ${target} cannot be reconstructed: commit ${v} is missing (log cleaned up)`,
        {
          details: {
            tablePath,
            version: target,
            missingCommit: v,
            ...(v2 ? { feature: 'v2Checkpoint' } : {}),
          },
        },
      );
    }
  }
  const replay = new Replay();
  if (cpVersion >= 0) {
    const names = listing.checkpoints.get(cpVersion) ?? [];
    const rows = await withDuck(options.duckdb, (c) =>
      readCheckpointRows(
        c,
        names.map((n) => join(logDir(tablePath), n)),
      ),
    );
    for (const row of rows) for (const a of checkpointRowToActions(row)) replay.apply(a);
  }
  for (let v = cpVersion + 1; v <= target; v++) {
    const actions = await readCommit(tablePath, v, logStore);
    if (!actions)
      throw new LakeError('CP_ERR_LAKE_CORRUPT', `Commit ${v} vanished while reading`, {
        details: { version: v },
      });
    for (const a of actions) replay.apply(a);
  }
  if (!replay.protocol || !replay.metadata)
    throw new LakeError(
      'CP_ERR_LAKE_CORRUPT',
      `Version ${target} has no ${replay.protocol ? 'metaData' : 'protocol'}`,
      {
        details: { tablePath, version: target },
      },
    );
  const md = replay.metadata;
  return {
    tablePath,
    version: target,
    protocol: replay.protocol,
    metadata: md,
    schema: parseSchemaString(md.schemaString),
    partitionColumns: md.partitionColumns ?? [],
    configuration: md.configuration ?? {},
    files: [...replay.files.values()],
    tombstones: [...replay.tombstones.values()],
    txns: replay.txns,
    checkpointVersion: cpVersion >= 0 ? cpVersion : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Reader gate

export const SUPPORTED_READER_FEATURES = new Set(['timestampNtz', 'columnMapping']);

function unsupported(feature: string, message: string, snapshot: Snapshot): never {
  throw new LakeError(
    'CP_ERR_LAKE_UNSUPPORTED',
    `Unsupported Delta reader feature "${feature}": ${message}`,
    {
      details: {
        feature,
        tablePath: snapshot.tablePath,
        version: snapshot.version,
        protocol: snapshot.protocol,
      },
    },
  );
}

function hasNested(t: DeltaType): boolean {
  return typeof t !== 'string';
}

/** Throws CP_ERR_LAKE_UNSUPPORTED when reading the snapshot needs something this reader lacks. */
export function assertReadable(snapshot: Snapshot): void {
  const p = snapshot.protocol;
  if (p.minReaderVersion > 3)
    unsupported(`readerVersion${p.minReaderVersion}`, `minReaderVersion ${p.minReaderVersion}`, snapshot);
  if (p.minReaderVersion === 3) {
    for (const f of p.readerFeatures ?? []) {
      if (!SUPPORTED_READER_FEATURES.has(f))
        unsupported(f, `reader feature "${f}" is not implemented`, snapshot);
    }
  }
  const mode = snapshot.configuration['delta.columnMapping.mode'] ?? 'none';
  if (mode !== 'none') {
    if (mode !== 'name')
      unsupported('columnMapping', `column mapping mode "${mode}" (only "name" is implemented)`, snapshot);
    if (snapshot.schema.fields.some((f) => hasNested(f.type)))
      unsupported('columnMapping', 'column mapping on nested columns is not implemented', snapshot);
  }
  if (snapshot.files.some((f) => f.deletionVector))
    unsupported('deletionVectors', 'files carry deletion vectors', snapshot);
}

function physicalName(field: StructType['fields'][number], snapshot: Snapshot): string {
  const mode = snapshot.configuration['delta.columnMapping.mode'] ?? 'none';
  if (mode === 'none') return field.name;
  const p = field.metadata['delta.columnMapping.physicalName'];
  return typeof p === 'string' ? p : field.name;
}

// ---------------------------------------------------------------------------------------------
// Pruning

export type FilterOp = '=' | '<' | '<=' | '>' | '>=' | 'in';
/** A simple predicate; several filters are combined with AND. */
export interface Filter {
  column: string;
  op: FilterOp;
  value: LakeValue | Date | readonly (LakeValue | Date)[];
}

type Comparable = number | bigint | string | boolean;

function comparable(v: unknown, type: DeltaType): Comparable | null {
  if (v === null || v === undefined) return null;
  if (type === 'timestamp' || type === 'timestamp_ntz') {
    if (v instanceof Date) return BigInt(v.getTime()) * 1000n;
    return parseTimestampMicros(String(v));
  }
  if (type === 'date') return v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);
  if (typeof type === 'string' && decimalParts(type)) return Number(v);
  if (
    type === 'long' ||
    type === 'integer' ||
    type === 'short' ||
    type === 'byte' ||
    type === 'float' ||
    type === 'double'
  )
    return Number(v);
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint')
    return v;
  return null;
}

function cmp(a: Comparable, b: Comparable): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') {
    // Byte-wise UTF-8 order, as Delta stats are computed (Buffer.compare).
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function filterValues(f: Filter): unknown[] {
  return f.op === 'in' ? [...(f.value as readonly unknown[])] : [f.value];
}

/** Does an exact value satisfy the filter? Null never does. */
export function matches(value: unknown, f: Filter, type: DeltaType): boolean {
  const v = comparable(value, type);
  if (v === null) return false;
  const targets = filterValues(f)
    .map((x) => comparable(x, type))
    .filter((x): x is Comparable => x !== null);
  switch (f.op) {
    case '=':
    case 'in':
      return targets.some((t) => cmp(v, t) === 0);
    case '<':
      return targets.every((t) => cmp(v, t) < 0);
    case '<=':
      return targets.every((t) => cmp(v, t) <= 0);
    case '>':
      return targets.every((t) => cmp(v, t) > 0);
    case '>=':
      return targets.every((t) => cmp(v, t) >= 0);
  }
}

/** Could a file with [min, max] hold a value satisfying the filter? */
function rangeMayMatch(min: Comparable | null, max: Comparable | null, f: Filter, type: DeltaType): boolean {
  const targets = filterValues(f)
    .map((x) => comparable(x, type))
    .filter((x): x is Comparable => x !== null);
  if (targets.length === 0) return false;
  const geMin = (t: Comparable) => min === null || cmp(t, min) >= 0;
  const leMax = (t: Comparable) => max === null || cmp(t, max) <= 0;
  switch (f.op) {
    case '=':
    case 'in':
      return targets.some((t) => geMin(t) && leMax(t));
    case '<':
      return targets.every((t) => min === null || cmp(min, t) < 0);
    case '<=':
      return targets.every((t) => min === null || cmp(min, t) <= 0);
    case '>':
      return targets.every((t) => max === null || cmp(max, t) > 0);
    case '>=':
      return targets.every((t) => max === null || cmp(max, t) >= 0);
  }
}

export function parseStats(add: AddAction): FileStats | undefined {
  if (!add.stats) return undefined;
  try {
    return JSON.parse(add.stats) as FileStats;
  } catch {
    return undefined; // stats are optional; unreadable ones only cost pruning
  }
}

/** Keeps the active files that may hold rows matching every filter (partition values, then stats). */
export function pruneFiles(snapshot: Snapshot, filters: readonly Filter[]): AddAction[] {
  if (filters.length === 0) return snapshot.files;
  const fields = new Map(snapshot.schema.fields.map((f) => [f.name, f]));
  for (const f of filters)
    if (!fields.has(f.column))
      throw new LakeError('CP_ERR_LAKE_CORRUPT', `Filter on unknown column "${f.column}"`, {
        details: { column: f.column },
      });
  const partitionSet = new Set(snapshot.partitionColumns);
  return snapshot.files.filter((add) => {
    let stats: FileStats | undefined | null = null;
    for (const f of filters) {
      const field = fields.get(f.column);
      if (!field) continue;
      if (partitionSet.has(f.column)) {
        const pv = parsePartitionValue(add.partitionValues?.[f.column], field.type);
        if (!matches(pv, f, field.type)) return false;
        continue;
      }
      if (stats === null) stats = parseStats(add);
      if (!stats) continue;
      const key = physicalName(field, snapshot);
      const nulls = Number(stats.nullCount?.[key] ?? -1);
      if (nulls === stats.numRecords && stats.numRecords >= 0) return false; // all null: no comparison holds
      const rawMin = stats.minValues?.[key];
      const rawMax = stats.maxValues?.[key];
      if (rawMin === undefined && rawMax === undefined) continue;
      const min = rawMin === undefined ? null : comparable(rawMin, field.type);
      let max = rawMax === undefined ? null : comparable(rawMax, field.type);
      // Timestamp stats are truncated to milliseconds; widen the max so micros inside it still match.
      if (typeof max === 'bigint') max += 999n;
      if (!rangeMayMatch(min, max, f, field.type)) return false;
    }
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Rows

export type Row = Record<string, LakeValue>;

/** Absolute file-system path of an add/remove path. */
export function resolveDataPath(tablePath: string, path: string): string {
  if (/^file:/i.test(path)) return fileURLToPath(path);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path))
    throw new LakeError('CP_ERR_LAKE_UNSUPPORTED', `Data file on another file system: ${path}`, {
      details: { feature: 'remote-path', path },
    });
  const decoded = decodeAddPath(path);
  return isAbsolute(decoded) ? decoded : join(tablePath, decoded);
}

export interface ReadOptions extends LakeDeps {
  version?: number | undefined;
  filters?: readonly Filter[];
  /** Logical column names to return (all, in schema order, by default). */
  columns?: readonly string[];
}

export interface ReadResult {
  snapshot: Snapshot;
  /** The files that were read after pruning. */
  files: AddAction[];
  rows: Row[];
}

/** Reads the rows of a table version, pruned and filtered by `filters`. */
export async function readTable(tablePath: string, options: ReadOptions = {}): Promise<ReadResult> {
  const snapshot = await loadSnapshot(tablePath, options);
  assertReadable(snapshot);
  const files = pruneFiles(snapshot, options.filters ?? []);
  const wanted = options.columns ? new Set(options.columns) : undefined;
  const partitionSet = new Set(snapshot.partitionColumns);
  const fields = snapshot.schema.fields.filter(
    (f) => !wanted || wanted.has(f.name) || options.filters?.some((x) => x.column === f.name),
  );
  const dataCols = fields
    .filter((f) => !partitionSet.has(f.name))
    .map((f) => ({ name: f.name, physical: physicalName(f, snapshot), type: f.type }));
  const byAbs = new Map<string, AddAction>();
  for (const a of files) byAbs.set(resolveDataPath(tablePath, a.path), a);
  const partitionCache = new Map<AddAction, Row>();
  const partValues = (a: AddAction): Row => {
    let pv = partitionCache.get(a);
    if (!pv) {
      pv = {};
      for (const f of fields)
        if (partitionSet.has(f.name)) pv[f.name] = parsePartitionValue(a.partitionValues?.[f.name], f.type);
      partitionCache.set(a, pv);
    }
    return pv;
  };
  const raw = await withDuck(options.duckdb, (c) => readParquetFiles(c, [...byAbs.keys()], dataCols));
  const outFields = snapshot.schema.fields.filter((f) => !wanted || wanted.has(f.name));
  const rows: Row[] = [];
  for (const r of raw) {
    const add = byAbs.get(r.file);
    if (!add)
      throw new LakeError('CP_ERR_LAKE_CORRUPT', `DuckDB returned a row of an unknown file ${r.file}`);
    const pv = partValues(add);
    const full: Row = {};
    for (const f of fields)
      full[f.name] = partitionSet.has(f.name) ? (pv[f.name] ?? null) : (r.values[f.name] ?? null);
    if (
      options.filters &&
      !options.filters.every((flt) =>
        matches(full[flt.column], flt, fields.find((x) => x.name === flt.column)?.type ?? 'string'),
      )
    )
      continue;
    const row: Row = {};
    for (const f of outFields) row[f.name] = full[f.name] ?? null;
    rows.push(row);
  }
  return { snapshot, files, rows };
}

/** The canonical JSON text of a row (EXPECTED.md "Canonical row format"): binary as lowercase hex. */
export function canonicalRow(row: Row): string {
  return JSON.stringify(canonicalValue(row));
}

function canonicalValue(v: LakeValue): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(canonicalValue);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = canonicalValue(x);
    return o;
  }
  return v;
}
