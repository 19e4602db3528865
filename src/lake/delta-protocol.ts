/**
 * Delta Lake transaction-log vocabulary: action shapes, the schema JSON, file names and the text
 * encodings of partition values and timestamps (PROTOCOL.md of delta-io/delta, sections "Actions",
 * "Schema Serialization Format", "Partition Value Serialization"). Pure functions only; the reader
 * and writer build on these. Hand-written because no JS Delta library exists (see ARCHITECTURE.md).
 */
import { LakeError } from '../core/errors.js';

// ---------------------------------------------------------------------------------------------
// Schema

export type PrimitiveTypeName =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | `decimal(${number},${number})`;

export interface StructField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}
export interface StructType {
  type: 'struct';
  fields: StructField[];
}
export interface ArrayType {
  type: 'array';
  elementType: DeltaType;
  containsNull: boolean;
}
export interface MapType {
  type: 'map';
  keyType: DeltaType;
  valueType: DeltaType;
  valueContainsNull: boolean;
}
export type DeltaType = PrimitiveTypeName | StructType | ArrayType | MapType;

const PRIMITIVES = new Set([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
]);

/** Parses `decimal(p,s)` into its precision and scale, or undefined for other types. */
export function decimalParts(type: DeltaType): { precision: number; scale: number } | undefined {
  if (typeof type !== 'string') return undefined;
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (!m) return undefined;
  return { precision: Number(m[1]), scale: Number(m[2]) };
}

function checkType(t: unknown, where: string): DeltaType {
  if (typeof t === 'string') {
    if (PRIMITIVES.has(t) || decimalParts(t as DeltaType)) return t as DeltaType;
    // `decimal` alone is Spark's shorthand for decimal(10,0).
    if (t === 'decimal') return 'decimal(10,0)';
    throw new LakeError('CP_ERR_LAKE_UNSUPPORTED', `Unsupported Delta type "${t}" at ${where}`, {
      details: { feature: `type:${t}`, where },
    });
  }
  if (t && typeof t === 'object') {
    const o = t as Record<string, unknown>;
    if (o.type === 'struct') return parseStruct(o, where);
    if (o.type === 'array')
      return {
        type: 'array',
        elementType: checkType(o.elementType, `${where}[]`),
        containsNull: o.containsNull !== false,
      };
    if (o.type === 'map')
      return {
        type: 'map',
        keyType: checkType(o.keyType, `${where}.key`),
        valueType: checkType(o.valueType, `${where}.value`),
        valueContainsNull: o.valueContainsNull !== false,
      };
  }
  throw new LakeError('CP_ERR_LAKE_CORRUPT', `Unreadable Delta type at ${where}`, { details: { where } });
}

function parseStruct(o: Record<string, unknown>, where: string): StructType {
  if (!Array.isArray(o.fields))
    throw new LakeError('CP_ERR_LAKE_CORRUPT', `Struct without fields at ${where}`);
  return {
    type: 'struct',
    fields: o.fields.map((f: Record<string, unknown>) => ({
      name: String(f.name),
      type: checkType(f.type, `${where}.${String(f.name)}`),
      nullable: f.nullable !== false,
      metadata: (f.metadata as Record<string, unknown> | undefined) ?? {},
    })),
  };
}

/** Parses `metaData.schemaString`. */
export function parseSchemaString(schemaString: string): StructType {
  let raw: unknown;
  try {
    raw = JSON.parse(schemaString);
  } catch (cause) {
    throw new LakeError('CP_ERR_LAKE_CORRUPT', 'metaData.schemaString is not JSON', { cause });
  }
  return parseStruct(raw as Record<string, unknown>, 'schema');
}

/** A Delta type as the short text used in docs and EXPECTED.json (`array<short>`, `decimal(5,3)`). */
export function typeToString(t: DeltaType): string {
  if (typeof t === 'string') return t;
  if (t.type === 'struct')
    return `struct<${t.fields.map((f) => `${f.name}:${typeToString(f.type)}`).join(',')}>`;
  if (t.type === 'array') return `array<${typeToString(t.elementType)}>`;
  return `map<${typeToString(t.keyType)},${typeToString(t.valueType)}>`;
}

/** Convenience builder for flat schemas: `struct({ id: 'string', n: 'long' })`. */
export function struct(
  fields: Record<string, DeltaType>,
  nullable: Record<string, boolean> = {},
): StructType {
  return {
    type: 'struct',
    fields: Object.entries(fields).map(([name, type]) => ({
      name,
      type,
      nullable: nullable[name] ?? true,
      metadata: {},
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Actions

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}
export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}
export interface DeletionVectorDescriptor {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}
export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
}
export interface RemoveAction {
  path: string;
  dataChange: boolean;
  deletionTimestamp?: number | null;
  extendedFileMetadata?: boolean | null;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  deletionVector?: DeletionVectorDescriptor | null;
}
export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}
export type CommitInfo = Record<string, unknown>;

export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { txn: TxnAction }
  | { commitInfo: CommitInfo };

/** Per-file statistics as stored (JSON) in `add.stats`. */
export interface FileStats {
  numRecords: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
  tightBounds?: boolean;
}

// ---------------------------------------------------------------------------------------------
// File names

export const LOG_DIR = '_delta_log';

export function commitFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}
export function checkpointFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.checkpoint.parquet`;
}

export type LogFile =
  | { kind: 'commit'; version: number; name: string }
  | { kind: 'checkpoint'; version: number; name: string; part: number; parts: number }
  | { kind: 'unsupported-checkpoint'; version: number; name: string };

/** Classifies a `_delta_log` entry; `.crc`, `_last_checkpoint`, temp files and others give undefined. */
export function parseLogFileName(name: string): LogFile | undefined {
  let m = /^(\d{20})\.json$/.exec(name);
  if (m) return { kind: 'commit', version: Number(m[1]), name };
  m = /^(\d{20})\.checkpoint\.parquet$/.exec(name);
  if (m) return { kind: 'checkpoint', version: Number(m[1]), name, part: 1, parts: 1 };
  m = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/.exec(name);
  if (m) return { kind: 'checkpoint', version: Number(m[1]), name, part: Number(m[2]), parts: Number(m[3]) };
  // V2 (UUID-named) checkpoints: <v>.checkpoint.<uuid>.json|parquet
  m = /^(\d{20})\.checkpoint\.[0-9a-f-]{36}\.(json|parquet)$/.exec(name);
  if (m) return { kind: 'unsupported-checkpoint', version: Number(m[1]), name };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Paths: Hive-style directory escaping, then URI encoding of add.path (RFC 2396)

// The characters Spark/Hive escape in partition directory names (ExternalCatalogUtils.escapePathName).
const HIVE_ESCAPE_CHARS = new Set(`"#%'*/:=?\\{[]^`);

function needsHiveEscape(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code >= 0x01 && code <= 0x1f) || code === 0x7f || HIVE_ESCAPE_CHARS.has(c);
}

export function escapePartitionDir(value: string): string {
  let out = '';
  for (const c of value)
    out += needsHiveEscape(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : c;
  return out;
}

/** Encodes a relative file path for `add.path`; non-ASCII stays raw (as Spark writes it). */
export function encodeAddPath(relative: string): string {
  return relative.replace(/[%\s"<>\\^`{|}#?[\]]/g, (c) =>
    Array.from(new TextEncoder().encode(c))
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

/** Decodes `add.path`/`remove.path` into a path relative to the table root (or an absolute file URI). */
export function decodeAddPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

// ---------------------------------------------------------------------------------------------
// Timestamps: microsecond instants as bigint, formatted as the canonical ISO strings

const MICROS_PER_SECOND = 1_000_000n;

/** Formats epoch microseconds as `YYYY-MM-DDTHH:MM:SS.ffffff` plus `Z` when `utc`. */
export function formatMicros(micros: bigint, utc = true): string {
  let seconds = micros / MICROS_PER_SECOND;
  let frac = micros % MICROS_PER_SECOND;
  if (frac < 0n) {
    frac += MICROS_PER_SECOND;
    seconds -= 1n;
  }
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${iso}.${frac.toString().padStart(6, '0')}${utc ? 'Z' : ''}`;
}

/**
 * Parses a timestamp text (ISO with `T` or space, optional fraction up to 9 digits, optional `Z` or
 * offset) into epoch microseconds. Zone-less text is taken as UTC, as Delta Kernel does for
 * partition values.
 */
export function parseTimestampMicros(text: string): bigint {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      text.trim(),
    );
  if (!m) throw new LakeError('CP_ERR_LAKE_CORRUPT', `Unreadable timestamp "${text}"`);
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  let micros = BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
    micros -= sign * offsetMinutes * 60n * MICROS_PER_SECOND;
  }
  return micros;
}

/** Accepts a Date, an ISO string or epoch milliseconds; returns epoch microseconds. */
export function toMicros(value: unknown): bigint {
  if (value instanceof Date) return BigInt(value.getTime()) * 1000n;
  if (typeof value === 'number') return BigInt(Math.round(value * 1000));
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return parseTimestampMicros(value);
  throw new LakeError('CP_ERR_LAKE_CORRUPT', `Not a timestamp: ${String(value)}`);
}

export function formatDateDays(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** A decimal text normalised to exactly `scale` fraction digits (plain notation). */
export function normaliseDecimal(text: string, scale: number): string {
  const t = text.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) {
    const n = Number(t);
    if (!Number.isFinite(n)) throw new LakeError('CP_ERR_LAKE_CORRUPT', `Unreadable decimal "${text}"`);
    return n.toFixed(scale);
  }
  const negative = t.startsWith('-');
  const [intPart = '0', fracPart = ''] = t.replace(/^[+-]/, '').split('.');
  const intDigits = intPart.replace(/^0+(?=\d)/, '') || '0';
  const frac = fracPart.padEnd(scale, '0').slice(0, scale);
  const body = scale > 0 ? `${intDigits}.${frac}` : intDigits;
  const isZero = /^[0.]*$/.test(body);
  return negative && !isZero ? `-${body}` : body;
}

// ---------------------------------------------------------------------------------------------
// Partition values

/** The value types the lake hands out (see delta-reader.ts "Row values"). */
export type LakeValue =
  | null
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | LakeValue[]
  | { [key: string]: LakeValue };

/** Parses a partition-value string by its Delta type ("Partition Value Serialization"). */
export function parsePartitionValue(raw: string | null | undefined, type: DeltaType): LakeValue {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof type !== 'string')
    throw new LakeError('CP_ERR_LAKE_CORRUPT', `Partition column of nested type ${typeToString(type)}`);
  switch (type) {
    case 'string':
      return raw;
    case 'byte':
    case 'short':
    case 'integer':
      return Number.parseInt(raw, 10);
    case 'long': {
      const b = BigInt(raw);
      return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
    }
    case 'float':
      return Math.fround(Number(raw));
    case 'double':
      return Number(raw);
    case 'boolean':
      return raw.toLowerCase() === 'true';
    case 'binary':
      return new TextEncoder().encode(raw);
    case 'date':
      return raw.slice(0, 10);
    case 'timestamp':
      return formatMicros(parseTimestampMicros(raw), true);
    case 'timestamp_ntz':
      return formatMicros(parseTimestampMicros(raw), false);
    default: {
      const d = decimalParts(type);
      if (d) return normaliseDecimal(raw, d.scale);
      throw new LakeError('CP_ERR_LAKE_UNSUPPORTED', `Partition column of type ${type}`);
    }
  }
}

/** Serialises a row value into the partition-value string a writer records (null stays null). */
export function serialisePartitionValue(value: unknown, type: DeltaType): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamp':
      return formatMicros(toMicros(value), true);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'binary':
      throw new LakeError('CP_ERR_LAKE_UNSUPPORTED', 'The writer does not partition by binary columns');
    default:
      if (typeof type !== 'string')
        throw new LakeError('CP_ERR_LAKE_UNSUPPORTED', 'The writer does not partition by nested columns');
      return String(value);
  }
}
