/**
 * The pipeline's `Scorer` (src/pipeline/scorer.ts) backed by the per-series count models: each batch
 * of closed windows is one scoring round (BH across its series), and each anomaly becomes an
 * `AnomalyRow` with the same four severity levels (low, medium, high, critical); the
 * full detail (direction, ratio, contributors) travels in `contributors`.
 */
import { type AnomalyRow, anomalyId, type ClosedWindow, type Scorer } from '../../pipeline/scorer.js';
import {
  type Anomaly,
  indexModels,
  type ModelSet,
  type RoundOptions,
  scoreRound,
  seriesId,
} from './series-model.js';

export interface SeriesScorerOptions extends RoundOptions {
  /** Registry version of the models, e.g. `series-anomaly@3`. */
  modelVersion?: string;
  /** Clock for `detectedAt` (injected so tests and replays are deterministic). */
  now?: () => Date;
}

export interface SeriesScorer extends Scorer {
  /** Synchronous scoring with the model's own anomaly shape. */
  score(windows: readonly ClosedWindow[]): Anomaly[];
  /** Replaces the models (after a retrain or a registry promotion). */
  setModels(models: ModelSet, modelVersion?: string): void;
}

export function toAnomalyRow(
  a: Anomaly,
  modelVersion: string,
  detectedAt: string,
  windowEnd = a.windowEnd,
): AnomalyRow {
  const row = {
    granularity: a.granularity,
    source: a.source,
    areaId: a.areaId,
    category: a.category,
    windowStart: a.windowStart,
    modelVersion,
  };
  return {
    ...row,
    id: anomalyId(row),
    windowEnd,
    observed: a.observed,
    expected: a.expected,
    lower: a.lower,
    upper: a.upper,
    pValue: a.pValue,
    qValue: a.qValue,
    severity: a.severity,
    contributors: {
      direction: a.direction,
      ratio: a.ratio,
      severity: a.severity,
      score: a.score,
      intervalLevel: a.intervalLevel,
      top: a.contributors,
    },
    detectedAt,
  };
}

export function createSeriesScorer(models: ModelSet, opts: SeriesScorerOptions = {}): SeriesScorer {
  let index = indexModels(models);
  let version = opts.modelVersion ?? 'series-anomaly@local';
  const now = opts.now ?? (() => new Date());
  const score = (windows: readonly ClosedWindow[]) => scoreRound(index, windows, opts);
  return {
    score,
    async scoreClosed(windows) {
      const ends = new Map(
        windows.map((w) => [
          `${seriesId(w.source, w.areaId, w.category, w.granularity)}|${Date.parse(w.windowStart)}`,
          w.windowEnd,
        ]),
      );
      const detectedAt = now().toISOString();
      return score(windows).map((a) =>
        toAnomalyRow(
          a,
          version,
          detectedAt,
          ends.get(`${seriesId(a.source, a.areaId, a.category, a.granularity)}|${Date.parse(a.windowStart)}`),
        ),
      );
    },
    setModels(m, modelVersion) {
      index = indexModels(m);
      if (modelVersion) version = modelVersion;
    },
  };
}
