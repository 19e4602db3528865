/** Fixed-capacity ring buffer of numbers with O(1) running sum and sum of squares. */
export class RingBuffer {
  private readonly buf: Float64Array;
  private head = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private pushes = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('RingBuffer capacity must be ≥ 1');
    this.buf = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(v: number): void {
    if (this.count === this.capacity) {
      const old = this.buf[this.head] as number;
      this.sum -= old;
      this.sumSq -= old * old;
    } else {
      this.count++;
    }
    this.buf[this.head] = v;
    this.sum += v;
    this.sumSq += v * v;
    this.head = (this.head + 1) % this.capacity;
    // running sums drift with floating-point error; recompute exactly now and then
    if (++this.pushes % 4096 === 0) this.resum();
  }

  /** i-th most recent value (0 = newest). */
  at(i: number): number {
    return this.buf[(this.head - 1 - i + 2 * this.capacity) % this.capacity] as number;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  variance(): number {
    if (this.count < 2) return 0;
    const m = this.sum / this.count;
    return Math.max(0, this.sumSq / this.count - m * m);
  }

  /** Copies the values, oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(this.count - 1 - i);
    return out;
  }

  private resum(): void {
    let s = 0;
    let q = 0;
    for (let i = 0; i < this.count; i++) {
      const v = this.at(i);
      s += v;
      q += v * v;
    }
    this.sum = s;
    this.sumSq = q;
  }
}
