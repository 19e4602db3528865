import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictModel } from '../../src/api/index.js';
import { buildApp, forestPredictModel } from '../../src/api/index.js';
import { MAX_BATCH, parsePredictBody } from '../../src/api/predict/parse-predict-body.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  IsolationForest,
  makeTrainingData,
  PREDICT_FEATURES,
} from '../../src/model/iforest/isolation-forest.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';

const forest = IsolationForest.fit(makeTrainingData(5000, 42), { nEstimators: 50 });
let current: PredictModel | undefined;
const app = await buildApp({
  log: silentLogger,
  board: new SourceStatusBoard(),
  predictModel: () => current,
});

beforeAll(() => {
  current = undefined;
});
afterAll(async () => {
  await app.close();
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

describe('/predict before a model exists', () => {
  it('answers 503 {detail} and the schema still names the features', async () => {
    const res = await post({ features: [1, 2, 3, 4] });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ detail: expect.stringContaining('no predict-iforest champion') });
    const schema = await app.inject({ url: '/predict/schema' });
    expect(schema.json()).toMatchObject({
      features: [...PREDICT_FEATURES],
      maxBatch: MAX_BATCH,
      model: { version: null },
    });
  });
});

describe('/predict with the champion loaded', () => {
  beforeAll(() => {
    current = forestPredictModel(forest, '7');
  });

  it('scores one vector like the forest does, and names the version', async () => {
    const v = [25, 22, 5, 6.5];
    const res = await post({ features: v });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-model-version']).toBe('7');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    const body = res.json() as { anomaly_score: number[] };
    expect(body.anomaly_score).toHaveLength(1);
    expect(body.anomaly_score[0]).toBeCloseTo(forest.scoreOne(v), 12);
  });

  it('scores a batch in order, higher for the spike', async () => {
    const batch = [
      [5, 12, 2, 5],
      [60, 4, 1, 3],
      [7, 22, 5, 7],
    ];
    const res = await post({ features: batch });
    const s = (res.json() as { anomaly_score: number[] }).anomaly_score;
    expect(s).toHaveLength(3);
    for (const [i, v] of batch.entries()) expect(s[i]).toBeCloseTo(forest.scoreOne(v), 12);
    expect(s[1]).toBeGreaterThan(s[0] as number);
    expect(s[1]).toBeGreaterThan(s[2] as number);
  });

  it('takes exactly 10,000 vectors and refuses 10,001 with 422', async () => {
    const ok = await post({
      features: Array.from({ length: MAX_BATCH }, (_, i) => [i % 30, i % 24, i % 7, 5]),
    });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as { anomaly_score: number[] }).anomaly_score).toHaveLength(MAX_BATCH);
    const tooMany = await post({ features: Array.from({ length: MAX_BATCH + 1 }, () => [1, 2, 3, 4]) });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json()).toEqual({ detail: `batch too large: ${MAX_BATCH + 1} > ${MAX_BATCH}` });
  });

  // The original service's 422 cases (shared/peers/seed_fastapi_peer.py), with its messages.
  const cases: [string, unknown, string][] = [
    ['a list body', [1, 2, 3, 4], "body must be a JSON object with key 'features'"],
    ['null body', 'null', "body must be a JSON object with key 'features'"],
    ['missing key', { feature: [1, 2, 3, 4] }, "unknown key 'feature'"],
    ['missing key (empty object)', {}, "missing key 'features'"],
    ['empty list', { features: [] }, "'features' must be a non-empty list"],
    ['not a list', { features: 'abc' }, "'features' must be a non-empty list"],
    ['mixed', { features: [[1, 2, 3, 4], 5] }, "'features' mixes vectors and scalars"],
    [
      'short vector',
      { features: [1, 2, 3] },
      'features: expected 4 features [count, hour, day_of_week, rolling_mean], got 3',
    ],
    [
      'long vector in a batch',
      {
        features: [
          [1, 2, 3, 4],
          [1, 2, 3, 4, 5],
        ],
      },
      'features[1]: expected 4 features',
    ],
    ['empty vector', { features: [[]] }, 'features[0]: expected 4 features'],
    ['string number', { features: [1, '2', 3, 4] }, 'features[1]: expected a finite number, got "2"'],
    ['boolean', { features: [true, 2, 3, 4] }, 'features[0]: expected a finite number, got true'],
    ['null number', { features: [[1, 2, null, 4]] }, 'features[0][2]: expected a finite number, got null'],
    [
      'nested deeper',
      { features: [[[1], 2, 3, 4]] },
      'features[0][0]: expected a finite number, got a list of 1',
    ],
    ['overflow to Infinity', '{"features":[1e400,2,3,4]}', 'features[0]: expected a finite number'],
    ['NaN literal', '{"features":[NaN,2,3,4]}', 'invalid JSON'],
    ['Infinity literal', '{"features":[Infinity,2,3,4]}', 'invalid JSON'],
    ['broken JSON', '{"features":[1,2,', 'invalid JSON'],
    ['unknown field', { features: [1, 2, 3, 4], extra: 1 }, "unknown key 'extra'"],
    ['__proto__ key', '{"features":[1,2,3,4],"__proto__":{"x":1}}', "unknown key '__proto__'"],
  ];
  it.each(cases)('422 {detail} for %s', async (_name, payload, message) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(422);
    const body = res.json() as { detail: string };
    expect(Object.keys(body)).toEqual(['detail']);
    expect(body.detail).toContain(message);
  });

  it('422 for an empty body, 415 for a non-JSON type, 413 over 1 MiB, 404 below /predict: all {detail}', async () => {
    const empty = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(422);
    expect(empty.json()).toEqual({ detail: expect.any(String) });
    const text = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'content-type': 'text/plain' },
      payload: '{"features":[1,2,3,4]}',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toEqual({ detail: expect.stringContaining('application/json') });
    const big = await post(`{"features":[${'1,'.repeat(600_000)}1]}`);
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ detail: expect.stringContaining('1 MiB') });
    const nf = await app.inject({ url: '/predict/nope' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toEqual({ detail: 'Not Found' });
  });

  it('accepts the +json content types and charset parameters', async () => {
    const res = await post({ features: [1, 2, 3, 4] }, { 'content-type': 'application/json; charset=utf-8' });
    expect(res.statusCode).toBe(200);
  });
});

describe('parsePredictBody', () => {
  it('writes vectors row-major into one Float64Array', () => {
    const r = parsePredictBody(
      {
        features: [
          [1, 2, 3, 4],
          [5, 6, 7, 8.5],
        ],
      },
      PREDICT_FEATURES,
    );
    expect(r).toEqual({ ok: true, nRows: 2, data: new Float64Array([1, 2, 3, 4, 5, 6, 7, 8.5]) });
  });
});
