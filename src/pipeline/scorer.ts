/**
 * The `Scorer` seam between the pipeline and the anomaly models (src/model implements it; cli.ts
 * passes it in). Each closed window (window end ≤ its source's watermark) is handed over exactly
 * once, inside the batch's store transaction, so the anomalies it returns commit with the window
 * that closed; a crash before the commit re-closes and re-scores the same windows.
 */
import { z } from 'zod';
import type { Granularity } from './event-time.js';

/** A tumbling window that just closed: one series (source × area × category) in one period. */
export interface ClosedWindow {
  granularity: Granularity;
  source: string;
  areaId: string;
  category: string;
  /** UTC ISO instants; daily and monthly windows follow the source's local calendar. */
  windowStart: string;
  windowEnd: string;
  /** Rows in the window. */
  eventCount: number;
  /** Distinct incidentKey in the window. */
  incidentCount: number;
  arrestCount: number;
  domesticCount: number;
}

export const Severity = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** One flagged window with its explanation, as the `anomalies` table and `crime-anomalies` carry it. */
export const AnomalyRow = z.object({
  /** Stable id: `anomalyId(...)`; a re-score of the same window and model version replaces it. */
  id: z.string().min(1),
  granularity: z.enum(['hour', 'day', 'month']),
  source: z.string(),
  areaId: z.string(),
  category: z.string(),
  windowStart: z.iso.datetime({ offset: false }),
  windowEnd: z.iso.datetime({ offset: false }),
  observed: z.number(),
  expected: z.number(),
  lower: z.number(),
  upper: z.number(),
  pValue: z.number().min(0).max(1),
  qValue: z.number().min(0).max(1).nullable(),
  severity: Severity,
  /** What drove the score (e.g. subcategories, neighbouring areas): any JSON. */
  contributors: z.unknown(),
  modelVersion: z.string(),
  detectedAt: z.iso.datetime({ offset: false }),
});
export type AnomalyRow = z.infer<typeof AnomalyRow>;

/** The id of an anomaly: one per window, series and model version. */
export function anomalyId(
  a: Pick<AnomalyRow, 'modelVersion' | 'granularity' | 'source' | 'areaId' | 'category' | 'windowStart'>,
): string {
  return `${a.modelVersion}|${a.granularity}|${a.source}|${a.areaId}|${a.category}|${a.windowStart}`;
}

export interface Scorer {
  /** Scores windows that just closed; returns the anomalous ones (empty when none). */
  scoreClosed(windows: ClosedWindow[]): Promise<AnomalyRow[]>;
}
