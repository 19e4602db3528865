/** Window counts of one granularity for a filter, oldest first (what charts and models read). */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { z } from 'zod';
import type { WindowRow } from '../../pipeline/sink.js';
import { windowSelect } from '../duckdb-store.js';
import { rowToWindow } from '../rows.js';
import { filterParams, Granularity, SeriesFilter, whereFilter } from './filters.js';

const SQL = {
  hour: `${windowSelect('windows_hourly')} WHERE ${whereFilter('window_start')} ORDER BY window_start, source, area_id, category LIMIT 100000`,
  day: `${windowSelect('windows_daily')} WHERE ${whereFilter('window_start')} ORDER BY window_start, source, area_id, category LIMIT 100000`,
  month: `${windowSelect('windows_monthly')} WHERE ${whereFilter('window_start')} ORDER BY window_start, source, area_id, category LIMIT 100000`,
} as const;

export async function windowSeries(
  conn: DuckDBConnection,
  granularity: z.infer<typeof Granularity>,
  filter: SeriesFilter = {},
): Promise<WindowRow[]> {
  const g = Granularity.parse(granularity);
  const f = SeriesFilter.parse(filter);
  const rows = (await conn.runAndReadAll(SQL[g], filterParams(f))).getRowObjectsJS() as Record<
    string,
    unknown
  >[];
  return rows.map((r) => rowToWindow(g, r));
}
