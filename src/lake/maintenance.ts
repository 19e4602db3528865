/**
 * Table maintenance behind `crimepulse lake files|optimize|vacuum`.
 *
 * - `activeFiles`: the parquet files of a snapshot (what DuckDB/Spark-less readers pass to
 *   `read_parquet`; the directory may also hold orphans and tombstoned files).
 * - `optimize`: compacts the small files of each partition into one, committed with
 *   `dataChange=false` (rows are unchanged; streaming readers skip it), conflict-checked like any
 *   commit (a concurrent commit that removed one of our inputs makes it plan again).
 * - `vacuum`: deletes data files that no snapshot within the retention can need: never a file of the
 *   current snapshot, never a tombstone younger than the retention (time travel), never any file
 *   whose modification time is within the retention (it may belong to a commit in flight).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LakeError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import type { AddAction } from './delta-protocol.js';
import { type LakeDeps, loadSnapshot, parseStats, resolveDataPath } from './delta-reader.js';
import {
  type CommitResult,
  commitWithRetry,
  newDataFilePath,
  removeOf,
  type WriterDeps,
} from './delta-writer.js';
import { copyParquet, parquetStats, withDuck } from './parquet-io.js';

export interface ActiveFile {
  /** Absolute file-system path. */
  absPath: string;
  /** `add.path` as logged (relative, URI-encoded). */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  /** From the file's stats, when present. */
  numRecords: number | undefined;
}

/** The active data files of a table version (latest by default). */
export async function activeFiles(
  tablePath: string,
  options: { version?: number } & LakeDeps = {},
): Promise<ActiveFile[]> {
  const s = await loadSnapshot(tablePath, options);
  return s.files.map((a) => ({
    absPath: resolveDataPath(tablePath, a.path),
    path: a.path,
    partitionValues: a.partitionValues ?? {},
    size: a.size,
    modificationTime: a.modificationTime,
    numRecords: parseStats(a)?.numRecords,
  }));
}

export interface OptimizeOptions {
  /** Files at least this big are left alone, and bins stop growing here (default 128 MiB). */
  targetFileSize?: number;
  /** Only partitions with at least this many small files are compacted (default 2). */
  minFiles?: number;
}

export interface OptimizeResult {
  commit: CommitResult | undefined;
  filesRemoved: number;
  filesAdded: number;
  partitionsCompacted: number;
}

/** Compacts small files per partition (one commit, dataChange=false). No commit when nothing to do. */
export async function optimize(
  tablePath: string,
  options: OptimizeOptions = {},
  deps: WriterDeps = {},
): Promise<OptimizeResult> {
  const target = options.targetFileSize ?? 128 * 1024 * 1024;
  const minFiles = options.minFiles ?? 2;
  let stats = { removed: 0, added: 0, partitions: 0 };
  const first = await loadSnapshot(tablePath, deps);
  if (planBins(first.files, first.partitionColumns, target, minFiles).length === 0)
    return { commit: undefined, filesRemoved: 0, filesAdded: 0, partitionsCompacted: 0 };
  const commit = await commitWithRetry(
    tablePath,
    async (snapshot) => {
      const bins = planBins(snapshot.files, snapshot.partitionColumns, target, minFiles);
      const dataFields = snapshot.schema.fields.filter((f) => !snapshot.partitionColumns.includes(f.name));
      const now = (deps.clock ?? Date.now)();
      const adds: AddAction[] = [];
      const written: string[] = [];
      try {
        await withDuck(deps.duckdb, async (conn) => {
          for (const bin of bins) {
            const first = bin[0] as AddAction;
            const out = newDataFilePath(snapshot, first.partitionValues ?? {});
            written.push(out.absPath);
            const sources = bin.map((a) => resolveDataPath(tablePath, a.path));
            const { size, modificationTime } = await copyParquet(conn, sources, out.absPath, dataFields);
            const st = await parquetStats(conn, out.absPath, dataFields);
            adds.push({
              path: out.addPath,
              partitionValues: first.partitionValues ?? {},
              size,
              modificationTime,
              dataChange: false,
              stats: JSON.stringify(st),
            });
          }
        });
      } catch (err) {
        await Promise.all(written.map((p) => rm(p, { force: true })));
        throw err;
      }
      const removes = bins.flat().map((a) => removeOf(a, now, false));
      stats = { removed: removes.length, added: adds.length, partitions: bins.length };
      return { adds, removes, written, conflictsWithConcurrentAdds: false, isBlindAppend: false };
    },
    { operation: 'OPTIMIZE', operationParameters: { targetFileSize: target } },
    deps,
  );
  (deps.logger ?? silentLogger)
    .child({ component: 'lake' })
    .info({ tablePath, ...stats, version: commit.version }, 'optimized');
  return {
    commit,
    filesRemoved: stats.removed,
    filesAdded: stats.added,
    partitionsCompacted: stats.partitions,
  };
}

/** Groups small files by partition into bins of at most `target` bytes, keeping bins of ≥ minFiles. */
function planBins(
  files: readonly AddAction[],
  partitionColumns: readonly string[],
  target: number,
  minFiles: number,
): AddAction[][] {
  const byPartition = new Map<string, AddAction[]>();
  for (const f of files) {
    if (f.size >= target || f.deletionVector) continue;
    const k = JSON.stringify(partitionColumns.map((c) => f.partitionValues?.[c] ?? null));
    const list = byPartition.get(k) ?? [];
    list.push(f);
    byPartition.set(k, list);
  }
  const bins: AddAction[][] = [];
  for (const list of byPartition.values()) {
    let bin: AddAction[] = [];
    let size = 0;
    for (const f of list) {
      if (size + f.size > target && bin.length > 0) {
        bins.push(bin);
        bin = [];
        size = 0;
      }
      bin.push(f);
      size += f.size;
    }
    bins.push(bin);
  }
  return bins.filter((b) => b.length >= Math.max(2, minFiles));
}

export interface VacuumOptions {
  /** Files younger than this (and tombstones removed less than this ago) are kept. */
  retentionHours: number;
  /** List what would be deleted without deleting. */
  dryRun?: boolean;
}

export interface VacuumResult {
  /** Absolute paths deleted (or that would be, with dryRun). */
  deleted: string[];
  /** Unreferenced files kept because they are within the retention. */
  keptRecent: number;
}

async function listDataFiles(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    // `_delta_log`, `_SUCCESS`, `.crc` side files and other hidden entries are not data files.
    // A partition directory (`_col=value`) is never hidden, as in Delta's own vacuum.
    if ((e.name.startsWith('_') || e.name.startsWith('.')) && !(e.isDirectory() && e.name.includes('=')))
      continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await listDataFiles(root, p, out);
    else if (e.isFile()) out.push(p);
  }
}

/** Deletes unreferenced data files older than the retention (see the file header). */
export async function vacuum(
  tablePath: string,
  retention: number | VacuumOptions,
  deps: WriterDeps = {},
): Promise<VacuumResult> {
  const options: VacuumOptions = typeof retention === 'number' ? { retentionHours: retention } : retention;
  if (!(options.retentionHours >= 0))
    throw new LakeError('CP_ERR_CONFIG_INVALID', `retentionHours must be ≥ 0, got ${options.retentionHours}`);
  const snapshot = await loadSnapshot(tablePath, deps);
  const now = (deps.clock ?? Date.now)();
  const horizon = now - options.retentionHours * 3_600_000;
  const keep = new Set<string>();
  for (const a of snapshot.files) keep.add(resolveDataPath(tablePath, a.path));
  for (const r of snapshot.tombstones)
    if ((r.deletionTimestamp ?? now) > horizon) keep.add(resolveDataPath(tablePath, r.path));
  const files: string[] = [];
  await listDataFiles(tablePath, tablePath, files);
  const deleted: string[] = [];
  let keptRecent = 0;
  for (const f of files) {
    if (keep.has(f)) continue;
    const st = await stat(f);
    if (st.mtimeMs > horizon) {
      keptRecent++;
      continue;
    }
    deleted.push(f);
    if (!options.dryRun) await rm(f, { force: true });
  }
  (deps.logger ?? silentLogger).child({ component: 'lake' }).info(
    {
      tablePath,
      deleted: deleted.length,
      keptRecent,
      dryRun: options.dryRun ?? false,
      root: relative(process.cwd(), tablePath),
    },
    'vacuumed',
  );
  return { deleted, keptRecent };
}
