/** Areas with the most events for a filter, and the category mix of a filter. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { filterParams, SeriesFilter, whereFilter } from './filters.js';
import { runQuery } from './run-query.js';

export const AreaCount = z.object({
  source: z.string(),
  areaId: z.string(),
  events: z.number(),
  incidents: z.number(),
});
export type AreaCount = z.infer<typeof AreaCount>;

const TOP_SQL = `SELECT source, area_id AS "areaId", sum(event_count) AS events, sum(incident_count) AS incidents
  FROM windows_daily WHERE ${whereFilter('window_start')}
  GROUP BY source, area_id ORDER BY events DESC, source, area_id LIMIT CAST($limit AS INTEGER)`;

/** Uses daily windows, so month-only sources (UK) are not counted here: use `categoryMix` on months. */
export function topAreas(
  conn: DuckDBConnection,
  filter: SeriesFilter = {},
  limit = 10,
): Promise<AreaCount[]> {
  return runQuery(conn, TOP_SQL, { ...filterParams(SeriesFilter.parse(filter)), limit }, AreaCount);
}

export const CategoryShare = z.object({ category: z.string(), events: z.number(), share: z.number() });
export type CategoryShare = z.infer<typeof CategoryShare>;

const MIX_SQL = `SELECT category, sum(event_count) AS events, sum(event_count) / sum(sum(event_count)) OVER () AS share
  FROM windows_monthly WHERE ${whereFilter('window_start')}
  GROUP BY category ORDER BY events DESC, category`;

/** Category shares over monthly windows (every precision lands in a month). */
export function categoryMix(conn: DuckDBConnection, filter: SeriesFilter = {}): Promise<CategoryShare[]> {
  return runQuery(conn, MIX_SQL, filterParams(SeriesFilter.parse(filter)), CategoryShare);
}
