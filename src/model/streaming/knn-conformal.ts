/**
 * KNN conformal anomaly measure on lagged windows (after Burnaev & Ishimtsev's KNN-CAD; own code).
 * At scale s the "window" is L block means of s rows each, ending at the current row; past windows are
 * stored every `s` rows (so `neighbours` windows cover `neighbours·s` rows of history) and the
 * non-conformity of the current window is its mean distance to the k nearest stored windows that do not
 * overlap it. The output is the conformal rank of that distance among the last `calibration` distances,
 * in [0, 1]: scale-free, so it is comparable across series.
 */
import { RingBuffer } from './ring-buffer.js';

export interface KnnConformalOptions {
  readonly embed: number;
  readonly scale: number;
  readonly neighbours: number;
  readonly k: number;
  readonly calibration: number;
}

/** Conformal rank of `v` among the stored values: fraction strictly below, ties count half. */
export function conformalRank(buf: RingBuffer, v: number): number {
  const n = buf.size;
  if (n === 0) return 0.5;
  let below = 0;
  let ties = 0;
  for (let i = 0; i < n; i++) {
    const b = buf.at(i);
    if (b < v) below++;
    else if (b === v) ties++;
  }
  return (below + 0.5 * ties) / n;
}

export class KnnConformal {
  private readonly o: KnnConformalOptions;
  /** Recent raw values, enough for L blocks of `scale` rows. */
  private readonly values: RingBuffer;
  private readonly emb: Float64Array;
  private embCount = 0;
  private embHead = 0;
  private readonly cur: Float64Array;
  private readonly cal: RingBuffer;
  private readonly best: Float64Array;
  private t = 0;

  constructor(options: KnnConformalOptions) {
    this.o = options;
    this.values = new RingBuffer(options.embed * options.scale);
    this.emb = new Float64Array(options.neighbours * options.embed);
    this.cur = new Float64Array(options.embed);
    this.cal = new RingBuffer(options.calibration);
    this.best = new Float64Array(options.k);
  }

  /** Feeds a value; returns the conformal rank in [0, 1] (0 until enough history exists). */
  update(value: number): number {
    const { embed, scale, neighbours } = this.o;
    this.t++;
    this.values.push(value);
    if (this.values.size < embed * scale) return 0;
    for (let j = 0; j < embed; j++) {
      let s = 0;
      for (let q = 0; q < scale; q++) s += this.values.at(j * scale + q);
      this.cur[embed - 1 - j] = s / scale;
    }
    let out = 0;
    const ncm = this.knn();
    if (ncm >= 0) {
      out = conformalRank(this.cal, ncm);
      this.cal.push(ncm);
    }
    if (this.t % scale === 0) {
      this.emb.set(this.cur, this.embHead * embed);
      this.embHead = (this.embHead + 1) % neighbours;
      if (this.embCount < neighbours) this.embCount++;
    }
    return out;
  }

  private knn(): number {
    const { embed, k, neighbours: cap } = this.o;
    // the newest `embed` stored windows overlap the current one
    if (this.embCount - embed < k) return -1;
    const best = this.best.fill(Number.POSITIVE_INFINITY);
    const emb = this.emb;
    const cur = this.cur;
    for (let i = embed; i < this.embCount; i++) {
      const base = ((this.embHead - 1 - i + 2 * cap) % cap) * embed;
      let d = 0;
      const worst = best[k - 1] as number;
      for (let j = 0; j < embed && d < worst; j++) {
        const diff = (emb[base + j] as number) - (cur[j] as number);
        d += diff * diff;
      }
      if (d < worst) {
        let p = k - 1;
        while (p > 0 && (best[p - 1] as number) > d) {
          best[p] = best[p - 1] as number;
          p--;
        }
        best[p] = d;
      }
    }
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.sqrt(best[i] as number);
    return s / k;
  }
}
