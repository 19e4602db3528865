/**
 * `crimepulse lake optimize|vacuum|files`: maintenance of the Delta tables under `<dataDir>/lake`.
 * `files` prints the active parquet files of a table, for readers without a Delta reader
 * (e.g. DuckDB: `SELECT * FROM read_parquet([...])`).
 */

import { ConfigError } from '../core/errors.js';
import { activeFiles, LAKE_TABLES, lakeTablePath, optimize, vacuum } from '../lake/index.js';
import { createContext } from './context.js';

/** Delta's own default minimum: files removed less than 7 days ago may still be read by time travel. */
const MIN_RETENTION_HOURS = 168;

function tables(table: string | undefined): string[] {
  const all = Object.keys(LAKE_TABLES);
  if (!table) return all;
  if (!all.includes(table))
    throw new ConfigError('CP_ERR_CONFIG_INVALID', `unknown table ${table}; tables: ${all.join(', ')}`);
  return [table];
}

export async function lakeCommand(
  action: 'optimize' | 'vacuum' | 'files',
  opts: { table?: string; retentionHours?: number; force?: boolean; json?: boolean },
): Promise<void> {
  const ctx = createContext([]);
  const root = ctx.dataPath('lake');
  for (const t of tables(opts.table)) {
    const path = lakeTablePath(root, t as keyof typeof LAKE_TABLES);
    if (action === 'files') {
      const files = await activeFiles(path).catch(() => []);
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ table: t, files: files.map((f) => f.absPath) })}\n`);
      else for (const f of files) process.stdout.write(`${t}\t${f.absPath}\t${f.numRecords ?? ''}\n`);
    } else if (action === 'optimize') {
      const result = await optimize(path);
      ctx.log.info({ table: t, result }, `optimized ${t}`);
    } else {
      const hours = opts.retentionHours ?? MIN_RETENTION_HOURS;
      if (hours < MIN_RETENTION_HOURS && !opts.force) {
        throw new ConfigError(
          'CP_ERR_CONFIG_INVALID',
          `retention below ${MIN_RETENTION_HOURS} h can break time travel; pass --force to do it anyway`,
        );
      }
      const result = await vacuum(path, hours);
      ctx.log.info({ table: t, deleted: result.deleted.length }, `vacuumed ${t}`);
    }
  }
}
