/**
 * Backtests of the count models on real series.
 *
 * Forecasts: rolling origin. At each origin the model is refitted on the history before it and
 * forecasts the next `horizon` windows; we report MAE and the coverage of the central interval, and
 * the MAE of the seasonal-naive forecast (the value one season earlier, known at the origin) on the
 * same targets.
 *
 * Anomalies: each test window is scored one step ahead by the model fitted at its origin. Windows of
 * the same dataset with the same start form a scoring round and share one Benjamini–Hochberg
 * correction, as in production. A flagged clean window outside the known real events is a false
 * alarm (reported per series-month). Anomalies of known size are then injected (seeded, see
 * injector.ts), one at a time, into the real series: each injected window is scored by the model
 * fitted on the clean history before it, put back into its round, and counts as recalled when its
 * q-value ≤ α and its direction is right. Known real events (the Chicago blizzard, the COVID
 * lockdown) are reported separately and never receive injections.
 */
import type { Granularity } from '../count/design.js';
import { windowsPerMonth } from '../count/design.js';
import type { HolidayCalendar } from '../count/holidays.js';
import {
  ALL,
  DEFAULT_ALPHA,
  type FitOptions,
  fitSeriesModel,
  type SeriesKey,
  type SeriesModel,
  type SeriesPoint,
  scoreWindow,
} from '../count/series-model.js';
import { benjaminiHochberg } from '../count/stats.js';
import { injectAnomalies } from './injector.js';

export interface BacktestSeries {
  dataset: string;
  key: SeriesKey;
  granularity: Granularity;
  timeZone: string;
  holidays: HolidayCalendar;
  /** Regular windows (gaps filled), oldest first. */
  points: SeriesPoint[];
  /** Window starts (ISO instants) of real anomalies: excluded from false alarms and injections. */
  knownEvents?: string[];
  /** Windows of history before the first origin (default per granularity: 8 days hourly, 8 days daily, 12 months). */
  minTrain?: number;
}

export interface BacktestOptions {
  seed?: number;
  level?: number;
  alpha?: Partial<Record<Granularity, number>>;
  /** Multiplicative anomaly sizes to inject. */
  factors?: readonly number[];
  /** Injections per factor per series. */
  injectionsPerFactor?: number;
  refitEvery?: Partial<Record<Granularity, number>>;
  horizon?: Partial<Record<Granularity, number>>;
  season?: Partial<Record<Granularity, number>>;
  fit?: Partial<Omit<FitOptions, 'granularity' | 'timeZone' | 'holidays' | 'key'>>;
}

export interface ForecastRow {
  dataset: string;
  series: number;
  targets: number;
  horizon: number;
  mae: number;
  maeSeasonalNaive: number;
  /** mae / maeSeasonalNaive (< 1: the model wins). */
  relativeMae: number;
  coverage: number;
  level: number;
}

export interface AnomalyRow {
  dataset: string;
  series: number;
  testWindows: number;
  seriesMonths: number;
  falseAlarms: number;
  falseAlarmsPerSeriesMonth: number;
  alpha: number;
}

export interface RecallRow {
  dataset: string;
  /** `all`: every series; `total`: the all-areas × all-categories series; `category`: the others. */
  segment: 'all' | 'total' | 'category';
  factor: number;
  kind: 'spike' | 'drop';
  injected: number;
  recalled: number;
  recall: number;
}

export interface RealEventRow {
  dataset: string;
  series: string;
  start: string;
  observed: number;
  expected: number;
  pValue: number;
  qValue: number;
  flagged: boolean;
}

export interface FalseAlarmRow {
  dataset: string;
  series: string;
  start: string;
  observed: number;
  expected: number;
  qValue: number;
}

export interface BacktestTables {
  forecast: ForecastRow[];
  anomaly: AnomalyRow[];
  recall: RecallRow[];
  realEvents: RealEventRow[];
  falseAlarms: FalseAlarmRow[];
  settings: {
    seed: number;
    level: number;
    factors: number[];
    injectionsPerFactor: number;
    alpha: Record<Granularity, number>;
  };
}

const DEFAULTS = {
  minTrain: { hour: 192, day: 8, month: 12 } as Record<Granularity, number>,
  refitEvery: { hour: 24, day: 1, month: 1 } as Record<Granularity, number>,
  horizon: { hour: 24, day: 7, month: 1 } as Record<Granularity, number>,
  season: { hour: 168, day: 7, month: 12 } as Record<Granularity, number>,
};

const seriesName = (s: BacktestSeries) =>
  `${s.key.source}|${s.key.areaId}|${s.key.category}|${s.granularity}`;

interface Scored {
  start: string;
  observed: number;
  expected: number;
  pValue: number;
  direction: 'spike' | 'drop';
  known: boolean;
}

interface InjectedScore {
  seriesIndex: number;
  start: string;
  factor: number;
  kind: 'spike' | 'drop';
  pValue: number;
  direction: 'spike' | 'drop';
}

/** Runs forecast and anomaly backtests over series grouped by `dataset`. */
export function runBacktest(series: readonly BacktestSeries[], opts: BacktestOptions = {}): BacktestTables {
  const seed = opts.seed ?? 20150201;
  const level = opts.level ?? 0.9;
  const factors = [...(opts.factors ?? [0.25, 0.5, 2, 3])];
  const perFactor = opts.injectionsPerFactor ?? 4;
  const alpha = { ...DEFAULT_ALPHA, ...opts.alpha } as Record<Granularity, number>;
  const tables: BacktestTables = {
    forecast: [],
    anomaly: [],
    recall: [],
    realEvents: [],
    falseAlarms: [],
    settings: { seed, level, factors, injectionsPerFactor: perFactor, alpha },
  };
  const datasets = [...new Set(series.map((s) => s.dataset))];
  for (const dataset of datasets) {
    const members = series.filter((s) => s.dataset === dataset);
    const g = (members[0] as BacktestSeries).granularity;
    let absErr = 0;
    let absNaive = 0;
    let covered = 0;
    let targets = 0;
    const clean: Scored[][] = [];
    const injected: InjectedScore[] = [];
    members.forEach((s, si) => {
      const pts = s.points;
      const known = new Set((s.knownEvents ?? []).map((k) => Date.parse(k)));
      const minTrain = s.minTrain ?? DEFAULTS.minTrain[g];
      const refit = opts.refitEvery?.[g] ?? DEFAULTS.refitEvery[g];
      const horizon = opts.horizon?.[g] ?? DEFAULTS.horizon[g];
      const season = opts.season?.[g] ?? DEFAULTS.season[g];
      const eligible: number[] = [];
      for (let i = minTrain; i < pts.length; i++)
        if (!known.has(Date.parse((pts[i] as SeriesPoint).start))) eligible.push(i);
      // One injection plan per factor, each scored independently against the clean history.
      const plans = factors.map((factor, fi) =>
        injectAnomalies(pts, {
          seed: seed + 7919 * si + 104729 * fi,
          factors: [factor],
          count: perFactor,
          eligible,
        }),
      );
      const scored: Scored[] = [];
      for (let o = minTrain; o < pts.length; o += refit) {
        const model: SeriesModel = fitSeriesModel(pts.slice(0, o), {
          ...opts.fit,
          granularity: g,
          timeZone: s.timeZone,
          holidays: s.holidays,
          key: s.key,
          fillGaps: false,
        });
        for (let h = 0; h < horizon && o + h < pts.length; h++) {
          const t = o + h;
          const target = pts[t] as SeriesPoint;
          const sc = scoreWindow(model, target, level);
          if (t - season >= 0 && t - season < o) {
            absErr += Math.abs(target.count - sc.expected);
            absNaive += Math.abs(target.count - (pts[t - season] as SeriesPoint).count);
            covered += target.count >= sc.lower && target.count <= sc.upper ? 1 : 0;
            targets++;
          }
          if (h < refit) {
            scored.push({
              start: target.start,
              observed: target.count,
              expected: sc.expected,
              pValue: sc.pValue,
              direction: sc.direction,
              known: known.has(Date.parse(target.start)),
            });
            for (const plan of plans) {
              for (const inj of plan.injections) {
                if (inj.index !== t) continue;
                const si2 = scoreWindow(model, { start: target.start, count: inj.injected }, level);
                injected.push({
                  seriesIndex: si,
                  start: target.start,
                  factor: inj.factor,
                  kind: inj.kind,
                  pValue: si2.pValue,
                  direction: si2.direction,
                });
              }
            }
          }
        }
      }
      clean.push(scored);
    });
    const horizon = opts.horizon?.[g] ?? DEFAULTS.horizon[g];
    tables.forecast.push({
      dataset,
      series: members.length,
      targets,
      horizon,
      mae: absErr / Math.max(targets, 1),
      maeSeasonalNaive: absNaive / Math.max(targets, 1),
      relativeMae: absNaive > 0 ? absErr / absNaive : Number.NaN,
      coverage: covered / Math.max(targets, 1),
      level,
    });
    // Rounds: the clean windows of all series with the same start.
    const rounds = new Map<string, { si: number; s: Scored }[]>();
    clean.forEach((list, si) => {
      for (const s of list) {
        const k = String(Date.parse(s.start));
        let r = rounds.get(k);
        if (!r) {
          r = [];
          rounds.set(k, r);
        }
        r.push({ si, s });
      }
    });
    const a = alpha[g];
    let falseAlarms = 0;
    let testWindows = 0;
    for (const round of rounds.values()) {
      const q = benjaminiHochberg(round.map((r) => r.s.pValue));
      round.forEach((r, i) => {
        const flagged = (q[i] as number) <= a;
        const m = members[r.si] as BacktestSeries;
        if (r.s.known) {
          tables.realEvents.push({
            dataset,
            series: seriesName(m),
            start: r.s.start,
            observed: r.s.observed,
            expected: r.s.expected,
            pValue: r.s.pValue,
            qValue: q[i] as number,
            flagged,
          });
          return;
        }
        testWindows++;
        if (flagged) {
          falseAlarms++;
          tables.falseAlarms.push({
            dataset,
            series: seriesName(m),
            start: r.s.start,
            observed: r.s.observed,
            expected: r.s.expected,
            qValue: q[i] as number,
          });
        }
      });
    }
    const seriesMonths = testWindows / windowsPerMonth(g);
    tables.anomaly.push({
      dataset,
      series: members.length,
      testWindows,
      seriesMonths,
      falseAlarms,
      falseAlarmsPerSeriesMonth: seriesMonths > 0 ? falseAlarms / seriesMonths : 0,
      alpha: a,
    });
    const isTotal = (si: number) => {
      const k = (members[si] as BacktestSeries).key;
      return k.areaId === ALL && k.category === ALL;
    };
    const segments = [
      ['all', () => true],
      ['total', (si: number) => isTotal(si)],
      ['category', (si: number) => !isTotal(si)],
    ] as const;
    for (const [segment, inSegment] of segments)
      for (const factor of factors) {
        const list = injected.filter((x) => x.factor === factor && inSegment(x.seriesIndex));
        if (list.length === 0) continue;
        let recalled = 0;
        for (const inj of list) {
          const round = rounds.get(String(Date.parse(inj.start))) ?? [];
          const ps = round.map((r) => (r.si === inj.seriesIndex ? inj.pValue : r.s.pValue));
          const idx = round.findIndex((r) => r.si === inj.seriesIndex);
          const q = benjaminiHochberg(idx >= 0 ? ps : [...ps, inj.pValue]);
          const qi = q[idx >= 0 ? idx : ps.length] as number;
          if (qi <= a && inj.direction === inj.kind) recalled++;
        }
        tables.recall.push({
          dataset,
          segment,
          factor,
          kind: factor > 1 ? 'spike' : 'drop',
          injected: list.length,
          recalled,
          recall: list.length > 0 ? recalled / list.length : Number.NaN,
        });
      }
  }
  return tables;
}

/** Plain-text tables for `crimepulse evaluate backtest`. */
export function formatBacktestTables(t: BacktestTables): string {
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const lines: string[] = [];
  lines.push('Forecasts (rolling origin)');
  lines.push('dataset                 series targets  h   MAE      MAE s-naive  rel.   coverage');
  for (const r of t.forecast) {
    lines.push(
      `${r.dataset.padEnd(24)}${String(r.series).padStart(6)} ${String(r.targets).padStart(7)} ${String(r.horizon).padStart(3)} ${f(r.mae).padStart(8)} ${f(r.maeSeasonalNaive).padStart(12)} ${f(r.relativeMae).padStart(6)} ${f(r.coverage).padStart(9)}`,
    );
  }
  lines.push('', 'False alarms (clean real windows, BH per round)');
  lines.push('dataset                 series windows series-months  alarms  per series-month  alpha');
  for (const r of t.anomaly) {
    lines.push(
      `${r.dataset.padEnd(24)}${String(r.series).padStart(6)} ${String(r.testWindows).padStart(7)} ${f(r.seriesMonths).padStart(13)} ${String(r.falseAlarms).padStart(7)} ${f(r.falseAlarmsPerSeriesMonth).padStart(17)} ${String(r.alpha).padStart(6)}`,
    );
  }
  lines.push('', 'Recall of injected anomalies');
  lines.push('dataset                   segment  factor kind   injected recalled recall');
  for (const r of t.recall) {
    lines.push(
      `${r.dataset.padEnd(26)}${r.segment.padEnd(8)} ${String(r.factor).padStart(6)} ${r.kind.padEnd(6)} ${String(r.injected).padStart(8)} ${String(r.recalled).padStart(8)} ${f(r.recall).padStart(6)}`,
    );
  }
  if (t.realEvents.length > 0) {
    lines.push('', 'Known real events (windows flagged / windows, smallest q)');
    const groups = new Map<string, RealEventRow[]>();
    for (const r of t.realEvents) {
      const k = `${r.dataset.padEnd(26)}${r.series}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, rs] of groups) {
      const flagged = rs.filter((r) => r.flagged).length;
      const minQ = Math.min(...rs.map((r) => r.qValue));
      const obs = rs.reduce((s, r) => s + r.observed, 0);
      const exp = rs.reduce((s, r) => s + r.expected, 0);
      lines.push(
        `${k.padEnd(70)} ${flagged}/${rs.length}  q ${minQ.toExponential(1)}  observed ${obs} expected ${f(exp, 0)}`,
      );
    }
  }
  return lines.join('\n');
}
