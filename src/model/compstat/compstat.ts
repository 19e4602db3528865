/**
 * CompStat comparisons: counts of this period against the previous period and against the same
 * period last year, per area and category, with significance tests for counts.
 *
 * - Exact conditional binomial test: given a + b events in periods of lengths ta and tb, under equal
 *   rates a ~ Binomial(a + b, ta/(ta + tb)); two-sided p sums the outcomes no more likely than the
 *   observed one (the "minimum likelihood" rule of R's binom.test), with a 1e-7 relative tolerance.
 * - Square-root z: √a and √b are variance-stabilised (Var ≈ ¼), so for equal lengths
 *   z = √2(√a − √b) (the CompStat rule of thumb: |z| > 2 is notable). For unequal lengths b is
 *   scaled to a's length, r = ta/tb: z = 2(√a − √(r·b))/√(1 + r), which is √2(√a − √b) at r = 1.
 * - q-values: Benjamini–Hochberg over all rows of one comparison (exact p-values).
 */
import { DateTime } from 'luxon';
import { benjaminiHochberg, logGamma } from '../count/stats.js';

export interface CountComparison {
  current: number;
  baseline: number;
  /** baseline scaled to the current period's length. */
  expected: number;
  /** (current − expected)/expected, null when expected = 0. */
  pctChange: number | null;
  pExact: number;
  z: number;
}

function logBinom(n: number, k: number, p: number): number {
  if (p <= 0) return k === 0 ? 0 : Number.NEGATIVE_INFINITY;
  if (p >= 1) return k === n ? 0 : Number.NEGATIVE_INFINITY;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** Two-sided exact conditional binomial test of equal rates (counts a in time ta, b in time tb). */
export function exactRateTest(a: number, b: number, ta = 1, tb = 1): number {
  const n = a + b;
  if (n === 0) return 1;
  const p0 = ta / (ta + tb);
  const dObs = logBinom(n, a, p0);
  const tol = 1 + 1e-7;
  let total = 0;
  for (let k = 0; k <= n; k++) {
    const d = logBinom(n, k, p0);
    if (d <= dObs + Math.log(tol)) total += Math.exp(d);
  }
  return Math.min(1, total);
}

/** Variance-stabilised z for two counts, adjusted for unequal period lengths. */
export function sqrtZ(a: number, b: number, ta = 1, tb = 1): number {
  const r = ta / tb;
  return (2 * (Math.sqrt(a) - Math.sqrt(r * b))) / Math.sqrt(1 + r);
}

export function compareCounts(
  current: number,
  baseline: number,
  tCurrent = 1,
  tBaseline = 1,
): CountComparison {
  const expected = (baseline * tCurrent) / tBaseline;
  return {
    current,
    baseline,
    expected,
    pctChange: expected > 0 ? (current - expected) / expected : null,
    pExact: exactRateTest(current, baseline, tCurrent, tBaseline),
    z: sqrtZ(current, baseline, tCurrent, tBaseline),
  };
}

/** A count row: one window of one area and category (a store window row, or any aggregation of events). */
export interface CountRow {
  area_id: string;
  category: string;
  /** Window or event start, ISO instant. */
  start: string;
  count: number;
}

export interface Period {
  /** Inclusive start, ISO. */
  from: string;
  /** Exclusive end, ISO. */
  to: string;
}

export interface CompStatRow {
  area_id: string;
  category: string;
  current: number;
  previous: CountComparison & { q: number };
  lastYear: CountComparison & { q: number };
}

export interface CompStatReport {
  current: Period;
  previous: Period;
  lastYear: Period;
  rows: CompStatRow[];
}

/**
 * The CompStat table for a current period: the previous period is the equally long span just
 * before it; last year is the same calendar dates one year earlier (in `timeZone`), whose length may
 * differ by a day (leap years, DST), which the tests take into account. Rows are area × category
 * plus `all` totals for each area and each category.
 */
export function compstat(
  rows: readonly CountRow[],
  current: Period,
  opts: { timeZone?: string; total?: string } = {},
): CompStatReport {
  const zone = opts.timeZone ?? 'UTC';
  const all = opts.total ?? 'all';
  const from = DateTime.fromISO(current.from, { zone });
  const to = DateTime.fromISO(current.to, { zone });
  const len = to.toMillis() - from.toMillis();
  const previous: Period = {
    from: from.minus(len).toUTC().toISO() as string,
    to: from.toUTC().toISO() as string,
  };
  const lastYear: Period = {
    from: from.minus({ years: 1 }).toUTC().toISO() as string,
    to: to.minus({ years: 1 }).toUTC().toISO() as string,
  };
  const span = (p: Period) => Date.parse(p.to) - Date.parse(p.from);
  const inP = (t: number, p: Period) => t >= Date.parse(p.from) && t < Date.parse(p.to);
  const sums = new Map<string, [number, number, number]>();
  const add = (key: string, slot: 0 | 1 | 2, n: number) => {
    let s = sums.get(key);
    if (!s) {
      s = [0, 0, 0];
      sums.set(key, s);
    }
    s[slot] += n;
  };
  const cur: Period = { from: from.toUTC().toISO() as string, to: to.toUTC().toISO() as string };
  for (const r of rows) {
    const t = Date.parse(r.start);
    const slot = inP(t, cur) ? 0 : inP(t, previous) ? 1 : inP(t, lastYear) ? 2 : -1;
    if (slot < 0) continue;
    const keys = new Set([
      `${r.area_id}\u0000${r.category}`,
      `${r.area_id}\u0000${all}`,
      `${all}\u0000${r.category}`,
      `${all}\u0000${all}`,
    ]);
    for (const k of keys) add(k, slot as 0 | 1 | 2, r.count);
  }
  const tc = span(cur);
  const tp = span(previous);
  const ty = span(lastYear);
  const out = [...sums.entries()].map(([k, [c, p, y]]) => {
    const [area_id, category] = k.split('\u0000') as [string, string];
    return {
      area_id,
      category,
      current: c,
      previous: compareCounts(c, p, tc, tp),
      lastYear: compareCounts(c, y, tc, ty),
    };
  });
  const qp = benjaminiHochberg(out.map((r) => r.previous.pExact));
  const qy = benjaminiHochberg(out.map((r) => r.lastYear.pExact));
  const rowsOut: CompStatRow[] = out.map((r, i) => ({
    ...r,
    previous: { ...r.previous, q: qp[i] as number },
    lastYear: { ...r.lastYear, q: qy[i] as number },
  }));
  rowsOut.sort((a, b) => a.area_id.localeCompare(b.area_id) || a.category.localeCompare(b.category));
  return { current: cur, previous, lastYear, rows: rowsOut };
}
