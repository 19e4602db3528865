/**
 * Whole window history of one granularity, for model training: every stored window, oldest first, no
 * paging (the API's `windowSeries` caps its answer; training needs it all). Closed windows only, so a
 * model never learns from a window that is still filling.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { runQuery } from './run-query.js';

const TABLE = { hour: 'windows_hourly', day: 'windows_daily', month: 'windows_monthly' } as const;

const HistoryRow = z.object({
  source: z.string(),
  area_id: z.string(),
  category: z.string(),
  window_start: z.string(),
  window_end: z.string(),
  event_count: z.number(),
  incident_count: z.number(),
});

export interface HistoryWindowRow {
  granularity: 'hour' | 'day' | 'month';
  source: string;
  areaId: string;
  category: string;
  windowStart: string;
  windowEnd: string;
  eventCount: number;
  incidentCount: number;
}

const SQL = Object.fromEntries(
  Object.entries(TABLE).map(([g, t]) => [
    g,
    `SELECT w.source, w.area_id, w.category,
       strftime(w.window_start, '%Y-%m-%dT%H:%M:%S.000Z') AS window_start,
       strftime(w.window_end, '%Y-%m-%dT%H:%M:%S.000Z') AS window_end,
       w.event_count, w.incident_count
     FROM ${t} w JOIN watermarks m ON m.source = w.source
     WHERE w.window_end <= m.watermark AND w.event_count > 0
     ORDER BY w.window_start`,
  ]),
) as Record<keyof typeof TABLE, string>;

export async function windowHistory(
  conn: DuckDBConnection,
  granularity: keyof typeof TABLE,
): Promise<HistoryWindowRow[]> {
  const rows = await runQuery(conn, SQL[granularity], {}, HistoryRow);
  return rows.map((r) => ({
    granularity,
    source: r.source,
    areaId: r.area_id,
    category: r.category,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    eventCount: r.event_count,
    incidentCount: r.incident_count,
  }));
}
