/**
 * The models a running process serves: the `champion` of `predict-iforest` behind `/predict`, the
 * `champion` of `series-anomaly` scoring closed windows in the pipeline and answering `/v1/forecast`.
 * Champions are loaded from the registry at start and swapped in place after a retrain or an admin
 * promotion, so nothing is rebuilt. Before any model exists, scoring is a no-op and `/predict` answers
 * 503: the pipeline never waits for a model.
 */
import type { Logger } from '../../core/logger.js';
import { counter, gauge } from '../../core/metrics.js';
import type { AnomalyRow, ClosedWindow, Scorer } from '../../pipeline/index.js';
import type { ModelRegistry } from '../../tracking/index.js';
import { CHAMPION, forcePromote, loadChampion, MODEL_NAMES } from '../../tracking/index.js';
import {
  createSeriesScorer,
  forecast,
  parseSeriesModel,
  type SeriesModel,
  seriesId,
} from '../count/index.js';
import { IsolationForest } from '../iforest/isolation-forest.js';
import { withRollups } from '../training/series-history.js';
import type { SeriesModelBundle, TrainResult } from '../training/train-models.js';

const modelAge = gauge('crimepulse_model_age_seconds', 'Seconds since the serving champion was trained', [
  'model',
]);
const anomaliesTotal = counter('crimepulse_anomalies_total', 'Anomalies flagged in closed windows', [
  'source',
  'granularity',
  'severity',
]);
const modelVersion = gauge('crimepulse_model_version', 'Registry version of the serving champion', ['model']);

export interface ServedForest {
  version: string;
  nFeatures: number;
  score(data: Float64Array, nRows: number): ArrayLike<number>;
}

export interface ForecastRequest {
  source: string;
  area: string;
  category: string;
  granularity: 'hour' | 'day' | 'month';
  horizon: number;
}

export class ModelRuntime implements Scorer {
  #forest: ServedForest | undefined;
  #scorer = createSeriesScorer([], { modelVersion: 'none' });
  #series = new Map<string, SeriesModel>();
  #seriesVersion: string | undefined;
  #trainedAt: Record<string, number> = {};
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly log: Logger,
  ) {
    this.#timer = setInterval(() => this.#updateAge(), 15_000);
    this.#timer.unref();
  }

  get predictModel(): ServedForest | undefined {
    return this.#forest;
  }

  get seriesVersion(): string | undefined {
    return this.#seriesVersion;
  }

  hasSeriesModels(): boolean {
    return this.#series.size > 0;
  }

  /** Loads both champions from the registry (absent ones stay unloaded). */
  async loadChampions(): Promise<void> {
    const forest = await loadChampion(this.registry, MODEL_NAMES.predictIforest);
    if (forest)
      this.#setForest(
        IsolationForest.fromJSON(JSON.parse(Buffer.from(forest.bytes).toString('utf8'))),
        forest.version.version,
        forest.version.creationTimestamp,
      );
    const series = await loadChampion(this.registry, MODEL_NAMES.seriesAnomaly);
    if (series) {
      const bundle = JSON.parse(Buffer.from(series.bytes).toString('utf8')) as SeriesModelBundle;
      this.#setSeries(
        bundle.models.map((m) => parseSeriesModel(m)),
        series.version.version,
        Date.parse(bundle.trainedAt),
      );
    }
    this.log.info(
      { predictIforest: this.#forest?.version ?? null, seriesAnomaly: this.#seriesVersion ?? null },
      'champions loaded',
    );
  }

  /** Serves what a training run promoted. */
  adopt(result: TrainResult): void {
    if (result.predictIforest.promoted)
      this.#setForest(
        IsolationForest.fromJSON(result.predictIforest.artifact),
        result.predictIforest.version.version,
        Date.now(),
      );
    const s = result.seriesAnomaly;
    if (s?.promoted)
      this.#setSeries(
        s.artifact.models.map((m) => parseSeriesModel(m)),
        s.version.version,
        Date.now(),
      );
  }

  /** Admin override: makes a named version champion (logged by the registry) and serves it. */
  async promote(model: string, version: number, actor: string): Promise<unknown> {
    const result = await forcePromote({
      registry: this.registry,
      name: model,
      version,
      log: this.log,
      actor,
      reason: 'admin promotion',
    });
    await this.loadChampions();
    return result;
  }

  async scoreClosed(windows: ClosedWindow[]): Promise<AnomalyRow[]> {
    if (this.#series.size === 0 || windows.length === 0) return [];
    const rows = await this.#scorer.scoreClosed(withRollups(windows));
    for (const r of rows)
      anomaliesTotal.inc({ source: r.source, granularity: r.granularity, severity: r.severity });
    return rows;
  }

  forecast(
    q: ForecastRequest,
  ): { windowStart: string; expected: number; lower: number; upper: number }[] | undefined {
    const model = this.#series.get(seriesId(q.source, q.area, q.category, q.granularity));
    if (!model) return undefined;
    return forecast(model, q.horizon).map((p) => ({
      windowStart: p.start,
      expected: p.expected,
      lower: p.lower,
      upper: p.upper,
    }));
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #setForest(forest: IsolationForest, version: number, trainedAt: number | undefined): void {
    this.#forest = {
      version: `${MODEL_NAMES.predictIforest}@${version}`,
      nFeatures: forest.nFeatures,
      score: (data, nRows) =>
        forest.score({
          data: data.length === nRows * forest.nFeatures ? data : data.subarray(0, nRows * forest.nFeatures),
          nFeatures: forest.nFeatures,
        }),
    };
    modelVersion.set({ model: MODEL_NAMES.predictIforest }, version);
    this.#trainedAt[MODEL_NAMES.predictIforest] = trainedAt ?? Date.now();
    this.#updateAge();
  }

  #setSeries(models: SeriesModel[], version: number, trainedAt: number): void {
    this.#series = new Map(
      models.map((m) => [seriesId(m.key.source, m.key.areaId, m.key.category, m.granularity), m]),
    );
    this.#seriesVersion = `${MODEL_NAMES.seriesAnomaly}@${version}`;
    this.#scorer.setModels(models, this.#seriesVersion);
    modelVersion.set({ model: MODEL_NAMES.seriesAnomaly }, version);
    this.#trainedAt[MODEL_NAMES.seriesAnomaly] = Number.isFinite(trainedAt) ? trainedAt : Date.now();
    this.#updateAge();
  }

  #updateAge(): void {
    for (const [model, at] of Object.entries(this.#trainedAt))
      modelAge.set({ model }, (Date.now() - at) / 1000);
  }
}

export { CHAMPION };
