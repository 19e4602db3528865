/**
 * Training of the two registered models, tracked as MLflow runs:
 * - `series-anomaly`: one negative-binomial count model per series (and per-source roll-ups), fitted on
 *   the window history; evaluated on a hold-out tail against seasonal-naive (MAE ratio, lower is better).
 * - `predict-iforest`: the original design's IsolationForest on `[count, hour, day_of_week,
 *   rolling_mean]` from real hourly source totals (the synthetic set of the original design when the
 *   history is too short, tagged as such); evaluated by ROC AUC on hold-out hours with seeded injected
 *   spikes and drops (higher is better).
 * Each run logs params, metrics and the model file; the new version is registered and becomes
 * `champion` only when its evaluation beats the current champion's (promoteIfBetter).
 */
import type { Logger } from '../../core/logger.js';
import type { ModelRegistry, ModelVersionInfo, Tracker } from '../../tracking/index.js';
import { CHAMPION, MODEL_NAMES, promoteIfBetter } from '../../tracking/index.js';
import { fitSeriesModel, predict, type SeriesModel } from '../count/index.js';
import {
  hourlyFeatures,
  IsolationForest,
  makeTrainingData,
  mulberry32,
  PREDICT_FEATURES,
} from '../iforest/isolation-forest.js';
import { ALL, buildSeries, type HistorySeries, type HistoryWindow } from './series-history.js';

export interface TrainInput {
  windows: readonly HistoryWindow[];
  /** IANA zone per source (calendar effects are local). */
  timeZones: Record<string, string>;
  tracker: Tracker;
  registry: ModelRegistry;
  log: Logger;
  /** Where the history came from (`store` or `lake`), logged as a param. */
  historySource: string;
  seed?: number;
}

export interface TrainedModel<M> {
  name: string;
  model: M;
  version: ModelVersionInfo;
  promoted: boolean;
  reason: string;
  metrics: Record<string, number>;
}

export interface SeriesModelBundle {
  kind: 'crimepulse.series-anomaly.bundle';
  version: 1;
  trainedAt: string;
  models: SeriesModel[];
}

export interface TrainResult {
  seriesAnomaly?: TrainedModel<SeriesModelBundle>;
  predictIforest: TrainedModel<IsolationForest>;
}

const HOLDOUT = 0.2;
const SEASON: Record<HistorySeries['granularity'], number> = { hour: 168, day: 7, month: 12 };

/** Mean absolute error of the model and of seasonal-naive on the last 20 % of a series. */
export function holdoutErrors(
  s: HistorySeries,
  timeZone: string,
): { model: number; naive: number; n: number } | undefined {
  const k = Math.floor(s.points.length * HOLDOUT);
  const season = SEASON[s.granularity];
  if (k < 2 || s.points.length - k <= season) return undefined;
  const train = s.points.slice(0, s.points.length - k);
  const test = s.points.slice(s.points.length - k);
  const model = fitSeriesModel(train, { granularity: s.granularity, timeZone, key: s });
  const byStart = new Map(s.points.map((p) => [p.start, p.count]));
  let em = 0;
  let en = 0;
  let n = 0;
  for (let i = 0; i < test.length; i++) {
    const p = test[i]!;
    const naive = s.points[s.points.length - k + i - season]?.count;
    if (naive === undefined || !byStart.has(p.start)) continue;
    em += Math.abs(predict(model, p.start).expected - p.count);
    en += Math.abs(naive - p.count);
    n++;
  }
  return n === 0 ? undefined : { model: em / n, naive: en / n, n };
}

async function register(
  input: TrainInput,
  name: string,
  runName: string,
  params: Record<string, string | number | boolean>,
  metrics: Record<string, number>,
  artifact: unknown,
  gate: { metric: string; higherIsBetter: boolean },
): Promise<{ version: ModelVersionInfo; promoted: boolean; reason: string }> {
  const run = await input.tracker.startRun('crimepulse-training', runName, { 'crimepulse.model': name });
  try {
    await run.logParams(params);
    await run.logMetrics(metrics);
    await run.logArtifact('model/model.json', JSON.stringify(artifact));
    const version = await input.registry.registerVersion({
      name,
      runId: run.id,
      artifactPath: 'model/model.json',
      metrics,
      flavor: name,
    });
    const decision = await promoteIfBetter({
      registry: input.registry,
      name,
      candidate: version,
      metric: gate.metric,
      higherIsBetter: gate.higherIsBetter,
      log: input.log,
    });
    await run.setTags({
      'crimepulse.promoted': String(decision.promoted),
      'crimepulse.promotion_reason': decision.reason,
    });
    await run.end('FINISHED');
    return { version, promoted: decision.promoted, reason: decision.reason };
  } catch (err) {
    await run.end('FAILED').catch(() => undefined);
    throw err;
  }
}

/** Fits, evaluates, logs and registers the series models; undefined when no series has enough history. */
export async function trainSeriesAnomaly(
  input: TrainInput,
): Promise<TrainedModel<SeriesModelBundle> | undefined> {
  const series = buildSeries(input.windows);
  if (series.length === 0) {
    input.log.warn(
      { windows: input.windows.length },
      'series-anomaly: not enough history to fit any series yet',
    );
    return undefined;
  }
  const t0 = performance.now();
  const models: SeriesModel[] = [];
  for (const s of series) {
    try {
      models.push(
        fitSeriesModel(s.points, {
          granularity: s.granularity,
          timeZone: input.timeZones[s.source] ?? 'UTC',
          key: s,
        }),
      );
    } catch (err) {
      input.log.debug(
        { err, series: `${s.source}|${s.areaId}|${s.category}|${s.granularity}` },
        'series not fitted',
      );
    }
  }
  const fitMs = performance.now() - t0;
  // Evaluate on the roll-ups (the busiest, least sparse series), as the promotion gate.
  let sumModel = 0;
  let sumNaive = 0;
  let evaluated = 0;
  for (const s of series.filter((x) => x.areaId === ALL).slice(0, 20)) {
    const e = holdoutErrors(s, input.timeZones[s.source] ?? 'UTC');
    if (!e) continue;
    sumModel += e.model;
    sumNaive += e.naive;
    evaluated++;
  }
  const metrics: Record<string, number> = {
    series: models.length,
    fit_seconds: fitMs / 1000,
    holdout_series: evaluated,
    holdout_mae: evaluated ? sumModel / evaluated : Number.NaN,
    holdout_mae_seasonal_naive: evaluated ? sumNaive / evaluated : Number.NaN,
    // < 1 means better than seasonal-naive; NaN (no hold-out possible) never beats a champion.
    holdout_mae_ratio: evaluated && sumNaive > 0 ? sumModel / sumNaive : Number.NaN,
  };
  const bundle: SeriesModelBundle = {
    kind: 'crimepulse.series-anomaly.bundle',
    version: 1,
    trainedAt: new Date().toISOString(),
    models,
  };
  const reg = await register(
    input,
    MODEL_NAMES.seriesAnomaly,
    'series-anomaly',
    {
      history: input.historySource,
      windows: input.windows.length,
      family: 'negative-binomial GLM',
      holdout_fraction: HOLDOUT,
    },
    metrics,
    bundle,
    { metric: 'holdout_mae_ratio', higherIsBetter: false },
  );
  input.log.info(
    { ...metrics, version: reg.version.version, promoted: reg.promoted },
    `series-anomaly v${reg.version.version}: ${reg.reason}`,
  );
  return { name: MODEL_NAMES.seriesAnomaly, model: bundle, metrics, ...reg };
}

/** ROC AUC of scores for positives vs negatives (ties count half). */
export function rocAuc(pos: readonly number[], neg: readonly number[]): number {
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

/** Fits, evaluates, logs and registers the /predict IsolationForest. */
export async function trainPredictIforest(input: TrainInput): Promise<TrainedModel<IsolationForest>> {
  const seed = input.seed ?? 42;
  const hourly = buildSeries(input.windows, { minPoints: { hour: 48 }, minTotal: 1 }).filter(
    (s) => s.granularity === 'hour' && s.areaId === ALL && s.category === ALL,
  );
  const rows: [number, number, number, number][] = [];
  for (const s of hourly) {
    const zone = input.timeZones[s.source] ?? 'UTC';
    for (const r of hourlyFeatures(s.points, { offsetHours: offsetHours(zone, s.points[0]?.start) }))
      rows.push(r.features);
  }
  const real = rows.length >= 300;
  const cut = Math.floor(rows.length * (1 - HOLDOUT));
  const trainRows = real ? rows.slice(0, cut) : undefined;
  const forest = trainRows
    ? IsolationForest.fit(trainRows, { seed, featureNames: PREDICT_FEATURES })
    : IsolationForest.fit(makeTrainingData(100_000, seed), { seed, featureNames: PREDICT_FEATURES });
  // Hold-out: real hours (or synthetic ones) with seeded spikes (×3 + 5) and drops (×0) injected.
  const holdout = real ? rows.slice(cut) : toRows(makeTrainingData(2000, seed + 1));
  const rand = mulberry32(seed + 2);
  const pos: number[][] = [];
  const neg: number[][] = [];
  for (const r of holdout) {
    const u = rand();
    if (u < 0.05) pos.push([r[0] * 3 + 5, r[1], r[2], r[3]]);
    else if (u < 0.1 && r[3] >= 5) pos.push([0, r[1], r[2], r[3]]);
    else neg.push([...r]);
  }
  const auc = rocAuc([...forest.score(pos)], [...forest.score(neg)]);
  const metrics = { training_rows: real ? cut : 100_000, holdout_rows: holdout.length, injected_auc: auc };
  const reg = await register(
    input,
    MODEL_NAMES.predictIforest,
    'predict-iforest',
    {
      history: real ? input.historySource : 'synthetic (original design; history too short)',
      n_estimators: 100,
      max_samples: 256,
      seed,
      features: PREDICT_FEATURES.join(','),
    },
    metrics,
    forest.toJSON(),
    { metric: 'injected_auc', higherIsBetter: true },
  );
  input.log.info(
    { ...metrics, version: reg.version.version, promoted: reg.promoted },
    `predict-iforest v${reg.version.version}: ${reg.reason}`,
  );
  return { name: MODEL_NAMES.predictIforest, model: forest, metrics, ...reg };
}

function toRows(m: { data: Float64Array; nFeatures: number }): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (let i = 0; i + 3 < m.data.length; i += m.nFeatures)
    out.push([m.data[i]!, m.data[i + 1]!, m.data[i + 2]!, m.data[i + 3]!]);
  return out;
}

/** The zone's UTC offset in hours at an instant (Intl; DST makes it vary, the first instant is used). */
function offsetHours(timeZone: string, at: string | undefined): number {
  const d = at ? new Date(at) : new Date();
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(d);
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) + Number(m[3] ?? 0) / 60);
}

/** Trains both models (series-anomaly only when there is enough history). */
export async function trainModels(input: TrainInput): Promise<TrainResult> {
  const seriesAnomaly = await trainSeriesAnomaly(input);
  const predictIforest = await trainPredictIforest(input);
  return { ...(seriesAnomaly ? { seriesAnomaly } : {}), predictIforest };
}

export { CHAMPION };
