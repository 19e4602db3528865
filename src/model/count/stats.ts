/**
 * Distribution helpers for count models: log-gamma, negative-binomial (and Poisson as its limit)
 * probabilities, tails, mid-p values and quantiles, the normal distribution, Benjamini–Hochberg and a
 * seeded random generator.
 *
 * Hand-written on purpose: there is no maintained JS statistics package with the negative-binomial
 * tails in log space that we need (jStat and simple-statistics are unmaintained or lack them), and
 * each function is a few lines of textbook numerics (Lanczos log-gamma; Acklam's normal quantile;
 * W. J. Cody-style erfc via a rational approximation).
 */

/** Above this the negative binomial is numerically the Poisson distribution. */
export const POISSON_THETA = 1e8;

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = 0.99999999999980993;
  const t = z + 7.5;
  for (let i = 0; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log P(Y = y) for Y ~ NB(mean mu, size theta); theta ≥ POISSON_THETA gives the Poisson. */
export function nbLogPmf(y: number, mu: number, theta: number): number {
  if (y < 0 || !Number.isInteger(y)) return Number.NEGATIVE_INFINITY;
  if (mu <= 0) return y === 0 ? 0 : Number.NEGATIVE_INFINITY;
  if (theta >= POISSON_THETA) return y * Math.log(mu) - mu - logGamma(y + 1);
  return (
    logGamma(y + theta) -
    logGamma(theta) -
    logGamma(y + 1) -
    theta * Math.log1p(mu / theta) +
    y * (Math.log(mu) - Math.log(theta + mu))
  );
}

/** Ratio P(Y=j+1)/P(Y=j) in log space, used to walk the pmf without recomputing log-gammas. */
function logStep(j: number, mu: number, theta: number): number {
  if (theta >= POISSON_THETA) return Math.log(mu) - Math.log(j + 1);
  return Math.log((j + theta) / (j + 1)) + Math.log(mu / (theta + mu));
}

export interface TailProbabilities {
  /** P(Y < y) */
  below: number;
  /** P(Y = y) */
  at: number;
  /** P(Y > y) */
  above: number;
}

/**
 * The three pieces of the distribution around an observation, each summed directly (never as
 * 1 − something) so that tiny tail probabilities keep their precision.
 */
export function nbTails(y: number, mu: number, theta: number): TailProbabilities {
  const yy = Math.max(0, Math.round(y));
  const lpY = nbLogPmf(yy, mu, theta);
  const at = Math.exp(lpY);
  // Below: walk down from y.
  let below = 0;
  let lp = lpY;
  for (let j = yy - 1; j >= 0; j--) {
    lp -= logStep(j, mu, theta);
    const p = Math.exp(lp);
    below += p;
    if (j < mu && p < below * 1e-17) break;
  }
  // Above: walk up from y until the terms vanish past the mean.
  let above = 0;
  lp = lpY;
  for (let j = yy; ; j++) {
    lp += logStep(j, mu, theta);
    const p = Math.exp(lp);
    above += p;
    if ((j + 1 > mu && (p < above * 1e-17 || p === 0)) || j > yy + 1e7) break;
  }
  if (!Number.isFinite(lpY)) {
    // mu = 0 or degenerate: fall back to a point mass at 0.
    return yy === 0 ? { below: 0, at: 1, above: 0 } : { below: 1, at: 0, above: 0 };
  }
  return { below, at, above };
}

/** Two-sided mid-p value: 2·min(P(Y<y) + ½P(Y=y), P(Y>y) + ½P(Y=y)), capped at 1. */
export function midP(t: TailProbabilities): { lower: number; upper: number; twoSided: number } {
  const lower = t.below + 0.5 * t.at;
  const upper = t.above + 0.5 * t.at;
  return { lower, upper, twoSided: Math.min(1, 2 * Math.min(lower, upper)) };
}

/** Smallest k with P(Y ≤ k) ≥ q. */
export function nbQuantile(q: number, mu: number, theta: number): number {
  if (mu <= 0) return 0;
  let cdf = 0;
  let lp = nbLogPmf(0, mu, theta);
  for (let k = 0; k < 1e8; k++) {
    cdf += Math.exp(lp);
    if (cdf >= q) return k;
    lp += logStep(k, mu, theta);
  }
  return Number.POSITIVE_INFINITY;
}

/** Standard normal upper tail P(Z > z), through erfc below (relative error < 1.2e-7). */
export function normalUpper(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/**
 * Benjamini–Hochberg adjusted p-values (q-values), in input order: q_(i) = min_{j≥i} p_(j)·m/j.
 * Rejecting q ≤ α controls the false discovery rate at α for independent or positively dependent tests.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const q = new Array<number>(m).fill(1);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = order[r] as readonly [number, number];
    running = Math.min(running, (p * m) / (r + 1));
    q[i] = Math.min(1, running);
  }
  return q;
}

/** Seeded uniform generator on [0, 1) (mulberry32): reproducible simulations and injections. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson draw (Knuth for small means, normal approximation with continuity for large ones). */
export function samplePoisson(mu: number, rand: () => number): number {
  if (mu <= 0) return 0;
  if (mu < 60) {
    const l = Math.exp(-mu);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= rand();
    } while (p > l);
    return k - 1;
  }
  return Math.max(0, Math.round(mu + Math.sqrt(mu) * sampleNormal(rand)));
}

export function sampleNormal(rand: () => number): number {
  const u = Math.max(rand(), 1e-300);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, scale 1) draw (Marsaglia–Tsang). */
export function sampleGamma(shape: number, rand: () => number): number {
  if (shape < 1) return sampleGamma(shape + 1, rand) * rand() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rand();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** NB(mu, theta) draw as a gamma–Poisson mixture. */
export function sampleNegBin(mu: number, theta: number, rand: () => number): number {
  if (theta >= POISSON_THETA) return samplePoisson(mu, rand);
  return samplePoisson((mu * sampleGamma(theta, rand)) / theta, rand);
}
