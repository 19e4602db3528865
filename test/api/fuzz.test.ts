/**
 * Generated requests across every route (fast-check, app.inject): valid and broken query strings,
 * bodies, content types, headers, deep nesting, NaN/Infinity, oversize bodies. No input may produce
 * a 5xx or a stack trace, and the server must still answer afterwards. Every dependency is wired, so
 * a 503 "not wired" cannot hide a failure. GET /v1/stream always carries an unknown parameter here:
 * a valid stream never ends under inject (the live stream has its own test).
 */
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, forestPredictModel } from '../../src/api/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { IsolationForest, makeTrainingData } from '../../src/model/iforest/isolation-forest.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';
import { buildTestStore, type TestStore } from './helpers.js';

const RUNS = Number(process.env.API_FUZZ_RUNS ?? 10_000);
const TOKEN = 'fuzz-admin-token-0123456789';

let ts: TestStore;
let app: FastifyInstance;
const stats = { total: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  ts = await buildTestStore();
  const forest = IsolationForest.fit(makeTrainingData(2000, 1), { nEstimators: 20 });
  app = await buildApp({
    log: silentLogger,
    board: new SourceStatusBoard(),
    store: ts.store,
    predictModel: forestPredictModel(forest, '1'),
    forecaster: {
      version: 'f',
      forecast: async (q) =>
        q.area === '25'
          ? [{ windowStart: '2015-02-09T06:00:00.000Z', expected: 1, lower: 0, upper: 3 }]
          : undefined,
    },
    models: { list: async () => [] },
    feed: { subscribe: () => () => {} },
    admin: { retrain: async () => ({}), promote: async () => ({}), replay: async () => ({}) },
    options: { adminToken: TOKEN, rateLimitPerMinute: 1_000_000 },
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await ts?.close();
});

const ROUTES = [
  '/v1/events',
  '/v1/windows',
  '/v1/stats',
  '/v1/heatmap',
  '/v1/compstat',
  '/v1/anomalies',
  '/v1/forecast',
  '/v1/hotspots',
  '/v1/sources',
  '/v1/models',
  '/v1/stream',
  '/predict',
  '/predict/schema',
  '/admin/retrain',
  '/admin/promote',
  '/admin/replay',
  '/health',
  '/ready',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/nope',
  '/v1',
  '/v1/events/x',
  '/admin',
];
const PARAMS = [
  'source',
  'area',
  'category',
  'from',
  'to',
  'bbox',
  'granularity',
  'limit',
  'pageToken',
  'minSeverity',
  'cellDeg',
  'cellMeters',
  'horizon',
  'zzz',
  '__proto__',
  'constructor',
];

const weird = fc.constantFrom(
  '',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '1e400',
  '1.5',
  '99999999999',
  'null',
  'true',
  '[]',
  '{}',
  '%00',
  '\u0000',
  '🙂',
  'a'.repeat(300),
  '../..',
  "'; DROP TABLE events; --",
  '2015-02-30',
  '0000-01-01',
  '9999-12-31T23:59:59Z',
  '2015-02-01T06:00:00+25:00',
  ',,,',
  'eyJ0IjoxLCJpZCI6MX0',
  'eyJhZnRlciI6MX0',
);
const plausible = fc.constantFrom(
  'chicago',
  'la',
  'uk-police',
  'chicago,la',
  '25',
  '8,32',
  'theft',
  'violence,robbery',
  '2015-02-01',
  '2015-02-08',
  '2015-02-01T06:00:00Z',
  '-87.7,41.85,-87.6,41.95',
  '-180,-90,180,90',
  'hour',
  'day',
  'month',
  'week',
  '1',
  '10',
  '1000',
  '1001',
  'low',
  'medium',
  'high',
  '0.01',
  '500',
  '100',
  '7',
);
const value = fc.oneof(
  { weight: 3, arbitrary: plausible },
  { weight: 2, arbitrary: weird },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.double().map(String) },
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...PARAMS), value), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const vector = fc.array(
  fc.oneof(fc.double(), fc.integer(), fc.constant('1'), fc.constant(null), fc.boolean()),
  { maxLength: 6 },
);
const jsonBody = fc.oneof(
  fc
    .record({
      features: fc.oneof(
        vector,
        fc.array(vector, { maxLength: 20 }),
        fc.array(
          fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 4, maxLength: 4 }),
          { minLength: 1, maxLength: 50 },
        ),
      ),
    })
    .map((b) => JSON.stringify(b)),
  fc
    .record(
      {
        model: fc.constantFrom('predict-iforest', 'series-anomaly', 'x', 7),
        version: fc.oneof(fc.string(), fc.constant('3')),
        source: fc.constantFrom('chicago', 'NOPE', ''),
        file: fc.oneof(fc.string(), fc.constant('../x')),
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 50_000 }).map((n) => `{"features":${'['.repeat(n)}1${']'.repeat(n)}}`),
  fc.constantFrom(
    '',
    '{',
    'null',
    '{"features":[NaN,1,2,3]}',
    '{"features":[1e999,1,2,3]}',
    '{"__proto__":{"a":1}}',
    `{"features":[${'1,'.repeat(700_000)}1]}`,
  ),
  fc.string({ maxLength: 100 }),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/vnd.api+json',
      'garbage',
    ),
    authorization: fc.constantFrom(`Bearer ${TOKEN}`, 'Bearer nope', `bearer ${TOKEN}`, '', 'Basic abc'),
    'last-event-id': fc.constantFrom('1', '0', 'abc', '99999999999999999999', '-1'),
    'x-request-id': fc.constantFrom('abc', 'a b', 'x'.repeat(500)),
    origin: fc.constantFrom('https://a.example', 'null'),
  },
  { requiredKeys: [] },
);

const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
  route: fc.constantFrom(...ROUTES),
  query,
  body: fc.option(jsonBody, { nil: undefined }),
  headers,
});

describe('fuzz', () => {
  it(`${RUNS} generated requests: never a 5xx, never a stack trace`, async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let url = r.query ? `${r.route}?${r.query}` : r.route;
        if (r.route === '/v1/stream') url += `${r.query ? '&' : '?'}unknownParam=1`;
        const hasBody = r.body !== undefined && !['GET', 'HEAD', 'OPTIONS'].includes(r.method);
        const res = await app.inject({
          method: r.method as 'GET',
          url,
          headers: r.headers as Record<string, string>,
          ...(hasBody ? { payload: r.body as string } : {}),
        } as InjectOptions);
        stats.total++;
        stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500)
          throw new Error(
            `${res.statusCode} for ${r.method} ${url.slice(0, 300)} body=${String(r.body).slice(0, 200)}: ${res.body.slice(0, 300)}`,
          );
        expect(res.body).not.toMatch(/\n\s+at [^\n]+:\d+:\d+/);
        if (res.statusCode >= 400 && r.method !== 'HEAD') {
          const body = res.json() as Record<string, unknown>;
          if (url.startsWith('/predict')) expect(Object.keys(body)).toEqual(['detail']);
          else
            expect(body).toMatchObject({
              code: expect.stringMatching(/^CP_ERR_/),
              statusCode: res.statusCode,
            });
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.API_FUZZ_SEED ?? 20261125) },
    );
    const health = await app.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    // The mix must reach the handlers, not only the validators.
    expect(stats.byStatus.get(200) ?? 0).toBeGreaterThan(RUNS / 20);
    console.log(
      'fuzz status mix',
      Object.fromEntries([...stats.byStatus.entries()].sort((a, b) => a[0] - b[0])),
    );
  }, 120_000);
});
