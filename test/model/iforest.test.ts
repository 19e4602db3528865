import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  averagePathLength,
  hourlyFeatures,
  IsolationForest,
  makeTrainingData,
  PREDICT_FEATURES,
} from '../../src/model/iforest/isolation-forest.js';

const FIXTURE = new URL('../fixtures/model/sklearn-iforest/', import.meta.url);
const rows = (JSON.parse(readFileSync(new URL('rows.json', FIXTURE), 'utf8')) as { rows: number[][] }).rows;
const expected = JSON.parse(readFileSync(new URL('expected.json', FIXTURE), 'utf8')) as {
  mean_score: number[];
  seed0_score: number[];
};

function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.[0] === order[i]?.[0]) j++;
    for (let k = i; k <= j; k++) r[order[k]?.[1] as number] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, x) => s + x, 0) / n;
  const mb = rb.reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (ra[i] as number) - ma;
    const y = (rb[i] as number) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return num / Math.sqrt(da * db);
}

describe('IsolationForest', () => {
  it('pins the /predict feature order', () => {
    expect(PREDICT_FEATURES).toEqual(['count', 'hour', 'day_of_week', 'rolling_mean']);
  });

  it('uses sklearn’s c(n)', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // sklearn 1.2.1 _average_path_length([256])
    expect(averagePathLength(256)).toBeCloseTo(10.244770920119917, 12);
  });

  it('scores isolated points higher than the bulk, all scores in (0, 1)', () => {
    const train = makeTrainingData(5000, 1);
    const model = IsolationForest.fit(train, { seed: 3 });
    const scores = model.score(train);
    for (const s of scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
    }
    const typical = model.scoreOne([6, 18, 2, 6]);
    const isolated = model.scoreOne([60, 4, 1, 30]);
    expect(isolated).toBeGreaterThan(typical + 0.15);
    // the injected spikes (count ≥ 25) rank in the top decile on average
    const sorted = Array.from(scores).sort((a, b) => a - b);
    const p90 = sorted[Math.floor(0.9 * sorted.length)] as number;
    let spikeSum = 0;
    let spikeN = 0;
    for (let i = 0; i < 5000; i++) {
      if ((train.data[i * 4] as number) >= 25) {
        spikeSum += scores[i] as number;
        spikeN++;
      }
    }
    expect(spikeN).toBeGreaterThan(5);
    expect(spikeSum / spikeN).toBeGreaterThan(p90);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = IsolationForest.fit(rows, { seed: 11 }).score(rows);
    const b = IsolationForest.fit(rows, { seed: 11 }).score(rows);
    const c = IsolationForest.fit(rows, { seed: 12 }).score(rows);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('batch and single scoring agree, and the model survives a JSON round trip', () => {
    const model = IsolationForest.fit(rows, { seed: 5, featureNames: PREDICT_FEATURES });
    const batch = model.score(rows);
    rows.slice(0, 50).forEach((r, i) => {
      expect(model.scoreOne(r)).toBe(batch[i]);
    });
    const copy = IsolationForest.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(Array.from(copy.score(rows))).toEqual(Array.from(batch));
    expect(copy.featureNames).toEqual([...PREDICT_FEATURES]);
    expect(() => IsolationForest.fromJSON({ ...model.toJSON(), left: [] })).toThrow();
  });

  it('agrees with scikit-learn 1.2.1 on the committed fixture (Spearman ≥ 0.95)', () => {
    // Average our forest over 10 seeds, as the fixture averages sklearn's over random_state 0..9.
    const n = rows.length;
    const mean = new Float64Array(n);
    for (let seed = 0; seed < 10; seed++) {
      const s = IsolationForest.fit(rows, { seed }).score(rows);
      for (let i = 0; i < n; i++) mean[i] = (mean[i] as number) + (s[i] as number) / 10;
    }
    const ours = Array.from(mean);
    const rho = spearman(ours, expected.mean_score);
    const mad = ours.reduce((s, v, i) => s + Math.abs(v - (expected.mean_score[i] as number)), 0) / n;
    // measured: rho ≈ 0.99, mean |Δ| ≈ 0.003 (see the report); one seed vs one seed is noisier
    expect(rho).toBeGreaterThanOrEqual(0.95);
    expect(mad).toBeLessThan(0.01);
    const single = Array.from(IsolationForest.fit(rows, { seed: 0 }).score(rows));
    expect(spearman(single, expected.seed0_score)).toBeGreaterThanOrEqual(0.9);
    console.info(`iforest vs sklearn: spearman=${rho.toFixed(4)} meanAbsDiff=${mad.toFixed(5)}`);
  });

  it('builds /predict features from hourly windows, filling empty hours with 0', () => {
    const windows = [];
    // 2024-01-01 is a Monday
    for (let h = 0; h < 30; h++)
      if (h !== 26) windows.push({ start: new Date(Date.UTC(2024, 0, 1, h)), count: h % 5 });
    const out = hourlyFeatures(windows);
    expect(out).toHaveLength(6);
    const first = out[0];
    expect(first?.start.toISOString()).toBe('2024-01-02T00:00:00.000Z');
    const mean24 = Array.from({ length: 24 }, (_, h) => h % 5).reduce((s, v) => s + v, 0) / 24;
    expect(first?.features).toEqual([24 % 5, 0, 1, mean24]);
    expect(out[2]?.features[0]).toBe(0); // hour 26 was missing
    const local = hourlyFeatures(windows, { offsetHours: -6 });
    expect(local[0]?.features.slice(1, 3)).toEqual([18, 0]);
  });
});
