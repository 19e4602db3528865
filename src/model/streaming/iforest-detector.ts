/**
 * `iforest`: the IsolationForest baseline run as a streaming detector. Per series it buffers the
 * probationary rows, fits a forest on windowed features of those rows, then scores every row (the
 * probationary rows once the model exists, afterwards each row as it arrives) with the unrescaled
 * IF score 2^(-E[h]/c(n)), so scores stay comparable across series. Features at row t use rows ≤ t:
 * `[value, value − previous value, value − mean of the previous 12 values]`.
 */
import { IsolationForest } from '../iforest/isolation-forest.js';
import type { SeriesInfo, StreamingDetector } from './detector.js';
import { RingBuffer } from './ring-buffer.js';

const LAG_WINDOW = 12;

export class IForestDetector implements StreamingDetector {
  private readonly prev = new RingBuffer(LAG_WINDOW);
  private readonly train: number[][] = [];
  private model: IsolationForest | undefined;
  private readonly probation: number;
  private readonly seed: number;

  constructor(info: SeriesInfo, seed = 0) {
    this.probation = Math.max(1, info.probationaryRows);
    this.seed = seed;
  }

  step(_timestamp: number, value: number): number {
    const last = this.prev.size > 0 ? this.prev.at(0) : value;
    const mean = this.prev.size > 0 ? this.prev.mean() : value;
    const f = [value, value - last, value - mean];
    this.prev.push(value);
    if (!this.model) {
      this.train.push(f);
      // NAB ignores probationary scores; before the model exists the row gets the neutral 0.5
      if (this.train.length < this.probation) return 0.5;
      this.model = IsolationForest.fit(this.train, { seed: this.seed });
    }
    return this.model.scoreOne(f);
  }
}

export function createIForestDetector(info: SeriesInfo): StreamingDetector {
  return new IForestDetector(info);
}
