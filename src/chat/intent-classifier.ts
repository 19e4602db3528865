/**
 * A small intent classifier: TF-IDF over word uni/bigrams and character 2–4-grams (which absorb typos
 * and inflections), then multinomial logistic regression trained by deterministic SGD with L2.
 * Trained at start from `content/training.json` in well under a second.
 *
 * Hand-written rather than @nlpjs/basic: the model is about a hundred lines, has no dependencies,
 * is deterministic (a seeded shuffle), and gives calibrated-enough probabilities for the bot's
 * "am I sure?" threshold; the whole thing is checked against a held-out set (content/eval.json).
 */

export interface LabelledText {
  text: string;
  intent: string;
}

export interface IntentScore {
  intent: string;
  confidence: number;
}

export interface IntentClassifier {
  readonly intents: readonly string[];
  /** Intents by probability, highest first. */
  rank(text: string): IntentScore[];
}

export interface TrainOptions {
  epochs?: number;
  learningRate?: number;
  l2?: number;
  seed?: number;
}

/** Feature strings of a (delexicalised, lower-cased) text. */
export function features(text: string): string[] {
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9_\s]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    out.push(`w:${w}`);
    if (i + 1 < words.length) out.push(`b:${w} ${words[i + 1]}`);
    if (w.startsWith('_')) continue;
    const padded = ` ${w} `;
    for (let n = 2; n <= 4; n++)
      for (let j = 0; j + n <= padded.length; j++) out.push(`c:${padded.slice(j, j + n)}`);
  }
  if (words.length === 0) out.push('w:<empty>');
  return out;
}

/** Mulberry32: a tiny seeded PRNG so training is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Sparse = { idx: Int32Array; val: Float64Array };

export function trainIntentClassifier(
  examples: readonly LabelledText[],
  options: TrainOptions = {},
): IntentClassifier {
  const epochs = options.epochs ?? 25;
  const lr0 = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 1e-4;
  const intents = [...new Set(examples.map((e) => e.intent))].sort();
  const intentIdx = new Map(intents.map((k, i) => [k, i]));
  const vocab = new Map<string, number>();
  const docFreq: number[] = [];
  const tokenised = examples.map((e) => features(e.text));
  for (const fs of tokenised) {
    for (const f of new Set(fs)) {
      let i = vocab.get(f);
      if (i === undefined) {
        i = vocab.size;
        vocab.set(f, i);
        docFreq.push(0);
      }
      docFreq[i] = (docFreq[i] ?? 0) + 1;
    }
  }
  const n = examples.length;
  const idf = Float64Array.from(docFreq, (df) => Math.log((1 + n) / (1 + df)) + 1);

  const vectorise = (fs: string[]): Sparse => {
    const counts = new Map<number, number>();
    for (const f of fs) {
      const i = vocab.get(f);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const idx = Int32Array.from(counts.keys());
    const val = Float64Array.from(idx, (i) => (1 + Math.log(counts.get(i) ?? 1)) * (idf[i] ?? 1));
    const norm = Math.hypot(...val) || 1;
    for (let k = 0; k < val.length; k++) val[k] = (val[k] ?? 0) / norm;
    return { idx, val };
  };

  const K = intents.length;
  const D = vocab.size;
  const W = new Float64Array(K * D);
  const b = new Float64Array(K);
  const X = tokenised.map(vectorise);
  const Y = examples.map((e) => intentIdx.get(e.intent) ?? 0);

  const scores = (x: Sparse): Float64Array => {
    const z = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = b[k] ?? 0;
      const row = k * D;
      for (let j = 0; j < x.idx.length; j++) s += (W[row + (x.idx[j] ?? 0)] ?? 0) * (x.val[j] ?? 0);
      z[k] = s;
    }
    const m = Math.max(...z);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      z[k] = Math.exp((z[k] ?? 0) - m);
      sum += z[k] ?? 0;
    }
    for (let k = 0; k < K; k++) z[k] = (z[k] ?? 0) / sum;
    return z;
  };

  const random = rng(options.seed ?? 42);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const lr = lr0 / (1 + epoch * 0.1);
    for (const i of order) {
      const x = X[i] as Sparse;
      const p = scores(x);
      const y = Y[i] as number;
      for (let k = 0; k < K; k++) {
        const g = (p[k] ?? 0) - (k === y ? 1 : 0);
        b[k] = (b[k] ?? 0) - lr * g;
        const row = k * D;
        for (let j = 0; j < x.idx.length; j++) {
          const c = row + (x.idx[j] ?? 0);
          W[c] = (W[c] ?? 0) * (1 - lr * l2) - lr * g * (x.val[j] ?? 0);
        }
      }
    }
  }

  return {
    intents,
    rank(text: string): IntentScore[] {
      const p = scores(vectorise(features(text)));
      return intents
        .map((intent, k) => ({ intent, confidence: p[k] ?? 0 }))
        .sort((a, c) => c.confidence - a.confidence);
    },
  };
}
