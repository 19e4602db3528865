/**
 * A streaming (causal) univariate anomaly detector: it sees one row at a time and must score row t
 * using rows ≤ t only. Scores are in [0, 1] and comparable across series (one global threshold).
 */
export interface StreamingDetector {
  /** Scores the next row; `timestamp` is epoch ms. */
  step(timestamp: number, value: number): number;
}

export interface SeriesInfo {
  /** Rows a detector may learn from before being scored (NAB: min(floor(0.15·N), 750)). */
  readonly probationaryRows: number;
}

export type DetectorFactory = (info: SeriesInfo) => StreamingDetector;

/** NAB's probationary period for a series of n rows. */
export function probationaryRows(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}
