/**
 * Negative-binomial GLM (log link) fitted by penalised iteratively re-weighted least squares.
 *
 * Hand-written: there is no maintained JavaScript GLM library (the npm packages that exist are
 * abandoned, Poisson-only, or pull in a whole numerics stack), and IRLS with a ridge penalty is ~100
 * lines. Rows are sparse (a seasonal design has ~10 non-zeros among up to ~200 columns), so X'WX is
 * accumulated from the non-zeros only.
 *
 * Model: y_i ~ NB(μ_i, θ), log μ_i = x_i'β, Var(y) = μ + μ²/θ. Penalty ½ Σ_j λ_j·w̄·β_j², where w̄ is
 * the mean IRLS weight, so λ_j reads as "pseudo-observations pulling β_j to 0" whatever the count scale.
 * θ is re-estimated between IRLS steps by the Pearson moment equation
 * Σ (y−μ)²/μ = (n − edf) + Σ μ/θ, with edf the penalised effective degrees of freedom.
 */

export interface SparseRow {
  idx: number[];
  val: number[];
}

export interface GlmOptions {
  /** Per-column ridge strength (0 for the intercept). */
  penalty: readonly number[];
  /** Prior weights (0 drops an observation). */
  weights?: readonly number[];
  /** Fixed θ; omit to estimate it. */
  theta?: number;
  maxIter?: number;
  tol?: number;
  /** Initial coefficients (warm start). */
  start?: readonly number[];
}

export interface GlmFit {
  coef: number[];
  theta: number;
  /** Cholesky factor (lower, row-major p×p) of the penalised information matrix at the solution. */
  chol: Float64Array;
  /** Penalised effective degrees of freedom. */
  edf: number;
  iterations: number;
  converged: boolean;
  mu: number[];
}

const MAX_THETA = 1e8;
const MIN_THETA = 0.05;

/** In-place Cholesky A = LLᵀ of a symmetric positive-definite row-major p×p matrix; returns L. */
export function cholesky(a: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * p + k] as number) * (l[j * p + k] as number);
      if (i === j) {
        // A tiny jitter keeps an all-zero column (a level never seen) from breaking the factorisation.
        l[i * p + i] = Math.sqrt(Math.max(s, 1e-10));
      } else {
        l[i * p + j] = s / (l[j * p + j] as number);
      }
    }
  }
  return l;
}

/** Solves LLᵀx = b. */
export function cholSolve(l: Float64Array, p: number, b: readonly number[] | Float64Array): Float64Array {
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * p + k] as number) * (y[k] as number);
    y[i] = s / (l[i * p + i] as number);
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < p; k++) s -= (l[k * p + i] as number) * (x[k] as number);
    x[i] = s / (l[i * p + i] as number);
  }
  return x;
}

/** xᵀA⁻¹x for a sparse x, given the Cholesky factor of A: ‖L⁻¹x‖². */
export function quadFormInverse(l: Float64Array, p: number, row: SparseRow): number {
  const b = new Float64Array(p);
  let first = p;
  for (let k = 0; k < row.idx.length; k++) {
    const j = row.idx[k] as number;
    b[j] = (b[j] as number) + (row.val[k] as number);
    if (j < first) first = j;
  }
  let total = 0;
  for (let i = first; i < p; i++) {
    let s = b[i] as number;
    for (let k = first; k < i; k++) s -= (l[i * p + k] as number) * (b[k] as number);
    const v = s / (l[i * p + i] as number);
    b[i] = v;
    total += v * v;
  }
  return total;
}

/** Diagonal of A⁻¹ = L⁻ᵀL⁻¹ from its Cholesky factor: invert L (p³/6) and sum squares down columns. */
function inverseDiagonal(l: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    inv[j * p + j] = 1 / (l[j * p + j] as number);
    for (let i = j + 1; i < p; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= (l[i * p + k] as number) * (inv[k * p + j] as number);
      inv[i * p + j] = s / (l[i * p + i] as number);
    }
  }
  const d = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) d[j] = (d[j] as number) + (inv[i * p + j] as number) ** 2;
  }
  return d;
}

function linear(row: SparseRow, coef: readonly number[] | Float64Array): number {
  let eta = 0;
  for (let k = 0; k < row.idx.length; k++)
    eta += (row.val[k] as number) * (coef[row.idx[k] as number] as number);
  return eta;
}

export function predictEta(row: SparseRow, coef: readonly number[]): number {
  return linear(row, coef);
}

/** Fits the penalised NB GLM. */
export function fitNegBinGlm(
  rows: readonly SparseRow[],
  y: readonly number[],
  p: number,
  opts: GlmOptions,
): GlmFit {
  const n = rows.length;
  const prior = opts.weights ?? new Array<number>(n).fill(1);
  const maxIter = opts.maxIter ?? 60;
  const tol = opts.tol ?? 1e-7;
  let theta = opts.theta ?? 10;
  const estimateTheta = opts.theta === undefined;
  let coef: Float64Array = new Float64Array(p);
  if (opts.start) coef.set(opts.start);
  else {
    let sw = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sw += prior[i] as number;
      sy += (prior[i] as number) * (y[i] as number);
    }
    coef[0] = Math.log(sy / Math.max(sw, 1) + 0.1);
  }
  const mu = new Array<number>(n).fill(0);
  let chol: Float64Array = new Float64Array(p * p);
  let edf = p;
  let converged = false;
  let iter = 0;
  for (iter = 1; iter <= maxIter; iter++) {
    const a = new Float64Array(p * p);
    const b = new Float64Array(p);
    let wSum = 0;
    let wN = 0;
    for (let i = 0; i < n; i++) {
      const eta = Math.min(30, Math.max(-30, linear(rows[i] as SparseRow, coef)));
      const m = Math.exp(eta);
      mu[i] = m;
      const pw = prior[i] as number;
      if (pw === 0) continue;
      const w = (pw * m) / (1 + m / theta);
      const z = eta + ((y[i] as number) - m) / m;
      wSum += w;
      wN += pw;
      const row = rows[i] as SparseRow;
      for (let r = 0; r < row.idx.length; r++) {
        const jr = row.idx[r] as number;
        const vr = (row.val[r] as number) * w;
        b[jr] = (b[jr] as number) + vr * z;
        for (let c = 0; c < row.idx.length; c++) {
          const jc = row.idx[c] as number;
          if (jc > jr) continue;
          a[jr * p + jc] = (a[jr * p + jc] as number) + vr * (row.val[c] as number);
        }
      }
    }
    const wBar = wSum / Math.max(wN, 1);
    for (let j = 0; j < p; j++) {
      a[j * p + j] = (a[j * p + j] as number) + (opts.penalty[j] ?? 0) * wBar;
      for (let k = 0; k < j; k++) a[k * p + j] = a[j * p + k] as number;
    }
    chol = cholesky(a, p);
    const next = cholSolve(chol, p, b);
    let delta = 0;
    for (let j = 0; j < p; j++) delta = Math.max(delta, Math.abs((next[j] as number) - (coef[j] as number)));
    coef = next;
    if (estimateTheta && iter >= 2) {
      const inv = inverseDiagonal(chol, p);
      let shrink = 0;
      for (let j = 0; j < p; j++) shrink += (opts.penalty[j] ?? 0) * wBar * (inv[j] as number);
      edf = Math.max(1, p - shrink);
      let pearson = 0;
      let muSum = 0;
      let nEff = 0;
      for (let i = 0; i < n; i++) {
        const pw = prior[i] as number;
        if (pw === 0) continue;
        const m = Math.exp(Math.min(30, Math.max(-30, linear(rows[i] as SparseRow, coef))));
        pearson += (pw * ((y[i] as number) - m) ** 2) / m;
        muSum += pw * m;
        nEff += pw;
      }
      const alpha = (pearson - Math.max(1, nEff - edf)) / muSum;
      const newTheta = alpha <= 1 / MAX_THETA ? MAX_THETA : Math.max(MIN_THETA, 1 / alpha);
      if (Math.abs(Math.log(newTheta) - Math.log(theta)) > 1e-4) delta = Math.max(delta, tol * 2);
      theta = newTheta;
    }
    if (delta < tol && iter >= 3) {
      converged = true;
      break;
    }
  }
  for (let i = 0; i < n; i++)
    mu[i] = Math.exp(Math.min(30, Math.max(-30, linear(rows[i] as SparseRow, coef))));
  return { coef: Array.from(coef), theta, chol, edf, iterations: Math.min(iter, maxIter), converged, mu };
}
