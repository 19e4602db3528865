/**
 * Runs one fixed SQL text with bound parameters (DuckDB prepares it; values are never spliced into
 * the text) and validates every row with zod: rows from the store are a boundary.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { z } from 'zod';
import { StoreError } from '../../core/errors.js';

export async function runQuery<S extends z.ZodType>(
  conn: DuckDBConnection,
  sql: string,
  params: Record<string, DuckDBValue>,
  row: S,
): Promise<z.infer<S>[]> {
  let raw: Record<string, unknown>[];
  try {
    raw = (await conn.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[];
  } catch (err) {
    throw new StoreError('CP_ERR_STORE_QUERY', `store query failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return raw.map((r) => {
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) plain[k] = typeof v === 'bigint' ? Number(v) : v;
    return row.parse(plain);
  });
}

/** Optional ISO instant → epoch ms parameter (null when absent). */
export function msParam(iso: string | undefined): number | null {
  return iso === undefined ? null : Date.parse(iso);
}
