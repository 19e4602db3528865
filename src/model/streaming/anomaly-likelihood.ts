/**
 * Anomaly likelihood (Ahmad, Lavin, Purdy & Agha 2017, "Unsupervised real-time anomaly detection for
 * streaming data", §"Computing anomaly likelihood"), written from the paper's description: a raw score
 * in [0, 1] is averaged over a short window; the long-run distribution of that short-window average is
 * modelled as a Gaussian re-estimated from a long trailing window; the likelihood is 1 minus the tail
 * probability of the current average. Consecutive "red" likelihoods after the first are demoted (the
 * paper's filter), and the output is the log-scaled likelihood in [0, 1] (0.5 ⇔ likelihood 0.99999).
 * Own implementation: no Numenta code is used.
 */
import { erfc, normalUpper } from '../count/stats.js';
import { RingBuffer } from './ring-buffer.js';

export interface AnomalyLikelihoodOptions {
  /** Rows that only feed the model (output 0.5 ⇒ log score ≈ 0). */
  readonly learningRows: number;
  /** Short averaging window (paper: 10). */
  readonly averagingWindow?: number;
  /** Long trailing window of averages for the Gaussian (paper: 8640). */
  readonly historicWindow?: number;
  /** Re-estimate the Gaussian every this many rows (100). */
  readonly reestimationPeriod?: number;
  /** Floors on the Gaussian so that a perfectly quiet history does not make every blip infinitely unlikely. */
  readonly minMean?: number;
  readonly minVariance?: number;
  /** Count unusually low averages as anomalous too (the paper's tail is two-sided). */
  readonly twoSided?: boolean;
}

const RED = 1e-5; // tail probability of a "red" alarm
const YELLOW = 1e-3;
const LOG_DENOM = Math.log(1e-10); // log(1.0000000001 - 1) ≈ -23.03

/** The upper-tail probability of a standard normal (shared with the count models). */
export const normalTail = normalUpper;
export { erfc };

/** Log-scales a likelihood: 0.99999 → 0.5, 1 → 1, 0.9 → 0.1, 0.5 → 0.03. */
export function logLikelihood(likelihood: number): number {
  return Math.log(1.0000000001 - likelihood) / LOG_DENOM;
}

export class AnomalyLikelihood {
  private readonly avgWindow: RingBuffer;
  private readonly history: RingBuffer;
  private readonly opts: Required<AnomalyLikelihoodOptions>;
  private n = 0;
  private mean = 0;
  private std = 1;
  private ready = false;
  private prevTail = 1;

  constructor(options: AnomalyLikelihoodOptions) {
    this.opts = {
      averagingWindow: 10,
      historicWindow: 8640,
      reestimationPeriod: 100,
      minMean: 0.03,
      minVariance: 0.0003,
      twoSided: true,
      ...options,
    };
    this.avgWindow = new RingBuffer(this.opts.averagingWindow);
    this.history = new RingBuffer(this.opts.historicWindow);
  }

  /** Feeds a raw score in [0, 1]; returns the log-likelihood score in [0, 1]. */
  update(raw: number): number {
    this.avgWindow.push(raw);
    const avg = this.avgWindow.mean();
    this.n++;
    let out = 0;
    if (this.n > this.opts.learningRows) {
      if (!this.ready || (this.n - this.opts.learningRows) % this.opts.reestimationPeriod === 0)
        this.estimate();
      // tail probability in the direction of the deviation (an unusually quiet stretch also counts, as in the paper)
      const d = avg - this.mean;
      const z = (this.opts.twoSided ? Math.abs(d) : d) / this.std;
      let tail = normalTail(z);
      if (tail <= RED) {
        if (this.prevTail <= RED) tail = YELLOW; // only the first of consecutive red alarms stays red
      }
      this.prevTail = normalTail(z);
      out = logLikelihood(1 - tail);
    }
    this.history.push(avg);
    return out;
  }

  private estimate(): void {
    const m = this.history.mean();
    const v = this.history.variance();
    this.mean = Math.max(m, this.opts.minMean);
    this.std = Math.sqrt(Math.max(v, this.opts.minVariance));
    this.ready = this.history.size > 0;
  }
}
