/**
 * Window history as model series: every stored series (source × area × category) plus two roll-ups
 * per source — the whole source (`*` × `*`) and each category across areas (`*` × category) — because
 * city-wide shifts (the 2015 Chicago blizzard, the 2020 lockdown) are clearest in totals, while single
 * area × category series are mostly sparse counts.
 */
import type { ClosedWindow } from '../../pipeline/index.js';
import type { SeriesPoint } from '../count/index.js';

export const ALL = '*';

export interface HistoryWindow {
  granularity: 'hour' | 'day' | 'month';
  source: string;
  areaId: string;
  category: string;
  windowStart: string;
  windowEnd?: string;
  incidentCount: number;
  eventCount: number;
}

export interface HistorySeries {
  source: string;
  areaId: string;
  category: string;
  granularity: 'hour' | 'day' | 'month';
  points: SeriesPoint[];
  total: number;
}

/** Adds the `*` roll-ups of a set of windows (sums by source and start, and by source, category and start). */
export function withRollups<W extends HistoryWindow | ClosedWindow>(windows: readonly W[]): W[] {
  const sums = new Map<string, W>();
  const add = (w: W, areaId: string, category: string) => {
    const key = `${w.granularity}\u0000${w.source}\u0000${areaId}\u0000${category}\u0000${w.windowStart}`;
    const prev = sums.get(key);
    if (prev) {
      prev.eventCount += w.eventCount;
      prev.incidentCount += w.incidentCount;
      if ('arrestCount' in prev && 'arrestCount' in w) {
        (prev as ClosedWindow).arrestCount += (w as ClosedWindow).arrestCount;
        (prev as ClosedWindow).domesticCount += (w as ClosedWindow).domesticCount;
      }
    } else sums.set(key, { ...w, areaId, category });
  };
  for (const w of windows) {
    if (w.areaId === ALL) continue;
    add(w, ALL, ALL);
    add(w, ALL, w.category);
  }
  return [...windows, ...sums.values()];
}

/** Groups windows (with roll-ups) into series, keeping those with enough history to fit. */
export function buildSeries(
  windows: readonly HistoryWindow[],
  options: {
    minPoints?: Partial<Record<HistorySeries['granularity'], number>>;
    minTotal?: number;
    maxSeries?: number;
  } = {},
): HistorySeries[] {
  const minPoints = { hour: 72, day: 10, month: 6, ...options.minPoints };
  const minTotal = options.minTotal ?? 30;
  const bySeries = new Map<string, HistorySeries>();
  for (const w of withRollups(windows.map((w) => ({ ...w })))) {
    const key = `${w.granularity}\u0000${w.source}\u0000${w.areaId}\u0000${w.category}`;
    let s = bySeries.get(key);
    if (!s) {
      s = {
        source: w.source,
        areaId: w.areaId,
        category: w.category,
        granularity: w.granularity,
        points: [],
        total: 0,
      };
      bySeries.set(key, s);
    }
    s.points.push({ start: w.windowStart, count: w.incidentCount });
    s.total += w.incidentCount;
  }
  const spanOk = (s: HistorySeries) => {
    if (s.points.length === 0) return false;
    const t = s.points.map((p) => Date.parse(p.start));
    const step =
      s.granularity === 'hour' ? 3_600_000 : s.granularity === 'day' ? 86_400_000 : 28 * 86_400_000;
    return (Math.max(...t) - Math.min(...t)) / step + 1 >= minPoints[s.granularity];
  };
  const kept = [...bySeries.values()].filter((s) => s.total >= minTotal && spanOk(s));
  for (const s of kept) s.points.sort((a, b) => a.start.localeCompare(b.start));
  kept.sort((a, b) => b.total - a.total);
  return kept.slice(0, options.maxSeries ?? 400);
}
