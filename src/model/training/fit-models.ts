/**
 * The computational half of training, pure and structured-clone-friendly so it runs in a worker thread
 * (src/core/worker.ts) while the API and pipeline keep serving:
 * - `series-anomaly`: one negative-binomial count model per series (and per-source roll-ups), fitted on
 *   the window history; evaluated on a hold-out tail against seasonal-naive (MAE ratio, lower is better).
 * - `predict-iforest`: the original design's IsolationForest on `[count, hour, day_of_week,
 *   rolling_mean]` from real hourly source totals (the synthetic set of the original design when the
 *   history is too short, said so in its params); evaluated by ROC AUC on hold-out hours with seeded
 *   injected spikes and drops (higher is better).
 */
import { fitSeriesModel, predict, type SeriesModel } from '../count/index.js';
import {
  hourlyFeatures,
  IsolationForest,
  type IsolationForestJson,
  makeTrainingData,
  mulberry32,
  PREDICT_FEATURES,
} from '../iforest/isolation-forest.js';
import { ALL, buildSeries, type HistorySeries, type HistoryWindow } from './series-history.js';

export interface FitInput {
  windows: readonly HistoryWindow[];
  /** IANA zone per source (calendar effects are local). */
  timeZones: Record<string, string>;
  seed?: number;
}

export interface SeriesModelBundle {
  kind: 'crimepulse.series-anomaly.bundle';
  version: 1;
  trainedAt: string;
  models: SeriesModel[];
}

export interface FittedModel<A> {
  artifact: A;
  params: Record<string, string | number | boolean>;
  metrics: Record<string, number>;
}

export interface FitOutput {
  seriesAnomaly?: FittedModel<SeriesModelBundle>;
  predictIforest: FittedModel<IsolationForestJson> & { realHistory: boolean };
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

/** Fits and evaluates the series models; undefined when no series has enough history. */
export function fitSeriesAnomaly(input: FitInput): FittedModel<SeriesModelBundle> | undefined {
  const series = buildSeries(input.windows);
  if (series.length === 0) return undefined;
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
    } catch {
      // A series the GLM cannot fit (e.g. all zeros after regularising) is left unscored.
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
  return {
    artifact: {
      kind: 'crimepulse.series-anomaly.bundle',
      version: 1,
      trainedAt: new Date().toISOString(),
      models,
    },
    params: { windows: input.windows.length, family: 'negative-binomial GLM', holdout_fraction: HOLDOUT },
    metrics,
  };
}

/** ROC AUC of scores for positives vs negatives (ties count half). */
export function rocAuc(pos: readonly number[], neg: readonly number[]): number {
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

/** Fits and evaluates the /predict IsolationForest. */
export function fitPredictIforest(input: FitInput): FitOutput['predictIforest'] {
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
  const forest = real
    ? IsolationForest.fit(rows.slice(0, cut), { seed, featureNames: PREDICT_FEATURES })
    : IsolationForest.fit(makeTrainingData(100_000, seed), { seed, featureNames: PREDICT_FEATURES });
  // Hold-out: real hours (or synthetic ones) with seeded spikes (×3 + 5) and drops (to 0) injected.
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
  return {
    artifact: forest.toJSON(),
    realHistory: real,
    params: {
      history_rows: real ? cut : 0,
      training_data: real ? 'hourly source totals' : 'synthetic (original design; history too short)',
      n_estimators: 100,
      max_samples: 256,
      seed,
      features: PREDICT_FEATURES.join(','),
    },
    metrics: { training_rows: real ? cut : 100_000, holdout_rows: holdout.length, injected_auc: auc },
  };
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

/** Both fits (the worker's entry point). */
export function fitAllModels(input: FitInput): FitOutput {
  const seriesAnomaly = fitSeriesAnomaly(input);
  return { ...(seriesAnomaly ? { seriesAnomaly } : {}), predictIforest: fitPredictIforest(input) };
}
