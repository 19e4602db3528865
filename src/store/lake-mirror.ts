/**
 * A read-only mirror of the store built from the Delta tables, for `crimepulse serve` (API and
 * dashboard without the pipeline's store file, which DuckDB lets only one process open for writing).
 * An in-memory DuckDB with the store's own schema is filled from each table's active parquet files
 * (partition values, which Delta keeps out of the files, come from the log), then watermarks are
 * derived from the events, so every store query works unchanged. A refresh refills the same store
 * in one transaction, so readers see the old or the new mirror, never half of one.
 */
import { type DuckDBConnection, quotedIdentifier } from '@duckdb/node-api';
import type { Logger } from '../core/logger.js';
import { openStore, type Store } from './duckdb-store.js';

/** One active data file of a lake table, as `activeFiles()` in src/lake lists it. */
export interface LakeFile {
  absPath: string;
  partitionValues: Record<string, string | null>;
}

export type LakeFiles = (
  table: 'events' | 'windows_hourly' | 'windows_daily' | 'windows_monthly' | 'anomalies',
) => Promise<LakeFile[]>;

/**
 * Store columns the lake does not keep: the event's local calendar positions, which the pipeline's
 * window assigner computes. Rebuilt here with DuckDB's ICU time zones from `occurred_at` and
 * `time_zone` (UTC session), following the same rule: hour and day only where the precision allows.
 */
const LOCAL = 'timezone(time_zone, occurred_at::TIMESTAMPTZ)';
const utcOf = (local: string) => `timezone(time_zone, ${local})::TIMESTAMP`;
const COMPUTED: Record<string, Record<string, string>> = {
  events: {
    arrest: "TRY_CAST(json_extract_string(attributes, '$.arrest') AS BOOLEAN)",
    domestic: "TRY_CAST(json_extract_string(attributes, '$.domestic') AS BOOLEAN)",
    hour_start: `CASE WHEN time_precision IN ('minute', 'hour') THEN ${utcOf(`date_trunc('hour', ${LOCAL})`)} END`,
    day_start: `CASE WHEN time_precision <> 'month' THEN ${utcOf(`date_trunc('day', ${LOCAL})`)} END`,
    day_end: `CASE WHEN time_precision <> 'month' THEN ${utcOf(`date_trunc('day', ${LOCAL}) + INTERVAL 1 DAY`)} END`,
    local_day: `CASE WHEN time_precision <> 'month' THEN CAST(${LOCAL} AS DATE) END`,
    month_start: utcOf(`date_trunc('month', ${LOCAL})`),
    month_end: utcOf(`date_trunc('month', ${LOCAL}) + INTERVAL 1 MONTH`),
    local_month: `strftime(${LOCAL}, '%Y-%m')`,
    local_hour: `CASE WHEN time_precision IN ('minute', 'hour') THEN hour(${LOCAL}) END`,
    local_dow: `CASE WHEN time_precision <> 'month' THEN isodow(${LOCAL}) - 1 END`,
    worker_id: "'lake'",
    batch_seq: '0',
  },
};

const TABLES = ['events', 'windows_hourly', 'windows_daily', 'windows_monthly', 'anomalies'] as const;

export async function buildLakeMirror(
  files: LakeFiles,
  log: Logger,
  into?: Store,
): Promise<{ store: Store; rows: Record<string, number> }> {
  const store = into ?? (await openStore(':memory:', log));
  const conn = store.reader;
  const rows: Record<string, number> = {};
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const table of [...TABLES, 'watermarks']) await conn.run(`DELETE FROM ${quotedIdentifier(table)}`);
    for (const table of TABLES) rows[table] = await copyTable(conn, table, await files(table));
    await conn.run(
      `INSERT OR REPLACE INTO watermarks SELECT source, max(occurred_at), max(occurred_at), now()::TIMESTAMP FROM events GROUP BY source`,
    );
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK');
    throw err;
  }
  return { store, rows };
}

async function copyTable(conn: DuckDBConnection, table: string, lakeFiles: LakeFile[]): Promise<number> {
  const target = new Set(
    (
      await conn.runAndReadAll('SELECT column_name FROM information_schema.columns WHERE table_name = $t', {
        t: table,
      })
    )
      .getRowObjectsJS()
      .map((r) => String(r.column_name)),
  );
  for (const file of lakeFiles) {
    const cols = (
      await conn.runAndReadAll('SELECT name FROM parquet_schema($f) WHERE num_children IS NULL', {
        f: file.absPath,
      })
    )
      .getRowObjectsJS()
      .map((r) => String(r.name))
      .filter((c) => target.has(c));
    const parts = Object.entries(file.partitionValues).filter(([k]) => target.has(k) && !cols.includes(k));
    const computed = Object.entries(COMPUTED[table] ?? {}).filter(([k]) => !cols.includes(k));
    const select = [
      ...computed.map(([k, expr]) => `${expr} AS ${quotedIdentifier(k)}`),
      ...cols.map(quotedIdentifier),
      ...parts.map(([k], i) => `$p${i} AS ${quotedIdentifier(k)}`),
    ].join(', ');
    const params: Record<string, string | null> = { f: file.absPath };
    parts.forEach(([, v], i) => {
      params[`p${i}`] = v;
    });
    // Column names come from DuckDB's own catalogue and are quoted with the library's quoting.
    await conn.run(
      `INSERT OR REPLACE INTO ${quotedIdentifier(table)} BY NAME SELECT ${select} FROM read_parquet($f)`,
      params,
    );
  }
  return lakeFiles.length;
}
