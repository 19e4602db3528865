/**
 * Seeded anomaly injector for backtests: multiplies chosen windows of a real series by a known factor
 * (a spike when factor > 1, a drop when factor < 1) and records where and how.
 *
 * Positions are drawn uniformly (mulberry32, seeded) among the allowed indices, at least `minGap`
 * windows apart, so that one injection never sits in another's baseline. The injected count is
 * round(count × factor); for a spike it is at least count + 1 so that a zero window still changes.
 */
import { seededRandom } from '../count/stats.js';

export interface InjectorOptions {
  seed: number;
  /** Multiplicative sizes to inject, cycled over the positions (e.g. [3, 0.3]). */
  factors: readonly number[];
  /** How many windows to alter. */
  count: number;
  /** Allowed indices (e.g. the test part of the series, minus known real events). */
  eligible: readonly number[];
  /** Minimum distance in windows between two injections. Default 1. */
  minGap?: number;
}

export interface Injection {
  index: number;
  start: string;
  factor: number;
  kind: 'spike' | 'drop';
  original: number;
  injected: number;
}

export interface InjectedSeries {
  series: { start: string; count: number }[];
  injections: Injection[];
}

export function injectAnomalies(
  series: readonly { start: string; count: number }[],
  opts: InjectorOptions,
): InjectedSeries {
  const rand = seededRandom(opts.seed);
  const gap = opts.minGap ?? 1;
  const pool = [...opts.eligible].filter((i) => i >= 0 && i < series.length);
  // Fisher–Yates with the seeded generator, then greedy selection respecting the gap.
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  const chosen: number[] = [];
  for (const i of pool) {
    if (chosen.length >= opts.count) break;
    if (chosen.every((c) => Math.abs(c - i) >= gap)) chosen.push(i);
  }
  chosen.sort((a, b) => a - b);
  const out = series.map((p) => ({ ...p }));
  const injections: Injection[] = chosen.map((index, k) => {
    const factor = opts.factors[k % opts.factors.length] as number;
    const p = out[index] as { start: string; count: number };
    const original = p.count;
    let injected = Math.round(original * factor);
    if (factor > 1) injected = Math.max(injected, original + 1);
    p.count = injected;
    return { index, start: p.start, factor, kind: factor > 1 ? 'spike' : 'drop', original, injected };
  });
  return { series: out, injections };
}
