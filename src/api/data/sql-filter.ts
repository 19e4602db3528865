/**
 * The API's filter as SQL: fixed text with bound values (never values spliced into SQL). The store's
 * own `SeriesFilter` takes one value per field; the API takes lists, so each list is bound as one
 * string joined by U+001F (which the parameter schemas forbid inside values) and split in SQL.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { StoreError } from '../../core/errors.js';
import type { FilterQuery } from '../schemas.js';

const SEP = '\u001f';

const list = (v: readonly string[] | undefined): string | null => (v === undefined || v.length === 0 ? null : v.join(SEP));

export function filterParams(f: FilterQuery): Record<string, DuckDBValue> {
  return {
    sources: list(f.source),
    areas: list(f.area),
    categories: list(f.category),
    from: f.from === undefined ? null : Date.parse(f.from),
    to: f.to === undefined ? null : Date.parse(f.to),
  };
}

const inList = (param: string, col: string): string =>
  `(CAST($${param} AS VARCHAR) IS NULL OR list_contains(string_split(CAST($${param} AS VARCHAR), chr(31)), ${col}))`;

/** WHERE fragment over a table with source, area_id, category and time column `t`. */
export function whereFilter(t: string): string {
  return `${inList('sources', 'source')} AND ${inList('areas', 'area_id')} AND ${inList('categories', 'category')}
    AND (CAST($from AS DOUBLE) IS NULL OR ${t} >= epoch_ms(CAST($from AS BIGINT)))
    AND (CAST($to AS DOUBLE) IS NULL OR ${t} < epoch_ms(CAST($to AS BIGINT)))`;
}

/** Runs fixed SQL with bound values; bigints become numbers. */
export async function rows(conn: DuckDBConnection, sql: string, params: Record<string, DuckDBValue>): Promise<Record<string, unknown>[]> {
  let raw: Record<string, unknown>[];
  try {
    raw = (await conn.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[];
  } catch (err) {
    throw new StoreError('CP_ERR_STORE_QUERY', `store query failed: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  for (const r of raw) for (const [k, v] of Object.entries(r)) if (typeof v === 'bigint') r[k] = Number(v);
  return raw;
}
