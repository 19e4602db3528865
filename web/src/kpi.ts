/**
 * Header KPIs: events in the last 24 hours and 7 days of the data (anchored at the filter's latest
 * event, so a replay of 2015 reads as 2015) against the usual level. "Usual" is the mean of the same
 * length blocks just before (28 daily blocks for 24 h, 4 weekly blocks for 7 days); the change is
 * called only when it is significant: z = (observed − mean) / sd, with sd from the blocks themselves
 * but never below the Poisson √mean (overdispersion is common in crime counts, underdispersion is not
 * believable on few blocks). |z| ≥ 2 is "above/below usual", otherwise "within usual range".
 */
import type { WindowItem } from './api.js';

export interface KpiChange {
  observed: number;
  usual: number;
  z: number;
  verdict: 'above' | 'below' | 'usual' | 'unknown';
  blocks: number;
}

const HOUR = 3_600_000;

/** Sums hourly windows into blocks of `hours` ending at `anchorMs` (exclusive), newest first. */
export function blockSums(
  items: readonly WindowItem[],
  anchorMs: number,
  hours: number,
  nBlocks: number,
): number[] {
  const sums = new Array<number>(nBlocks).fill(0);
  for (const w of items) {
    const t = Date.parse(w.windowStart);
    const idx = Math.floor((anchorMs - 1 - t) / (hours * HOUR));
    if (idx >= 0 && idx < nBlocks) sums[idx] = (sums[idx] ?? 0) + w.events;
  }
  return sums;
}

export function change(observed: number, history: readonly number[]): KpiChange {
  const n = history.length;
  if (n < 2) return { observed, usual: Number.NaN, z: Number.NaN, verdict: 'unknown', blocks: n };
  const mean = history.reduce((a, b) => a + b, 0) / n;
  const variance = history.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const sd = Math.max(Math.sqrt(variance), Math.sqrt(Math.max(mean, 1)));
  const z = (observed - mean) / sd;
  return { observed, usual: mean, z, verdict: z >= 2 ? 'above' : z <= -2 ? 'below' : 'usual', blocks: n };
}

/** KPI of the last `hours` against the `nHistory` blocks before it (only blocks after the data starts count). */
export function kpi(
  items: readonly WindowItem[],
  anchorMs: number,
  hours: number,
  nHistory: number,
  firstMs: number,
): KpiChange {
  const sums = blockSums(items, anchorMs, hours, nHistory + 1);
  const history: number[] = [];
  for (let i = 1; i <= nHistory; i++) {
    const blockStart = anchorMs - (i + 1) * hours * HOUR;
    if (blockStart >= firstMs - HOUR) history.push(sums[i] ?? 0);
  }
  return change(sums[0] ?? 0, history);
}
