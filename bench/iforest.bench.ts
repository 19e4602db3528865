/**
 * IsolationForest batch-scoring throughput (in-process, 4-feature vectors).
 * Run: npx tsx bench/iforest.bench.ts  → prints and writes bench/results/iforest.json.
 * Trains on the synthetic /predict set (100k rows, like the reference peer), then scores 1M vectors
 * in batches of 10k (the peer's max batch) and as one 1M batch; reports the best of 5 runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import {
  IsolationForest,
  makeTrainingData,
  PREDICT_FEATURES,
} from '../src/model/iforest/isolation-forest.js';

const t0 = performance.now();
const train = makeTrainingData(100_000, 42);
const model = IsolationForest.fit(train, { seed: 42, featureNames: PREDICT_FEATURES });
const fitMs = performance.now() - t0;

const N = 1_000_000;
const probe = makeTrainingData(N, 7);
const out = new Float64Array(N);

function run(batch: number): number {
  const t = performance.now();
  for (let off = 0; off < N; off += batch) {
    const n = Math.min(batch, N - off);
    model.score(
      { data: probe.data.subarray(off * 4, (off + n) * 4), nFeatures: 4 },
      out.subarray(off, off + n),
    );
  }
  return N / ((performance.now() - t) / 1000);
}

const results: Record<string, number> = {};
for (const batch of [10_000, N]) {
  run(batch); // warm-up
  let best = 0;
  for (let i = 0; i < 5; i++) best = Math.max(best, run(batch));
  results[`batch_${batch}_vectors_per_s`] = Math.round(best);
}
let single = 0;
{
  const t = performance.now();
  const n = 200_000;
  const v = [0, 0, 0, 0];
  let acc = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) v[j] = probe.data[i * 4 + j] as number;
    acc += model.scoreOne(v);
  }
  single = Math.round(n / ((performance.now() - t) / 1000));
  if (acc < 0) console.log(acc);
}
const report = {
  bench: 'iforest',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  loadavg: os.loadavg(),
  model: {
    nEstimators: model.nEstimators,
    maxSamples: model.maxSamples,
    maxDepth: model.maxDepth,
    trainRows: 100_000,
  },
  fitMs: Math.round(fitMs),
  ...results,
  scoreOne_vectors_per_s: single,
  target_vectors_per_s: 1_000_000,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/iforest.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
