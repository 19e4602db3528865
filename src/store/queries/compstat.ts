/**
 * CompStat period counts: per area × category, the current period, the previous period of the same
 * length, and the same period a year earlier, with percentage changes. Uses daily windows (local
 * days), so `from`/`to` should be local day boundaries as returned in `windowStart`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { runQuery } from './run-query.js';

export const CompStatQuery = z.object({
  source: z.string(),
  from: z.iso.datetime({ offset: false }),
  to: z.iso.datetime({ offset: false }),
});
export type CompStatQuery = z.infer<typeof CompStatQuery>;

export const CompStatRow = z.object({
  areaId: z.string(),
  category: z.string(),
  current: z.number(),
  previous: z.number(),
  lastYear: z.number(),
  changePrevious: z.number().nullable(),
  changeLastYear: z.number().nullable(),
});
export type CompStatRow = z.infer<typeof CompStatRow>;

const SQL = `WITH p AS (
    SELECT epoch_ms(CAST($from AS BIGINT)) AS f, epoch_ms(CAST($to AS BIGINT)) AS t
  ), c AS (
    SELECT area_id, category,
      sum(event_count) FILTER (WHERE window_start >= p.f AND window_start < p.t) AS cur,
      sum(event_count) FILTER (WHERE window_start >= p.f - (p.t - p.f) AND window_start < p.f) AS prev,
      sum(event_count) FILTER (WHERE window_start >= p.f - INTERVAL 1 YEAR AND window_start < p.t - INTERVAL 1 YEAR) AS ly
    FROM windows_daily, p
    WHERE source = CAST($source AS VARCHAR) AND window_start >= least(p.f - (p.t - p.f), p.f - INTERVAL 1 YEAR) AND window_start < p.t
    GROUP BY area_id, category
  )
  SELECT area_id AS "areaId", category, coalesce(cur, 0) AS current, coalesce(prev, 0) AS previous, coalesce(ly, 0) AS "lastYear",
    CASE WHEN coalesce(prev, 0) > 0 THEN (coalesce(cur, 0) - prev) / prev END AS "changePrevious",
    CASE WHEN coalesce(ly, 0) > 0 THEN (coalesce(cur, 0) - ly) / ly END AS "changeLastYear"
  FROM c ORDER BY current DESC, "areaId", category`;

export function compStat(conn: DuckDBConnection, query: CompStatQuery): Promise<CompStatRow[]> {
  const q = CompStatQuery.parse(query);
  return runQuery(
    conn,
    SQL,
    { source: q.source, from: Date.parse(q.from), to: Date.parse(q.to) },
    CompStatRow,
  );
}
