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
export { checkpointFileName, commitFileName, parseSchemaString, struct, typeToString } from './delta-protocol.js';
export { type LogStore, createLocalLogStore } from './log-store.js';
export {
  type Filter,
  type FilterOp,
  type LakeDeps,
  type ReadOptions,
  type ReadResult,
  type Row,
  type Snapshot,
  assertReadable,
  canonicalRow,
  loadSnapshot,
  pruneFiles,
  readTable,
  tableExists,
} from './delta-reader.js';
export {
  type CommitOptions,
  type CommitPlan,
  type CommitResult,
  type CreateTableOptions,
  type WriterDeps,
  DEFAULT_CHECKPOINT_INTERVAL,
  appendRows,
  commitWithRetry,
  createTable,
  upsertRows,
  writeCheckpoint,
} from './delta-writer.js';
export {
  type ActiveFile,
  type OptimizeOptions,
  type OptimizeResult,
  type VacuumOptions,
  type VacuumResult,
  activeFiles,
  optimize,
  vacuum,
} from './maintenance.js';
export {
  type DeltaSink,
  type LakeAnomalyInput,
  type LakeBatch,
  type LakeTableDef,
  type LakeTableName,
  type LakeWindowInput,
  LAKE_TABLES,
  anomalyToLakeRow,
  createDeltaSink,
  ensureLakeTables,
  eventToLakeRow,
  lakeAppId,
  lakeTablePath,
  lakeVersions,
  localDate,
  windowToLakeRow,
} from './tables.js';
