/** Heatmap bins: hour-of-week × area (local time, hour precision or better) and a lat/lon grid. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { filterParams, SeriesFilter, whereFilter } from './filters.js';
import { runQuery } from './run-query.js';

export const HourOfWeekBin = z.object({
  source: z.string(),
  areaId: z.string(),
  /** 0 = Monday 00:00 local … 167 = Sunday 23:00 local. */
  hourOfWeek: z.number().int().min(0).max(167),
  events: z.number(),
});
export type HourOfWeekBin = z.infer<typeof HourOfWeekBin>;

const HOW_SQL = `SELECT source, area_id AS "areaId", (CAST(local_dow AS INTEGER) - 1) * 24 + local_hour AS "hourOfWeek", count(*) AS events
  FROM events WHERE local_hour IS NOT NULL AND ${whereFilter('occurred_at')}
  GROUP BY ALL ORDER BY source, "areaId", "hourOfWeek"`;

export function hourOfWeekHeatmap(
  conn: DuckDBConnection,
  filter: SeriesFilter = {},
): Promise<HourOfWeekBin[]> {
  return runQuery(conn, HOW_SQL, filterParams(SeriesFilter.parse(filter)), HourOfWeekBin);
}

export const GridBin = z.object({ lat: z.number(), lon: z.number(), events: z.number() });
export type GridBin = z.infer<typeof GridBin>;

const GRID_SQL = `SELECT (floor(lat / CAST($cell AS DOUBLE)) + 0.5) * CAST($cell AS DOUBLE) AS lat,
    (floor(lon / CAST($cell AS DOUBLE)) + 0.5) * CAST($cell AS DOUBLE) AS lon, count(*) AS events
  FROM events WHERE lat IS NOT NULL AND lon IS NOT NULL AND ${whereFilter('occurred_at')}
  GROUP BY ALL ORDER BY events DESC, lat, lon LIMIT 20000`;

/** Counts per square cell of `cellDeg` degrees; each bin is reported at its cell centre. */
export function gridHeatmap(
  conn: DuckDBConnection,
  filter: SeriesFilter = {},
  cellDeg = 0.01,
): Promise<GridBin[]> {
  const cell = z.number().positive().max(10).parse(cellDeg);
  return runQuery(conn, GRID_SQL, { ...filterParams(SeriesFilter.parse(filter)), cell }, GridBin);
}
