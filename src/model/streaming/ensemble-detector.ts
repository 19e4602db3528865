/**
 * `cpEnsemble`: CrimePulse's streaming detector for univariate series (one configuration for every
 * series). Ideas from the NAB leaders, no code copied:
 * - KNN-CAD (Burnaev & Ishimtsev): a non-conformity measure (mean distance of the current lagged
 *   window to its k nearest past windows) turned into a conformal rank, at several time scales;
 * - windowed z-scores of the value;
 * - Numenta's anomaly likelihood on the raw score (see anomaly-likelihood.ts), and its "spatial"
 *   rule: a value outside the range seen so far by a margin is anomalous.
 * Every quantity at row t uses rows ≤ t only.
 */
import { AnomalyLikelihood, normalTail } from './anomaly-likelihood.js';
import type { SeriesInfo, StreamingDetector } from './detector.js';
import { KnnConformal } from './knn-conformal.js';
import { RingBuffer } from './ring-buffer.js';

export interface EnsembleOptions {
  /** Lagged-window length for the KNN measures. */
  readonly embed: number;
  /** KNN time scales (rows per block). */
  readonly scales: readonly number[];
  /** Past windows kept as neighbours, per scale. */
  readonly neighbours: number;
  readonly k: number;
  /** Non-conformity measures kept for the conformal rank. */
  readonly calibration: number;
  /** Trailing windows of the z-score components (empty disables them). */
  readonly zWindows: readonly number[];
  /** Raw component score = p^power: spiky like a prediction-error score, so the likelihood sees rare bursts. */
  readonly power: number;
  /** Likelihood averaging window. */
  readonly averaging: number;
  /** `max`: one likelihood on the max raw score; `each`: one likelihood per component, max of those. */
  readonly combine: 'max' | 'each';
  /** Spatial-anomaly margin, as a fraction of the range seen so far (≤ 0 disables). */
  readonly spatialTolerance: number;
  readonly twoSided: boolean;
  readonly historic: number;
}

export const DEFAULT_ENSEMBLE: EnsembleOptions = {
  embed: 6,
  scales: [1, 8],
  neighbours: 1000,
  k: 3,
  calibration: 600,
  zWindows: [500],
  power: 2,
  averaging: 10,
  combine: 'each',
  spatialTolerance: 0.05,
  twoSided: true,
  historic: 8640,
};

class ZScore {
  private readonly buf: RingBuffer;
  constructor(window: number) {
    this.buf = new RingBuffer(window);
  }
  /** Two-sided normal probability mass inside |z| of the value against the trailing window. */
  update(value: number): number {
    let p = 0;
    if (this.buf.size >= 10) {
      const m = this.buf.mean();
      const sd = Math.sqrt(this.buf.variance());
      const z = sd > 0 ? Math.abs(value - m) / sd : value === m ? 0 : 10;
      p = 1 - 2 * normalTail(z);
    }
    this.buf.push(value);
    return p;
  }
}

export class EnsembleDetector implements StreamingDetector {
  private readonly o: EnsembleOptions;
  private readonly components: { update(v: number): number }[];
  private readonly likelihoods: AnomalyLikelihood[];
  private readonly probation: number;
  private t = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  constructor(info: SeriesInfo, options: EnsembleOptions = DEFAULT_ENSEMBLE) {
    this.o = options;
    this.probation = info.probationaryRows;
    this.components = [
      ...options.scales.map(
        (scale) =>
          new KnnConformal({
            embed: options.embed,
            scale,
            neighbours: options.neighbours,
            k: options.k,
            calibration: options.calibration,
          }),
      ),
      ...options.zWindows.map((w) => new ZScore(w)),
    ];
    const nLik = options.combine === 'each' ? this.components.length : 1;
    // learn the raw-score distribution over the first half of probation, as Numenta's NAB detector does
    this.likelihoods = Array.from(
      { length: nLik },
      () =>
        new AnomalyLikelihood({
          learningRows: Math.floor(info.probationaryRows / 2),
          averagingWindow: options.averaging,
          twoSided: options.twoSided,
          historicWindow: options.historic,
        }),
    );
  }

  step(_timestamp: number, value: number): number {
    const o = this.o;
    this.t++;
    const range = this.max - this.min;
    const spatial =
      o.spatialTolerance > 0 &&
      this.t > 1 &&
      range > 0 &&
      (value > this.max + o.spatialTolerance * range || value < this.min - o.spatialTolerance * range);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;

    let score = 0;
    if (o.combine === 'max') {
      let raw = 0;
      for (const c of this.components) raw = Math.max(raw, c.update(value) ** o.power);
      score = (this.likelihoods[0] as AnomalyLikelihood).update(raw);
    } else {
      this.components.forEach((c, i) => {
        score = Math.max(score, (this.likelihoods[i] as AnomalyLikelihood).update(c.update(value) ** o.power));
      });
    }
    if (spatial && this.t > this.probation / 2) score = 1;
    return score;
  }
}

export function createEnsembleDetector(info: SeriesInfo, options: Partial<EnsembleOptions> = {}): StreamingDetector {
  return new EnsembleDetector(info, { ...DEFAULT_ENSEMBLE, ...options });
}
