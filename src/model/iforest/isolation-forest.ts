/**
 * IsolationForest (Liu, Ting & Zhou 2008) with scikit-learn's conventions, so that a model trained
 * here scores like `-IsolationForest.score_samples(X)`:
 * - `maxSamples = min(256, n)` rows drawn without replacement per tree, depth limit
 *   `ceil(log2(max(maxSamples, 2)))`;
 * - a split picks a feature uniformly among those not constant in the node and a threshold uniform in
 *   [min, max) of that feature; `x <= threshold` goes left (sklearn's `ExtraTreeRegressor`, max_features=1);
 * - the path length of a point is the depth of its leaf plus `c(leaf size)`, with c(1)=0, c(2)=1,
 *   c(n) = 2(ln(n-1)+γ) - 2(n-1)/n (sklearn's `_average_path_length`);
 * - score = 2^(-E[h(x)] / c(maxSamples)) in (0, 1], higher = more anomalous.
 *
 * Hand-written rather than a library: no maintained JS package matches sklearn's scoring exactly, and the
 * `/predict` path needs a flat typed-array layout to score millions of vectors per second in-process.
 *
 * Layout: all trees live in shared typed arrays. Node i has `feature[i]` (-1 for a leaf), `threshold[i]`,
 * `left[i]`/`right[i]` (absolute node indices) and, for leaves, `leafPath[i]` = depth + c(size).
 */
import { z } from 'zod';

/** The `/predict` feature vector, pinned: the original design's four features in this order. */
export const PREDICT_FEATURES = ['count', 'hour', 'day_of_week', 'rolling_mean'] as const;
export type PredictFeature = (typeof PREDICT_FEATURES)[number];

const EULER_GAMMA = 0.5772156649015329;

/** sklearn's `_average_path_length`: expected path length of an unsuccessful BST search among n points. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** mulberry32: small, fast, seeded 32-bit PRNG; returns floats in [0, 1). Deterministic across platforms. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface IsolationForestOptions {
  /** Number of trees (default 100). */
  readonly nEstimators?: number;
  /** Rows per tree (default 256, capped at the number of training rows). */
  readonly maxSamples?: number;
  /** PRNG seed (default 42). */
  readonly seed?: number;
}

/** Serialised model (the model file). Typed arrays become plain number arrays. */
export const IsolationForestJson = z.object({
  kind: z.literal('isolation-forest'),
  version: z.literal(1),
  nFeatures: z.number().int().positive(),
  featureNames: z.array(z.string()).optional(),
  nEstimators: z.number().int().positive(),
  maxSamples: z.number().int().positive(),
  maxDepth: z.number().int().nonnegative(),
  seed: z.number().int(),
  treeOffsets: z.array(z.number().int().nonnegative()),
  feature: z.array(z.number().int()),
  threshold: z.array(z.number()),
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  leafPath: z.array(z.number()),
});
export type IsolationForestJson = z.infer<typeof IsolationForestJson>;

/** Rows as an array of vectors, or a flat row-major Float64Array with `nFeatures` columns. */
export type Matrix =
  | readonly (readonly number[])[]
  | { readonly data: Float64Array; readonly nFeatures: number };

function toFlat(x: Matrix): { data: Float64Array; nRows: number; nFeatures: number } {
  if ('data' in x) return { data: x.data, nRows: x.data.length / x.nFeatures, nFeatures: x.nFeatures };
  const rows = x as readonly (readonly number[])[];
  const nFeatures = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * nFeatures);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as readonly number[];
    if (r.length !== nFeatures)
      throw new RangeError(`row ${i} has ${r.length} features, expected ${nFeatures}`);
    for (let j = 0; j < nFeatures; j++) data[i * nFeatures + j] = r[j] as number;
  }
  return { data, nRows: rows.length, nFeatures };
}

export class IsolationForest {
  readonly nFeatures: number;
  readonly nEstimators: number;
  readonly maxSamples: number;
  readonly maxDepth: number;
  readonly seed: number;
  readonly featureNames: readonly string[] | undefined;
  private readonly treeOffsets: Int32Array;
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly leafPath: Float64Array;
  /** c(maxSamples): the normaliser of the mean path length. */
  private readonly norm: number;
  /**
   * Scoring layout: each tree as a complete binary tree of depth maxDepth (heap order, children of i at
   * 2i+1 and 2i+2). A leaf above the bottom becomes a chain of always-left splits (threshold +∞) whose
   * bottom leaves all carry its path length, so every traversal is exactly maxDepth branch-free steps and
   * several rows can be walked in lock-step (instruction-level parallelism; ~3× the pointer layout).
   */
  private readonly cFeature: Int32Array;
  private readonly cThreshold: Float64Array;
  private readonly cLeaf: Float64Array;
  private readonly nInternal: number;

  private constructor(j: {
    nFeatures: number;
    nEstimators: number;
    maxSamples: number;
    maxDepth: number;
    seed: number;
    featureNames: readonly string[] | undefined;
    treeOffsets: Int32Array;
    feature: Int32Array;
    threshold: Float64Array;
    left: Int32Array;
    right: Int32Array;
    leafPath: Float64Array;
  }) {
    this.nFeatures = j.nFeatures;
    this.nEstimators = j.nEstimators;
    this.maxSamples = j.maxSamples;
    this.maxDepth = j.maxDepth;
    this.seed = j.seed;
    this.featureNames = j.featureNames;
    this.treeOffsets = j.treeOffsets;
    this.feature = j.feature;
    this.threshold = j.threshold;
    this.left = j.left;
    this.right = j.right;
    this.leafPath = j.leafPath;
    this.norm = averagePathLength(j.maxSamples);
    const nInternal = 2 ** j.maxDepth - 1;
    const nLeaves = nInternal + 1;
    this.nInternal = nInternal;
    this.cFeature = new Int32Array(nInternal * j.nEstimators);
    this.cThreshold = new Float64Array(nInternal * j.nEstimators).fill(Number.POSITIVE_INFINITY);
    this.cLeaf = new Float64Array(nLeaves * j.nEstimators);
    for (let tr = 0; tr < j.nEstimators; tr++) {
      const io = tr * nInternal;
      const lo = tr * nLeaves;
      // (pointer node, heap position, depth)
      const stack: [number, number, number][] = [[j.treeOffsets[tr] as number, 0, 0]];
      while (stack.length > 0) {
        const [node, pos, depth] = stack.pop() as [number, number, number];
        const f = j.feature[node] as number;
        if (f >= 0 && depth < j.maxDepth) {
          this.cFeature[io + pos] = f;
          this.cThreshold[io + pos] = j.threshold[node] as number;
          stack.push(
            [j.left[node] as number, 2 * pos + 1, depth + 1],
            [j.right[node] as number, 2 * pos + 2, depth + 1],
          );
        } else {
          // leaf at `depth`: its bottom-level descendants span a contiguous range of heap leaves
          const span = 2 ** (j.maxDepth - depth);
          const first = (pos + 1) * span - 1 - nInternal;
          this.cLeaf.fill(j.leafPath[node] as number, lo + first, lo + first + span);
        }
      }
    }
  }

  /** Fits a forest on `x` (at least one row). Deterministic for a given seed. */
  static fit(
    x: Matrix,
    options: IsolationForestOptions & { featureNames?: readonly string[] } = {},
  ): IsolationForest {
    const { data, nRows, nFeatures } = toFlat(x);
    if (nRows < 1 || nFeatures < 1)
      throw new RangeError('IsolationForest.fit needs at least one row and one feature');
    const nEstimators = options.nEstimators ?? 100;
    const maxSamples = Math.min(options.maxSamples ?? 256, nRows);
    const maxDepth = Math.ceil(Math.log2(Math.max(maxSamples, 2)));
    const seed = options.seed ?? 42;
    const rand = mulberry32(seed);

    const cap = nEstimators * (2 * maxSamples - 1);
    const feature = new Int32Array(cap);
    const threshold = new Float64Array(cap);
    const left = new Int32Array(cap);
    const right = new Int32Array(cap);
    const leafPath = new Float64Array(cap);
    const treeOffsets = new Int32Array(nEstimators + 1);
    let next = 0;

    const pool = new Int32Array(nRows);
    const idx = new Int32Array(maxSamples);
    const candidates = new Int32Array(nFeatures);
    const mins = new Float64Array(nFeatures);
    const maxs = new Float64Array(nFeatures);

    // Builds the subtree over idx[lo, hi) at `depth`; returns its node index. Recursion depth ≤ maxDepth.
    const build = (lo: number, hi: number, depth: number): number => {
      const node = next++;
      const n = hi - lo;
      let nCand = 0;
      if (depth < maxDepth && n >= 2) {
        for (let f = 0; f < nFeatures; f++) {
          let mn = Number.POSITIVE_INFINITY;
          let mx = Number.NEGATIVE_INFINITY;
          for (let k = lo; k < hi; k++) {
            const v = data[(idx[k] as number) * nFeatures + f] as number;
            if (v < mn) mn = v;
            if (v > mx) mx = v;
          }
          mins[f] = mn;
          maxs[f] = mx;
          if (mx > mn) candidates[nCand++] = f;
        }
      }
      if (nCand === 0) {
        feature[node] = -1;
        leafPath[node] = depth + averagePathLength(n);
        return node;
      }
      const f = candidates[Math.floor(rand() * nCand)] as number;
      const mn = mins[f] as number;
      const mx = maxs[f] as number;
      let t = mn + rand() * (mx - mn);
      if (t >= mx) t = mn; // float rounding guard, as sklearn does
      // partition idx[lo, hi) so that rows with x[f] <= t come first
      let i = lo;
      let j = hi - 1;
      while (i <= j) {
        if ((data[(idx[i] as number) * nFeatures + f] as number) <= t) i++;
        else {
          const tmp = idx[i] as number;
          idx[i] = idx[j] as number;
          idx[j] = tmp;
          j--;
        }
      }
      feature[node] = f;
      threshold[node] = t;
      left[node] = build(lo, i, depth + 1);
      right[node] = build(i, hi, depth + 1);
      return node;
    };

    for (let tr = 0; tr < nEstimators; tr++) {
      treeOffsets[tr] = next;
      // partial Fisher-Yates: the first maxSamples entries of `pool` are a uniform sample without replacement
      for (let i = 0; i < nRows; i++) pool[i] = i;
      for (let i = 0; i < maxSamples; i++) {
        const r = i + Math.floor(rand() * (nRows - i));
        const tmp = pool[i] as number;
        pool[i] = pool[r] as number;
        pool[r] = tmp;
        idx[i] = pool[i] as number;
      }
      build(0, maxSamples, 0);
    }
    treeOffsets[nEstimators] = next;
    return new IsolationForest({
      nFeatures,
      nEstimators,
      maxSamples,
      maxDepth,
      seed,
      featureNames: options.featureNames,
      treeOffsets,
      feature: feature.slice(0, next),
      threshold: threshold.slice(0, next),
      left: left.slice(0, next),
      right: right.slice(0, next),
      leafPath: leafPath.slice(0, next),
    });
  }

  /** Score of one vector: 2^(-E[h(x)]/c(maxSamples)), in (0, 1], higher = more anomalous. */
  scoreOne(v: ArrayLike<number>): number {
    if (v.length !== this.nFeatures)
      throw new RangeError(`expected ${this.nFeatures} features, got ${v.length}`);
    const { feature, threshold, left, right, leafPath, treeOffsets } = this;
    let sum = 0;
    for (let tr = 0; tr < this.nEstimators; tr++) {
      let node = treeOffsets[tr] as number;
      let f = feature[node] as number;
      while (f >= 0) {
        node =
          (v[f] as number) <= (threshold[node] as number) ? (left[node] as number) : (right[node] as number);
        f = feature[node] as number;
      }
      sum += leafPath[node] as number;
    }
    return 2 ** (sum * (-1 / (this.nEstimators * this.norm)));
  }

  /**
   * Batch scores. Trees are the outer loop so one tree's nodes stay in cache while all rows pass through it.
   * `out` may be supplied to avoid allocation.
   */
  score(x: Matrix, out?: Float64Array): Float64Array {
    const { data, nRows, nFeatures } = toFlat(x);
    if (nRows > 0 && nFeatures !== this.nFeatures) {
      throw new RangeError(`expected ${this.nFeatures} features, got ${nFeatures}`);
    }
    const sums = out && out.length >= nRows ? out : new Float64Array(nRows);
    sums.fill(0, 0, nRows);
    const { cFeature: feat, cThreshold: thr, cLeaf: leaf, nInternal, maxDepth } = this;
    const nLeaves = nInternal + 1;
    const nf = nFeatures;
    const n4 = nRows - (nRows % 8);
    for (let tr = 0; tr < this.nEstimators; tr++) {
      const io = tr * nInternal;
      const lo = tr * nLeaves - nInternal; // heap index → leaf slot
      // eight rows in lock-step: independent dependent-load chains overlap in the CPU; `+(a > b)` compiles
      // to a branch-free setcc, where `a > b ? 1 : 0` is a mispredicted branch half the time (measured 7×)
      for (let r = 0; r < n4; r += 8) {
        const b0 = r * nf;
        const b1 = b0 + nf;
        const b2 = b1 + nf;
        const b3 = b2 + nf;
        const b4 = b3 + nf;
        const b5 = b4 + nf;
        const b6 = b5 + nf;
        const b7 = b6 + nf;
        let p0 = 0;
        let p1 = 0;
        let p2 = 0;
        let p3 = 0;
        let p4 = 0;
        let p5 = 0;
        let p6 = 0;
        let p7 = 0;
        for (let d = 0; d < maxDepth; d++) {
          p0 = 2 * p0 + 1 + +((data[b0 + (feat[io + p0] as number)] as number) > (thr[io + p0] as number));
          p1 = 2 * p1 + 1 + +((data[b1 + (feat[io + p1] as number)] as number) > (thr[io + p1] as number));
          p2 = 2 * p2 + 1 + +((data[b2 + (feat[io + p2] as number)] as number) > (thr[io + p2] as number));
          p3 = 2 * p3 + 1 + +((data[b3 + (feat[io + p3] as number)] as number) > (thr[io + p3] as number));
          p4 = 2 * p4 + 1 + +((data[b4 + (feat[io + p4] as number)] as number) > (thr[io + p4] as number));
          p5 = 2 * p5 + 1 + +((data[b5 + (feat[io + p5] as number)] as number) > (thr[io + p5] as number));
          p6 = 2 * p6 + 1 + +((data[b6 + (feat[io + p6] as number)] as number) > (thr[io + p6] as number));
          p7 = 2 * p7 + 1 + +((data[b7 + (feat[io + p7] as number)] as number) > (thr[io + p7] as number));
        }
        sums[r] = (sums[r] as number) + (leaf[lo + p0] as number);
        sums[r + 1] = (sums[r + 1] as number) + (leaf[lo + p1] as number);
        sums[r + 2] = (sums[r + 2] as number) + (leaf[lo + p2] as number);
        sums[r + 3] = (sums[r + 3] as number) + (leaf[lo + p3] as number);
        sums[r + 4] = (sums[r + 4] as number) + (leaf[lo + p4] as number);
        sums[r + 5] = (sums[r + 5] as number) + (leaf[lo + p5] as number);
        sums[r + 6] = (sums[r + 6] as number) + (leaf[lo + p6] as number);
        sums[r + 7] = (sums[r + 7] as number) + (leaf[lo + p7] as number);
      }
      for (let r = n4; r < nRows; r++) {
        const b = r * nf;
        let p = 0;
        for (let d = 0; d < maxDepth; d++) {
          p = 2 * p + 1 + +((data[b + (feat[io + p] as number)] as number) > (thr[io + p] as number));
        }
        sums[r] = (sums[r] as number) + (leaf[lo + p] as number);
      }
    }
    const k = -1 / (this.nEstimators * this.norm);
    for (let r = 0; r < nRows; r++) sums[r] = 2 ** ((sums[r] as number) * k);
    return sums;
  }

  toJSON(): IsolationForestJson {
    return {
      kind: 'isolation-forest',
      version: 1,
      nFeatures: this.nFeatures,
      ...(this.featureNames ? { featureNames: [...this.featureNames] } : {}),
      nEstimators: this.nEstimators,
      maxSamples: this.maxSamples,
      maxDepth: this.maxDepth,
      seed: this.seed,
      treeOffsets: Array.from(this.treeOffsets),
      feature: Array.from(this.feature),
      threshold: Array.from(this.threshold),
      left: Array.from(this.left),
      right: Array.from(this.right),
      leafPath: Array.from(this.leafPath),
    };
  }

  /** Parses a model file (validated with zod; throws a ZodError on a malformed file). */
  static fromJSON(json: unknown): IsolationForest {
    const j = IsolationForestJson.parse(json);
    const n = j.feature.length;
    if (
      j.threshold.length !== n ||
      j.left.length !== n ||
      j.right.length !== n ||
      j.leafPath.length !== n ||
      j.treeOffsets.length !== j.nEstimators + 1
    ) {
      throw new RangeError('IsolationForest model file: array lengths disagree');
    }
    for (let i = 0; i < n; i++) {
      const f = j.feature[i] as number;
      if (f >= j.nFeatures) throw new RangeError(`IsolationForest model file: node ${i} uses feature ${f}`);
      if (f >= 0) {
        const l = j.left[i] as number;
        const r = j.right[i] as number;
        // children always come after their parent (pre-order build), which rules out cycles
        if (l <= i || r <= i || l >= n || r >= n)
          throw new RangeError(`IsolationForest model file: bad children at ${i}`);
      }
    }
    return new IsolationForest({
      nFeatures: j.nFeatures,
      nEstimators: j.nEstimators,
      maxSamples: j.maxSamples,
      maxDepth: j.maxDepth,
      seed: j.seed,
      featureNames: j.featureNames,
      treeOffsets: Int32Array.from(j.treeOffsets),
      feature: Int32Array.from(j.feature),
      threshold: Float64Array.from(j.threshold),
      left: Int32Array.from(j.left),
      right: Int32Array.from(j.right),
      leafPath: Float64Array.from(j.leafPath),
    });
  }
}

/** Poisson draw (Knuth for small rates, normal approximation above 30: training data only needs the spirit). */
function poisson(lambda: number, rand: () => number): number {
  if (lambda > 30) {
    const u1 = Math.max(rand(), 1e-12);
    const u2 = rand();
    const z0 = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z0));
  }
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

/**
 * Deterministic synthetic `/predict` training set, the same recipe as the reference peer's
 * `make_training_data` (shared/peers/seed_fastapi_peer.py): hourly Poisson counts with a daily cycle
 * peaking around 22:00, +2 on Fri–Sun (dow ≥ 4, 0 = Monday), ~0.5% injected spikes of +15..39, and the
 * mean of the previous 24 counts. Our PRNG differs from numpy's, so the rows are not byte-identical.
 * Returns a flat row-major matrix with the columns of PREDICT_FEATURES.
 */
export function makeTrainingData(nRows = 100_000, seed = 42): { data: Float64Array; nFeatures: 4 } {
  const rand = mulberry32(seed);
  const total = nRows + 24;
  const counts = new Float64Array(total);
  for (let t = 0; t < total; t++) {
    const hour = t % 24;
    const dow = Math.floor(t / 24) % 7;
    const base = 5 + 4 * Math.sin(((hour - 16) / 24) * 2 * Math.PI) + (dow >= 4 ? 2 : 0);
    counts[t] = poisson(Math.max(base, 0.5), rand);
  }
  for (let t = 0; t < total; t++) {
    if (rand() < 0.005) counts[t] = (counts[t] as number) + 15 + Math.floor(rand() * 25);
  }
  const data = new Float64Array(nRows * 4);
  let sum = 0;
  for (let t = 0; t < 24; t++) sum += counts[t] as number;
  for (let t = 24; t < total; t++) {
    const r = (t - 24) * 4;
    data[r] = counts[t] as number;
    data[r + 1] = t % 24;
    data[r + 2] = Math.floor(t / 24) % 7;
    data[r + 3] = sum / 24;
    sum += (counts[t] as number) - (counts[t - 24] as number);
  }
  return { data, nFeatures: 4 };
}

export interface HourlyCount {
  /** Start of the hour: ISO string, epoch ms, or Date. */
  readonly start: string | number | Date;
  readonly count: number;
}

export interface HourlyFeatureRow {
  readonly start: Date;
  /** `[count, hour, day_of_week (0 = Monday), rolling_mean]`, as PREDICT_FEATURES. */
  readonly features: [number, number, number, number];
}

const HOUR_MS = 3_600_000;

/**
 * Builds `/predict` feature vectors from real hourly windows (one series). Hours missing between the first
 * and the last window count as 0 (a window with no events is not stored). Hour and weekday are taken in
 * UTC unless `offsetHours` shifts them to local time (e.g. -6 for Chicago standard time). `rolling_mean` is
 * the mean of the previous 24 hourly counts, so the first 24 hours get no row (same as the training data).
 */
export function hourlyFeatures(
  windows: readonly HourlyCount[],
  options: { offsetHours?: number } = {},
): HourlyFeatureRow[] {
  if (windows.length === 0) return [];
  const byHour = new Map<number, number>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const w of windows) {
    const ms = w.start instanceof Date ? w.start.getTime() : new Date(w.start).getTime();
    if (!Number.isFinite(ms)) throw new RangeError(`bad hourly window start: ${String(w.start)}`);
    const h = Math.floor(ms / HOUR_MS);
    byHour.set(h, (byHour.get(h) ?? 0) + w.count);
    if (h < first) first = h;
    if (h > last) last = h;
  }
  const n = last - first + 1;
  const counts = new Float64Array(n);
  for (const [h, c] of byHour) counts[h - first] = c;
  const offset = options.offsetHours ?? 0;
  const out: HourlyFeatureRow[] = [];
  let sum = 0;
  for (let i = 0; i < Math.min(24, n); i++) sum += counts[i] as number;
  for (let i = 24; i < n; i++) {
    const ms = (first + i) * HOUR_MS;
    const local = new Date(ms + offset * HOUR_MS);
    const dow = (local.getUTCDay() + 6) % 7; // JS: 0 = Sunday; ours: 0 = Monday
    out.push({ start: new Date(ms), features: [counts[i] as number, local.getUTCHours(), dow, sum / 24] });
    sum += (counts[i] as number) - (counts[i - 24] as number);
  }
  return out;
}
