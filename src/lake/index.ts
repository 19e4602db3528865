/**
 * The lake stage's public surface: CrimePulse's own Delta Lake writer and reader (no JS Delta
 * library exists), the CrimePulse table definitions and the Delta sink, and maintenance.
 */
export type {
  Action,
  AddAction,
  DeltaType,
  FileStats,
  LakeValue,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  StructField,
  StructType,
  TxnAction,
} from './delta-protocol.js';
export {
  checkpointFileName,
  commitFileName,
  parseSchemaString,
  struct,
  typeToString,
} from './delta-protocol.js';
export {
  assertReadable,
  canonicalRow,
  type Filter,
  type FilterOp,
  type LakeDeps,
  loadSnapshot,
  pruneFiles,
  type ReadOptions,
  type ReadResult,
  type Row,
  readTable,
  type Snapshot,
  tableExists,
} from './delta-reader.js';
export {
  appendRows,
  type CommitOptions,
  type CommitPlan,
  type CommitResult,
  type CreateTableOptions,
  commitWithRetry,
  createTable,
  DEFAULT_CHECKPOINT_INTERVAL,
  upsertRows,
  type WriterDeps,
  writeCheckpoint,
} from './delta-writer.js';
export { createLocalLogStore, type LogStore } from './log-store.js';
export {
  type ActiveFile,
  activeFiles,
  type OptimizeOptions,
  type OptimizeResult,
  optimize,
  type VacuumOptions,
  type VacuumResult,
  vacuum,
} from './maintenance.js';
export {
  anomalyToLakeRow,
  createDeltaSink,
  type DeltaSink,
  ensureLakeTables,
  eventTimeFilters,
  eventToLakeRow,
  LAKE_TABLES,
  type LakeAnomalyInput,
  type LakeBatch,
  type LakeTableDef,
  type LakeTableName,
  type LakeWindowInput,
  lakeAppId,
  lakeTablePath,
  lakeVersions,
  localDate,
  windowToLakeRow,
} from './tables.js';
