/**
 * Per-series count models (source × area × category, hourly / daily / monthly): a seasonal
 * negative-binomial GLM fitted on the history, its predictive distribution, two-sided mid-p tail
 * probabilities for each closed window, Benjamini–Hochberg across the series of a scoring round,
 * forecasts with intervals and a nowcast of windows whose events are still being reported.
 *
 * Everything here is pure: inputs are arrays, the model is a plain JSON object (logged to MLflow as
 * the `series-anomaly` artifact), nothing is read from a store or a clock.
 */
import { type DesignSpec, designRow, type Granularity, layoutOf, localTime, nextStart } from './design.js';
import { fitNegBinGlm, predictEta, quadFormInverse as quadForm, type SparseRow } from './glm.js';
import type { HolidayCalendar } from './holidays.js';
import { benjaminiHochberg, midP, nbQuantile, nbTails, POISSON_THETA } from './stats.js';

export const SERIES_MODEL_KIND = 'crimepulse.series-anomaly.nb-glm';
export const SERIES_MODEL_VERSION = 1;
/** The area or category value of an aggregate (all areas / all categories) series. */
export const ALL = 'all';

export interface SeriesPoint {
  /** Window start, ISO 8601 (an instant, or a local date/time read in the series' zone). */
  start: string;
  count: number;
}

export interface SeriesKey {
  source: string;
  areaId: string;
  category: string;
}

export interface FitOptions {
  granularity: Granularity;
  key?: SeriesKey;
  /** IANA zone of the source (calendar effects are local). Default UTC. */
  timeZone?: string;
  holidays?: HolidayCalendar;
  /** Fourier day-of-year harmonics; default 3 (2 monthly) when the history spans ≥ 300 days, else 0. */
  fourierOrder?: number;
  /** Ridge strength in pseudo-observations for main effects, trend, holiday and Fourier terms. Default 1. */
  ridge?: number;
  /** Ridge strength of the hour-of-week interaction (hourly). Default 8 (on 8 days of Chicago history, 1–2 fit held-out clean hours slightly better but scored worse in the backtest). */
  interactionRidge?: number;
  /** Drop outliers (deletion residual > robustCutoff, default 3.5) and refit, so past anomalies do not inflate the baseline. Default true. */
  robust?: boolean;
  robustCutoff?: number;
  /** Keep only the last N windows (default 2016 hourly = 12 weeks, 1096 daily, 120 monthly). */
  maxHistory?: number;
  /** Insert zero-count windows missing between the first and last start (window rows exist only where events occurred). Default true. */
  fillGaps?: boolean;
}

/** A fitted model: plain JSON, versioned. */
export interface SeriesModel {
  kind: typeof SERIES_MODEL_KIND;
  version: number;
  key: SeriesKey;
  granularity: Granularity;
  timeZone: string;
  holidays: HolidayCalendar;
  fourierOrder: number;
  trendOrigin: string;
  featureNames: string[];
  coef: number[];
  /** NB size parameter (≥ 1e8 means Poisson). */
  theta: number;
  /** Mean in-sample variance of the linear predictor from coefficient uncertainty; widens the predictive distribution. */
  etaVar: number;
  /** Variance of the log of the overall level (1/Σ IRLS weights): the part of coefficient uncertainty every window shares. */
  levelVar: number;
  edf: number;
  n: number;
  /** Windows down-weighted as outliers during fitting. */
  outliers: string[];
  trainedFrom: string;
  trainedTo: string;
  nextStart: string;
  meanCount: number;
  converged: boolean;
  iterations: number;
}

export interface Prediction {
  start: string;
  expected: number;
  /** Size parameter of the predictive NB (dispersion plus parameter uncertainty). */
  theta: number;
  lower: number;
  upper: number;
}

export interface WindowScore extends Prediction {
  observed: number;
  pLower: number;
  pUpper: number;
  /** Two-sided mid-p value. */
  pValue: number;
  direction: 'spike' | 'drop';
}

function specOf(
  m: Pick<SeriesModel, 'granularity' | 'timeZone' | 'holidays' | 'fourierOrder' | 'trendOrigin'>,
): DesignSpec {
  return {
    granularity: m.granularity,
    timeZone: m.timeZone,
    holidays: m.holidays,
    fourierOrder: m.fourierOrder,
    trendOrigin: m.trendOrigin,
  };
}

/** Sorted, de-duplicated (summed) windows with the missing ones filled with zeros. */
export function regularise(
  series: readonly SeriesPoint[],
  granularity: Granularity,
  timeZone: string,
  fillGaps = true,
): SeriesPoint[] {
  const byMs = new Map<number, SeriesPoint>();
  for (const p of series) {
    const dt = localTime(p.start, timeZone);
    const ms = dt.toMillis();
    const prev = byMs.get(ms);
    if (prev) prev.count += p.count;
    else byMs.set(ms, { start: dt.toUTC().toISO() as string, count: p.count });
  }
  const sorted = [...byMs.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  if (!fillGaps || sorted.length < 2) return sorted;
  const out: SeriesPoint[] = [];
  const last = Date.parse((sorted[sorted.length - 1] as SeriesPoint).start);
  let cursor = (sorted[0] as SeriesPoint).start;
  let i = 0;
  while (Date.parse(cursor) <= last && out.length < 1e6) {
    const s = sorted[i];
    if (s && Date.parse(s.start) === Date.parse(cursor)) {
      out.push(s);
      i++;
    } else {
      out.push({ start: cursor, count: 0 });
    }
    cursor = nextStart(cursor, granularity, timeZone);
  }
  return out;
}

/** Fits a seasonal NB GLM to one series' history. */
export function fitSeriesModel(series: readonly SeriesPoint[], opts: FitOptions): SeriesModel {
  const timeZone = opts.timeZone ?? 'UTC';
  const g = opts.granularity;
  const maxHistory = opts.maxHistory ?? (g === 'hour' ? 2016 : g === 'day' ? 1096 : 120);
  const all = regularise(series, g, timeZone, opts.fillGaps ?? true);
  const hist = all.slice(Math.max(0, all.length - maxHistory));
  if (hist.length === 0) throw new RangeError('fitSeriesModel: empty series');
  const first = hist[0] as SeriesPoint;
  const last = hist[hist.length - 1] as SeriesPoint;
  const spanDays = (Date.parse(last.start) - Date.parse(first.start)) / 86_400_000;
  const fourierOrder = opts.fourierOrder ?? (spanDays >= 300 ? (g === 'month' ? 2 : 3) : 0);
  const spec: DesignSpec = {
    granularity: g,
    timeZone,
    holidays: opts.holidays ?? 'none',
    fourierOrder,
    trendOrigin: last.start,
  };
  const layout = layoutOf(spec);
  const ridge = opts.ridge ?? 1;
  const penalty = new Array<number>(layout.size).fill(ridge);
  penalty[0] = 0;
  if (layout.hourOfWeek >= 0)
    for (let k = 0; k < 168; k++) penalty[layout.hourOfWeek + k] = opts.interactionRidge ?? 8;
  const rows: SparseRow[] = hist.map((p) => designRow(p.start, spec, layout));
  const y = hist.map((p) => p.count);
  const weights = new Array<number>(rows.length).fill(1);
  let fit = fitNegBinGlm(rows, y, layout.size, { penalty, weights });
  const outliers: string[] = [];
  if (opts.robust ?? true) {
    // Deletion screening: a big anomaly in the history inflates the dispersion and drags its own
    // seasonal cell, masking itself. Candidates (|Pearson residual| > cutoff·0.6) are dropped, the
    // model refitted, and a candidate stays dropped only if its residual against that refit
    // (predictive variance including coefficient uncertainty) still exceeds the cutoff.
    const cutoff = opts.robustCutoff ?? 3.5;
    const cap = Math.max(2, Math.ceil(rows.length * 0.1));
    for (let pass = 0; pass < 2 && outliers.length < cap; pass++) {
      const f = fit;
      const candidates = f.mu
        .map(
          (m, i) => [Math.abs(((y[i] as number) - m) / Math.sqrt(m + (m * m) / f.theta + 1e-9)), i] as const,
        )
        .filter(([r, i]) => r > cutoff * 0.6 && weights[i] === 1)
        // Never drop more than 10% of the history: beyond that the "outliers" are the pattern.
        .sort((a, b) => b[0] - a[0])
        .slice(0, cap - outliers.length)
        .map(([, i]) => i);
      if (candidates.length === 0) break;
      const trialWeights = [...weights];
      for (const i of candidates) trialWeights[i] = 0;
      const trial = fitNegBinGlm(rows, y, layout.size, { penalty, weights: trialWeights, start: f.coef });
      const confirmed = candidates.filter((i) => {
        const m = trial.mu[i] as number;
        const v = m + (m * m) / trial.theta + m * m * quadForm(trial.chol, layout.size, rows[i] as SparseRow);
        return Math.abs(((y[i] as number) - m) / Math.sqrt(v + 1e-9)) > cutoff;
      });
      if (confirmed.length === 0) break;
      for (const i of confirmed) {
        weights[i] = 0;
        outliers.push((hist[i] as SeriesPoint).start);
      }
      fit =
        confirmed.length === candidates.length
          ? trial
          : fitNegBinGlm(rows, y, layout.size, { penalty, weights, start: trial.coef });
    }
  }
  // Average coefficient-uncertainty variance of the linear predictor over the kept rows.
  let etaVar = 0;
  let kept = 0;
  const step = Math.max(1, Math.floor(rows.length / 400));
  for (let i = 0; i < rows.length; i += step) {
    if (weights[i] === 0) continue;
    etaVar += quadForm(fit.chol, layout.size, rows[i] as SparseRow);
    kept++;
  }
  etaVar /= Math.max(kept, 1);
  let wSum = 0;
  fit.mu.forEach((m, i) => {
    if (weights[i] !== 0) wSum += m / (1 + m / fit.theta);
  });
  return {
    kind: SERIES_MODEL_KIND,
    version: SERIES_MODEL_VERSION,
    key: opts.key ?? { source: 'unknown', areaId: ALL, category: ALL },
    granularity: g,
    timeZone,
    holidays: spec.holidays,
    fourierOrder,
    trendOrigin: spec.trendOrigin,
    featureNames: layout.names,
    coef: fit.coef,
    theta: fit.theta,
    etaVar,
    levelVar: 1 / Math.max(wSum, 1e-9),
    edf: fit.edf,
    n: hist.length,
    outliers,
    trainedFrom: first.start,
    trainedTo: last.start,
    nextStart: nextStart(last.start, g, timeZone),
    meanCount: y.reduce((a, b) => a + b, 0) / y.length,
    converged: fit.converged,
    iterations: fit.iterations,
  };
}

/** The predictive distribution of one window: NB with the model's mean and a size that includes parameter uncertainty. */
export function predict(model: SeriesModel, start: string, level = 0.9): Prediction {
  const layout = layoutOf(specOf(model));
  const row = designRow(start, specOf(model), layout);
  const expected = Math.exp(Math.min(30, predictEta(row, model.coef)));
  // If log μ ~ N(η, s²) then Var(y) ≈ μ + μ²(1/θ + s²): fold s² into the size parameter.
  const inv = (model.theta >= POISSON_THETA ? 0 : 1 / model.theta) + model.etaVar;
  const theta = inv <= 1 / POISSON_THETA ? POISSON_THETA : 1 / inv;
  const a = (1 - level) / 2;
  return {
    start: localTime(start, model.timeZone).toUTC().toISO() as string,
    expected,
    theta,
    lower: nbQuantile(a, expected, theta),
    upper: nbQuantile(1 - a, expected, theta),
  };
}

/** Scores one closed window against its model: two-sided mid-p tail probability. */
export function scoreWindow(model: SeriesModel, window: SeriesPoint, level = 0.9): WindowScore {
  const pred = predict(model, window.start, level);
  const tails = nbTails(window.count, pred.expected, pred.theta);
  const p = midP(tails);
  return {
    ...pred,
    observed: window.count,
    pLower: p.lower,
    pUpper: p.upper,
    pValue: p.twoSided,
    direction: window.count >= pred.expected ? 'spike' : 'drop',
  };
}

/**
 * Scores the total of several windows (e.g. the 24 hours of a day under an hourly model): the sum is
 * approximated by an NB with the summed mean and the summed variance: dispersion and the
 * per-window coefficient uncertainty (mostly seasonal cells, each met once in a span) add per window,
 * and the uncertainty of the overall level is shared by the whole span.
 * Catches a sustained shift that no single window shows.
 */
export function scoreSpan(model: SeriesModel, windows: readonly SeriesPoint[], level = 0.9): WindowScore {
  if (windows.length === 0) throw new RangeError('scoreSpan: no windows');
  let mean = 0;
  let variance = 0;
  let observed = 0;
  const invTheta = model.theta >= POISSON_THETA ? 0 : 1 / model.theta;
  for (const w of windows) {
    const p = predict(model, w.start, level);
    mean += p.expected;
    variance += p.expected + p.expected * p.expected * (invTheta + model.etaVar);
    observed += w.count;
  }
  variance += mean * mean * model.levelVar;
  const excess = variance - mean;
  const theta = excess <= (mean * mean) / POISSON_THETA ? POISSON_THETA : (mean * mean) / excess;
  const a = (1 - level) / 2;
  const p = midP(nbTails(observed, mean, theta));
  return {
    start: (windows[0] as SeriesPoint).start,
    expected: mean,
    theta,
    lower: nbQuantile(a, mean, theta),
    upper: nbQuantile(1 - a, mean, theta),
    observed,
    pLower: p.lower,
    pUpper: p.upper,
    pValue: p.twoSided,
    direction: observed >= mean ? 'spike' : 'drop',
  };
}

/**
 * A window to score. Structurally the pipeline's `ClosedWindow` (src/pipeline/scorer.ts) accepts
 * here as is; only the fields the model needs are required.
 */
export interface SeriesWindow {
  source: string;
  areaId: string;
  category: string;
  windowStart: string;
  granularity?: Granularity;
  eventCount?: number;
  incidentCount?: number;
}

/** Four levels for the model; the pipeline's AnomalyRow has three (critical maps to high there). */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Contributor {
  dimension: 'category' | 'area';
  value: string;
  observed: number;
  expected: number;
  /** observed − expected, in the anomaly's direction. */
  excess: number;
}

/** One flagged window with its explanation. */
export interface Anomaly {
  /** `<source>|<area>|<category>|<granularity>|<windowStart>` */
  id: string;
  source: string;
  areaId: string;
  category: string;
  granularity: Granularity;
  windowStart: string;
  windowEnd: string;
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  intervalLevel: number;
  pValue: number;
  qValue: number;
  direction: 'spike' | 'drop';
  /** observed/expected for spikes, expected/observed for drops (each +0.5), ≥ 1. */
  ratio: number;
  severity: Severity;
  /** −log10(q), capped at 20: a continuous score for sorting. */
  score: number;
  contributors: Contributor[];
  model: string;
}

export interface RoundOptions {
  /** FDR level per granularity; defaults budget ≈ 1 false alarm per series-month under the null (hour 0.001, day 0.01, month 0.05). */
  alpha?: Partial<Record<Granularity, number>>;
  level?: number;
  /** How many contributors to keep. Default 3. */
  topContributors?: number;
  /** Which count the models were trained on. Default `incidentCount` (falls back to `eventCount`). */
  countField?: 'incidentCount' | 'eventCount';
}

export const DEFAULT_ALPHA: Record<Granularity, number> = { hour: 0.001, day: 0.01, month: 0.05 };

export function seriesId(source: string, areaId: string, category: string, g: Granularity): string {
  return `${source}|${areaId}|${category}|${g}`;
}

/**
 * Severity from the q-value (relative to α) and the effect size (ratio ≥ 1):
 * critical: q ≤ α/100 and ratio ≥ 3; high: q ≤ α/10 and ratio ≥ 2; medium: ratio ≥ 1.5; low: otherwise.
 */
export function severityOf(q: number, ratio: number, alpha: number): Severity {
  if (q <= alpha / 100 && ratio >= 3) return 'critical';
  if (q <= alpha / 10 && ratio >= 2) return 'high';
  if (ratio >= 1.5) return 'medium';
  return 'low';
}

export interface ScoredWindow extends WindowScore {
  window: SeriesWindow;
  granularity: Granularity;
  model: SeriesModel;
  qValue: number;
}

export interface RoundResult {
  scored: ScoredWindow[];
  anomalies: Anomaly[];
  /** Windows without a model. */
  unmatched: SeriesWindow[];
}

export type ModelSet = readonly SeriesModel[] | ReadonlyMap<string, SeriesModel>;

export function indexModels(models: ModelSet): ReadonlyMap<string, SeriesModel> {
  if (!Array.isArray(models)) return models as ReadonlyMap<string, SeriesModel>;
  const map = new Map<string, SeriesModel>();
  for (const m of models as readonly SeriesModel[])
    map.set(seriesId(m.key.source, m.key.areaId, m.key.category, m.granularity), m);
  return map;
}

/** Scores every window of a round, applies BH per granularity, and explains each anomaly. */
export function scoreRoundDetailed(
  models: ModelSet,
  windows: readonly SeriesWindow[],
  opts: RoundOptions = {},
): RoundResult {
  const index = indexModels(models);
  const level = opts.level ?? 0.9;
  const scored: ScoredWindow[] = [];
  const unmatched: SeriesWindow[] = [];
  for (const w of windows) {
    const grans: Granularity[] = w.granularity ? [w.granularity] : ['hour', 'day', 'month'];
    const g = grans.find((x) => index.has(seriesId(w.source, w.areaId, w.category, x)));
    const model = g ? index.get(seriesId(w.source, w.areaId, w.category, g)) : undefined;
    if (!g || !model) {
      unmatched.push(w);
      continue;
    }
    const count = (opts.countField === 'eventCount' ? w.eventCount : (w.incidentCount ?? w.eventCount)) ?? 0;
    const s = scoreWindow(model, { start: w.windowStart, count }, level);
    scored.push({ ...s, window: w, granularity: g, model, qValue: 1 });
  }
  const anomalies: Anomaly[] = [];
  for (const g of ['hour', 'day', 'month'] as const) {
    const group = scored.filter((s) => s.granularity === g);
    if (group.length === 0) continue;
    const alpha = opts.alpha?.[g] ?? DEFAULT_ALPHA[g];
    const q = benjaminiHochberg(group.map((s) => s.pValue));
    group.forEach((s, i) => {
      s.qValue = q[i] as number;
    });
    for (const s of group) {
      if (s.qValue > alpha) continue;
      const ratio =
        s.direction === 'spike'
          ? (s.observed + 0.5) / (s.expected + 0.5)
          : (s.expected + 0.5) / (s.observed + 0.5);
      anomalies.push({
        id: `${seriesId(s.window.source, s.window.areaId, s.window.category, g)}|${s.start}`,
        source: s.window.source,
        areaId: s.window.areaId,
        category: s.window.category,
        granularity: g,
        windowStart: s.start,
        windowEnd: nextStart(s.start, g, s.model.timeZone),
        observed: s.observed,
        expected: s.expected,
        lower: s.lower,
        upper: s.upper,
        intervalLevel: level,
        pValue: s.pValue,
        qValue: s.qValue,
        direction: s.direction,
        ratio,
        severity: severityOf(s.qValue, ratio, alpha),
        score: Math.min(20, -Math.log10(Math.max(s.qValue, 1e-20))),
        contributors: contributorsOf(s, group, opts.topContributors ?? 3),
        model: `${SERIES_MODEL_KIND}@${SERIES_MODEL_VERSION}`,
      });
    }
  }
  anomalies.sort((a, b) => a.qValue - b.qValue);
  return { scored, anomalies, unmatched };
}

/**
 * The child series that moved most in the anomaly's direction in the same window: categories of the
 * same area when the anomaly is an all-categories series, areas of the same category when it is an
 * all-areas series.
 */
function contributorsOf(s: ScoredWindow, group: readonly ScoredWindow[], top: number): Contributor[] {
  const sign = s.direction === 'spike' ? 1 : -1;
  const out: Contributor[] = [];
  for (const o of group) {
    if (o === s || o.start !== s.start || o.window.source !== s.window.source) continue;
    let dimension: Contributor['dimension'] | undefined;
    if (s.window.category === ALL && o.window.areaId === s.window.areaId && o.window.category !== ALL)
      dimension = 'category';
    if (s.window.areaId === ALL && o.window.category === s.window.category && o.window.areaId !== ALL)
      dimension = 'area';
    if (!dimension) continue;
    const excess = sign * (o.observed - o.expected);
    if (excess <= 0) continue;
    out.push({
      dimension,
      value: dimension === 'category' ? o.window.category : o.window.areaId,
      observed: o.observed,
      expected: o.expected,
      excess,
    });
  }
  return out.sort((a, b) => b.excess - a.excess).slice(0, top);
}

/** The anomalies of one scoring round (BH across the round's series). */
export function scoreRound(
  models: ModelSet,
  windows: readonly SeriesWindow[],
  opts: RoundOptions = {},
): Anomaly[] {
  return scoreRoundDetailed(models, windows, opts).anomalies;
}

/** Forecast of the next `horizon` windows after the training history (or after `from`). */
export function forecast(
  model: SeriesModel,
  horizon: number,
  opts: { from?: string; level?: number } = {},
): Prediction[] {
  const out: Prediction[] = [];
  let start = opts.from ?? model.nextStart;
  for (let h = 0; h < horizon; h++) {
    out.push(predict(model, start, opts.level ?? 0.9));
    start = nextStart(start, model.granularity, model.timeZone);
  }
  return out;
}

/** Share of a window's events reported within each lag after the window closed, per source. */
export interface ReportingLag {
  source: string;
  lagHours: number[];
  completeness: number[];
  n: number;
}

const DEFAULT_LAGS = [0, 1, 2, 4, 8, 12, 24, 48, 72, 168, 336, 720];

/**
 * Empirical reporting-delay distribution from (occurredAt, reportedAt) pairs. Delays longer than the
 * last lag count as not yet complete. Right censoring (recent events whose late reports have not
 * arrived) is ignored; estimate on history old enough to be complete.
 */
export function estimateReportingLag(
  source: string,
  pairs: readonly { occurredAt: string; reportedAt: string }[],
  lagHours: readonly number[] = DEFAULT_LAGS,
): ReportingLag {
  const delays: number[] = [];
  for (const p of pairs) {
    const d = (Date.parse(p.reportedAt) - Date.parse(p.occurredAt)) / 3_600_000;
    if (Number.isFinite(d)) delays.push(Math.max(0, d));
  }
  delays.sort((a, b) => a - b);
  const completeness = lagHours.map((l) => {
    let lo = 0;
    let hi = delays.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((delays[mid] as number) <= l) lo = mid + 1;
      else hi = mid;
    }
    return delays.length === 0 ? 1 : lo / delays.length;
  });
  return { source, lagHours: [...lagHours], completeness, n: delays.length };
}

/** Interpolated completeness after `ageHours` (1 beyond the last lag of a fully reported table). */
export function completenessAt(lag: ReportingLag, ageHours: number): number {
  const { lagHours: l, completeness: c } = lag;
  if (l.length === 0 || ageHours <= (l[0] as number)) return Math.max(1e-3, c[0] ?? 1);
  for (let i = 1; i < l.length; i++) {
    if (ageHours <= (l[i] as number)) {
      const t = (ageHours - (l[i - 1] as number)) / ((l[i] as number) - (l[i - 1] as number));
      return Math.max(1e-3, (c[i - 1] as number) + t * ((c[i] as number) - (c[i - 1] as number)));
    }
  }
  return Math.max(1e-3, c[c.length - 1] as number);
}

export interface Nowcast {
  start: string;
  reported: number;
  completeness: number;
  /** Expected final count. */
  expected: number;
  lower: number;
  upper: number;
}

/**
 * Nowcast of a window still being reported. With the model's gamma prior on the window's rate
 * (mean μ, shape θ) and `reported` ~ Poisson(λ·F) for completeness F at this age, the rate's
 * posterior is Gamma(θ + reported, θ/μ + F) and the still-missing count is NB with mean
 * (1 − F)(θ + reported)/(θ/μ + F) and size θ + reported; the final count is reported + missing.
 */
export function nowcast(
  model: SeriesModel,
  window: SeriesPoint,
  asOf: string,
  lag: ReportingLag,
  level = 0.9,
): Nowcast {
  const pred = predict(model, window.start, level);
  const end = Date.parse(nextStart(window.start, model.granularity, model.timeZone));
  const age = Math.max(0, (Date.parse(asOf) - end) / 3_600_000);
  const f = Math.min(1, completenessAt(lag, age));
  const theta = Math.min(pred.theta, 1e6);
  const shape = theta + window.count;
  const missingMean = ((1 - f) * shape) / (theta / pred.expected + f);
  const a = (1 - level) / 2;
  return {
    start: pred.start,
    reported: window.count,
    completeness: f,
    expected: window.count + missingMean,
    lower: window.count + nbQuantile(a, missingMean, shape),
    upper: window.count + nbQuantile(1 - a, missingMean, shape),
  };
}

/** Parses a model from JSON (an MLflow artifact), checking kind and version. */
export function parseSeriesModel(json: string | unknown): SeriesModel {
  const m = (typeof json === 'string' ? JSON.parse(json) : json) as Partial<SeriesModel>;
  if (m?.kind !== SERIES_MODEL_KIND || m.version !== SERIES_MODEL_VERSION || !Array.isArray(m.coef)) {
    throw new TypeError(`not a ${SERIES_MODEL_KIND} v${SERIES_MODEL_VERSION} model`);
  }
  return m as SeriesModel;
}
