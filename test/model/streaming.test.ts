import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatNabScoreTable,
  NAB_DETECTORS,
  nabScoreTable,
  parseNabTime,
  readNabData,
  readNabWindows,
  runNab,
  scoreNab,
  scoreSeries,
} from '../../src/model/evaluation/nab.js';
import {
  AnomalyLikelihood,
  logLikelihood,
  normalTail,
} from '../../src/model/streaming/anomaly-likelihood.js';
import { probationaryRows } from '../../src/model/streaming/detector.js';
import { ContextNovelty, createEnsemble2Detector } from '../../src/model/streaming/ensemble2-detector.js';

const MINI = fileURLToPath(new URL('../fixtures/model/nab-mini/', import.meta.url));
const SCORER = '/work/shared/tools/nab-score';
const tmpDirs: string[] = [];
afterAll(async () => {
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

describe('anomaly likelihood', () => {
  it('maps likelihoods to log scores as documented', () => {
    expect(logLikelihood(0.99999)).toBeCloseTo(0.5, 4);
    expect(logLikelihood(0.9)).toBeCloseTo(0.1, 6);
    expect(logLikelihood(0.5)).toBeLessThan(0.031);
    expect(normalTail(0)).toBeCloseTo(0.5, 6);
    expect(normalTail(1.959964)).toBeCloseTo(0.025, 5);
  });

  it('stays quiet on a steady raw score and fires once on a sustained jump', () => {
    const al = new AnomalyLikelihood({ learningRows: 100 });
    const out: number[] = [];
    for (let i = 0; i < 600; i++) out.push(al.update(0.1 + 0.05 * Math.sin(i)));
    for (let i = 0; i < 30; i++) out.push(al.update(1));
    expect(Math.max(...out.slice(0, 600))).toBeLessThan(0.2);
    const burst = out.slice(600);
    expect(Math.max(...burst)).toBeGreaterThanOrEqual(0.5);
    // the red filter keeps only the first of consecutive red alarms
    expect(burst.filter((s) => s >= 0.5)).toHaveLength(1);
  });
});

describe('context novelty (cpEnsemble2)', () => {
  const opts = { scales: [4, 16], spreadScales: [], vigilance: 0.25, maxPrototypes: 100, learningRate: 0 };

  it('is silent in probation and on a level already seen, and flags a level never seen', () => {
    const nv = new ContextNovelty(200, opts);
    const out: number[] = [];
    // probation: a square wave between 0 and 10 (both levels become known contexts)
    for (let i = 0; i < 400; i++) out.push(nv.update(Math.floor(i / 50) % 2 === 0 ? 0 : 10));
    expect(Math.max(...out.slice(0, 200))).toBe(0);
    expect(Math.max(...out.slice(200))).toBeLessThanOrEqual(1);
    // a level half-way between the known ones, held long enough to fill the 16-row mean
    const novel: number[] = [];
    for (let i = 0; i < 20; i++) novel.push(nv.update(5));
    expect(Math.max(...novel)).toBeGreaterThan(1);
  });

  it('cpEnsemble2 reports a never-seen level shift on real traffic data once', async () => {
    const s = (await readNabData(MINI)).find((x) => x.key === 'realTraffic/speed_7578.csv');
    if (!s) throw new Error('fixture missing');
    const n = s.values.length;
    const P = probationaryRows(n);
    const values = Float64Array.from(s.values);
    const at = Math.floor(n * 0.7);
    // a sustained drop to half a range below anything seen so far: a context the series never had
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < at; i++) {
      lo = Math.min(lo, values[i] as number);
      hi = Math.max(hi, values[i] as number);
    }
    for (let i = at; i < n; i++) values[i] = lo - 0.5 * (hi - lo);
    expect(P).toBeGreaterThan(100);
    const scores = scoreSeries((info) => createEnsemble2Detector(info), { times: s.times, values });
    const after = Array.from(scores.subarray(at, at + 10));
    expect(Math.max(...after)).toBeGreaterThanOrEqual(0.5);
    // one alarm per event: at most a handful of rows ≥ 0.5 during the rest of the shifted stretch
    const alarms = Array.from(scores.subarray(at)).filter((v) => v >= 0.5).length;
    expect(alarms).toBeLessThanOrEqual(3);
  });
});

describe('NAB harness on real NAB series (nab-mini fixture)', () => {
  it('reads NAB layout', async () => {
    const series = await readNabData(MINI);
    expect(series.map((s) => s.key)).toEqual([
      'realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv',
      'realAdExchange/exchange-3_cpc_results.csv',
      'realTraffic/speed_7578.csv',
    ]);
    expect(series[1]?.values.length).toBe(1538);
    expect(parseNabTime('2011-07-01 00:15:01')).toBe(Date.UTC(2011, 6, 1, 0, 15, 1));
  });

  it.each(Object.keys(NAB_DETECTORS))(
    '%s is causal: a prefix scores the same whatever follows',
    async (name) => {
      const factory = NAB_DETECTORS[name];
      if (!factory) throw new Error(name);
      for (const s of await readNabData(MINI)) {
        const n = s.values.length;
        const cut = Math.floor(n * 0.6);
        const changed = Float64Array.from(s.values);
        // rewrite the future: reversed and scaled, with a huge spike
        for (let i = cut; i < n; i++)
          changed[i] = 3 * (s.values[n - 1 - (i - cut)] as number) + (i === cut + 5 ? 1e6 : 0);
        const a = scoreSeries(factory, { times: s.times, values: s.values });
        const b = scoreSeries(factory, { times: s.times, values: changed });
        expect(Array.from(a.subarray(0, cut))).toEqual(Array.from(b.subarray(0, cut)));
        expect(Array.from(a.subarray(cut))).not.toEqual(Array.from(b.subarray(cut)));
        for (const v of a) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
    },
  );

  it.each(['cpEnsemble', 'cpEnsemble2'])(
    '%s scores labelled windows higher than elsewhere on average',
    async (name) => {
      const windows = await readNabWindows(MINI);
      const factory = NAB_DETECTORS[name];
      if (!factory) throw new Error(`${name} missing`);
      let inSum = 0;
      let inN = 0;
      let outSum = 0;
      let outN = 0;
      for (const s of await readNabData(MINI)) {
        const scores = scoreSeries(factory, s);
        const wins = (windows[s.key] ?? []).map(([a, b]) => [parseNabTime(a), parseNabTime(b)] as const);
        for (let i = probationaryRows(s.values.length); i < scores.length; i++) {
          const t = s.times[i] as number;
          if (wins.some(([a, b]) => t >= a && t <= b)) {
            inSum += scores[i] as number;
            inN++;
          } else {
            outSum += scores[i] as number;
            outN++;
          }
        }
      }
      expect(inN).toBeGreaterThan(100);
      // measured: in-window mean ≈ 0.145, elsewhere ≈ 0.102 (scores are mostly ≈ 0 outside alarms)
      expect(inSum / inN).toBeGreaterThan(1.2 * (outSum / outN));
    },
  );

  it('writes NAB’s results layout and the scorer accepts it', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'cp-nab-'));
    tmpDirs.push(out);
    const seen: string[] = [];
    const r = await runNab({
      dataDir: MINI,
      outDir: out,
      detectors: ['cpEnsemble2', 'cpEnsemble', 'iforest'],
      onProgress: (p) => seen.push(p.series),
    });
    expect(r.series).toBe(3);
    expect(seen).toHaveLength(9);
    const csv = await readFile(path.join(out, 'cpEnsemble/realTraffic/cpEnsemble_speed_7578.csv'), 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,label');
    expect(lines).toHaveLength(1 + 1127); // header + every data row (the source file has no final newline)
    const source = (await readFile(path.join(MINI, 'data/realTraffic/speed_7578.csv'), 'utf8')).split('\n');
    expect(lines[1]?.startsWith(`${source[1]},`)).toBe(true); // same timestamp,value
    expect(lines[1]).toMatch(/^[\d-]+ [\d:]+,\d+(\.\d+)?,[\d.e-]+,0$/);
    await expect(runNab({ dataDir: MINI, outDir: out, detectors: ['no_such'] })).rejects.toThrow(
      /unknown NAB detector/,
    );
    if (!existsSync(SCORER) || !existsSync('/usr/bin/python3')) {
      console.warn(`skipping the nab-score check: ${SCORER} or /usr/bin/python3 not available`);
      return;
    }
    const table = await scoreNab({
      scorer: SCORER,
      resultsDir: out,
      jsonOut: path.join(out, 'scores.json'),
      dataDir: MINI,
    });
    expect(table.map((t) => t.detector).sort()).toEqual(['cpEnsemble', 'cpEnsemble2', 'iforest']);
    console.info(formatNabScoreTable(table));
  });

  it('turns nab-score JSON into a sorted table', () => {
    const table = nabScoreTable({
      a: { standard: 10, reward_low_FP_rate: 5, reward_low_FN_rate: 12 },
      b: { standard: 70.1, reward_low_FP_rate: 63.2, reward_low_FN_rate: 74.3 },
    });
    expect(table).toEqual([
      { detector: 'b', standard: 70.1, lowFP: 63.2, lowFN: 74.3 },
      { detector: 'a', standard: 10, lowFP: 5, lowFN: 12 },
    ]);
    expect(formatNabScoreTable(table)).toContain('| b | 70.10 | 63.20 | 74.30 |');
    expect(() => nabScoreTable({ a: { standard: 'x' } })).toThrow();
  });
});
