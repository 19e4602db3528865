/**
 * A Bloom filter over the event ids in the store, so that the common batch (all ids new) skips the
 * lookup of its ids in `events` (a scan of the id column that grows with the store).
 *
 * Soundness: the filter holds a SUPERSET of the stored ids (ids are added before their transaction
 * commits; a rolled-back batch only leaves extra bits), so "not in the filter" means "certainly not in
 * the store" and the insert needs no check; "maybe" sends the id to a real lookup. False positives
 * (about 1 in 15,000 at the sized load) cost a point lookup, never a wrong answer.
 *
 * Hand-written rather than a package: it is 40 lines, and none of the installed packages has one.
 * Hashing: FNV-1a over UTF-16 code units with two seeds, double hashing for the k probes.
 */

const BITS_PER_ID = 20;
const PROBES = 14;

export class IdFilter {
  private readonly bits: Uint32Array;
  private readonly m: number;
  private n = 0;

  /** A filter sized for `capacity` ids at about 1 false positive in 15,000. */
  constructor(readonly capacity: number) {
    this.m = Math.max(1024, Math.ceil(capacity * BITS_PER_ID));
    this.bits = new Uint32Array(Math.ceil(this.m / 32));
  }

  /** Ids added so far (with repeats); past `capacity` the false-positive rate grows. */
  get size(): number {
    return this.n;
  }

  add(id: string): void {
    const [h1, h2] = hashes(id);
    for (let i = 0; i < PROBES; i++) {
      const b = (h1 + i * h2) % this.m;
      this.bits[b >>> 5] = (this.bits[b >>> 5] as number) | (1 << (b & 31));
    }
    this.n++;
  }

  mightContain(id: string): boolean {
    const [h1, h2] = hashes(id);
    for (let i = 0; i < PROBES; i++) {
      const b = (h1 + i * h2) % this.m;
      if (((this.bits[b >>> 5] as number) & (1 << (b & 31))) === 0) return false;
    }
    return true;
  }
}

function hashes(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  // Final avalanche so that ids differing in the last character spread over the whole bit array.
  a ^= a >>> 15;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 16;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 13;
  return [a >>> 0, (b | 1) >>> 0];
}
