/** Per source: stored events, newest occurredAt, last ingest, and the pipeline's watermark. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { tsToIso } from '../rows.js';
import { runQuery } from './run-query.js';

const Ts = z.union([z.string(), z.date()]).transform(tsToIso);

export const SourceSummary = z.object({
  source: z.string(),
  events: z.number(),
  newestOccurredAt: Ts,
  lastIngestedAt: Ts,
  watermark: Ts.nullable(),
});
export type SourceSummary = z.infer<typeof SourceSummary>;

const SQL = `SELECT e.source, count(*) AS events, CAST(max(e.occurred_at) AS VARCHAR) AS "newestOccurredAt",
    CAST(max(e.ingested_at) AS VARCHAR) AS "lastIngestedAt", CAST(any_value(w.watermark) AS VARCHAR) AS watermark
  FROM events e LEFT JOIN watermarks w USING (source)
  GROUP BY e.source ORDER BY e.source`;

export function sourcesSummary(conn: DuckDBConnection): Promise<SourceSummary[]> {
  return runQuery(conn, SQL, {}, SourceSummary);
}
