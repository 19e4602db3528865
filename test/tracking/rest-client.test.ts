import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTracking,
  LOG_BATCH_LIMITS,
  loadChampion,
  MlflowRestClient,
  promoteIfBetter,
  RestModelRegistry,
  RestTracker,
} from '../../src/tracking/index.js';
import { type FakeMlflow, startFakeMlflow } from './fake-mlflow-server.js';
import { captureLogger } from './helpers.js';

let server: FakeMlflow;
let client: MlflowRestClient;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  server = await startFakeMlflow();
  client = new MlflowRestClient(server.url, { backoffMs: 1, attempts: 3, timeoutMs: 5000 });
  clock = 1_700_000_000_000;
});
afterEach(async () => server.close());

const api = (p: string) => `/api/2.0/mlflow/${p}`;
const calls = () => server.requests.map((r) => `${r.method} ${r.path}`);

describe('RestTracker against MLflow REST API 2.0', () => {
  it('creates the experiment and run, then logs with the exact documented bodies', async () => {
    const tracker = new RestTracker(client, { now, userId: 'analyst' });
    const run = await tracker.startRun('series-anomaly-train', 'nightly', { 'crimepulse.source': 'chicago' });
    expect(calls()).toEqual([
      `GET ${api('experiments/get-by-name')}`,
      `POST ${api('experiments/create')}`,
      `POST ${api('runs/create')}`,
    ]);
    expect(server.requests[0]!.query).toEqual({ experiment_name: 'series-anomaly-train' });
    expect(server.requests[1]!.body).toEqual({ name: 'series-anomaly-train' });
    expect(server.requests[2]!.body).toEqual({
      experiment_id: '1',
      user_id: 'analyst',
      run_name: 'nightly',
      start_time: 1_700_000_000_000,
      tags: [
        { key: 'mlflow.runName', value: 'nightly' },
        { key: 'mlflow.user', value: 'analyst' },
        { key: 'mlflow.source.name', value: 'crimepulse' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'crimepulse.source', value: 'chicago' },
      ],
    });
    expect(run.artifactUri).toBe(`mlflow-artifacts:/1/${run.id}/artifacts`);
    server.requests.length = 0;

    await run.logMetric('loss', 0.5, 3, 1_700_000_001_000);
    clock = 1_700_000_002_000;
    await run.logMetrics({ precision: 0.8, recall: Number.NaN }, 4);
    await run.logParams({ alpha: 0.05, trend: true });
    await run.setTags({ 'crimepulse.window': 'hourly' });
    await run.logArtifact('model/series-anomaly.json', '{"kind":"series-anomaly"}');
    clock = 1_700_000_009_000;
    await run.end('FINISHED');

    expect(server.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      [
        'POST',
        api('runs/log-batch'),
        { run_id: run.id, metrics: [{ key: 'loss', value: 0.5, timestamp: 1_700_000_001_000, step: 3 }] },
      ],
      [
        'POST',
        api('runs/log-batch'),
        {
          run_id: run.id,
          metrics: [
            { key: 'precision', value: 0.8, timestamp: 1_700_000_002_000, step: 4 },
            { key: 'recall', value: 'NaN', timestamp: 1_700_000_002_000, step: 4 },
          ],
        },
      ],
      [
        'POST',
        api('runs/log-batch'),
        {
          run_id: run.id,
          params: [
            { key: 'alpha', value: '0.05' },
            { key: 'trend', value: 'True' },
          ],
        },
      ],
      [
        'POST',
        api('runs/log-batch'),
        { run_id: run.id, tags: [{ key: 'crimepulse.window', value: 'hourly' }] },
      ],
      [
        'PUT',
        `/api/2.0/mlflow-artifacts/artifacts/1/${run.id}/artifacts/model/series-anomaly.json`,
        undefined,
      ],
      ['POST', api('runs/update'), { run_id: run.id, status: 'FINISHED', end_time: 1_700_000_009_000 }],
    ]);
    expect(
      new TextDecoder().decode(server.artifacts.get(`1/${run.id}/artifacts/model/series-anomaly.json`)),
    ).toBe('{"kind":"series-anomaly"}');
    const state = server.runs.get(run.id)!;
    expect(state.info.status).toBe('FINISHED');
    expect(state.metrics).toHaveLength(3);
  });

  it('reuses an existing experiment and caches its id', async () => {
    const id = server.createExperiment('backtest');
    const tracker = new RestTracker(client, { now });
    const a = await tracker.startRun('backtest', 'a');
    const b = await tracker.startRun('backtest', 'b');
    expect([a.experimentId, b.experimentId]).toEqual([id, id]);
    expect(calls().filter((c) => c.endsWith('get-by-name'))).toHaveLength(1);
    expect(calls().filter((c) => c.endsWith('experiments/create'))).toHaveLength(0);
  });

  it('survives another client creating the experiment between get-by-name and create', async () => {
    server.beforeHandle = (req) => {
      if (req.path.endsWith('experiments/create')) {
        server.beforeHandle = undefined;
        server.createExperiment('raced');
      }
    };
    const run = await new RestTracker(client, { now }).startRun('raced', 'r');
    expect(run.experimentId).toBe('1');
    expect(calls().filter((c) => c.endsWith('get-by-name'))).toHaveLength(2);
  });

  it('splits big batches at MLflow limits (1000 metrics, 100 params)', async () => {
    const run = await new RestTracker(client, { now }).startRun('exp', 'r');
    server.requests.length = 0;
    await run.logParams(Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i])));
    await run.logMetrics(Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`m${i}`, i / 7])), 0);
    const sizes = server.requests.map((r) => {
      const b = r.body as { params?: unknown[]; metrics?: unknown[] };
      return (b.params ?? b.metrics ?? []).length;
    });
    expect(sizes).toEqual([100, 100, 50, 1000, 500]);
    expect(LOG_BATCH_LIMITS).toEqual({ metrics: 1000, params: 100, tags: 100 });
    expect(server.runs.get(run.id)!.params).toHaveLength(250);
  });

  it('retries 5xx answers and does not retry 4xx; errors carry MLflow codes', async () => {
    const run = await new RestTracker(client, { now }).startRun('exp', 'r');
    server.requests.length = 0;
    server.failNext(2);
    await run.logMetric('x', 1, 0, 1);
    expect(server.requests).toHaveLength(3);
    server.requests.length = 0;
    await run.logParams({ k: 'a' });
    await expect(run.logParams({ k: 'b' })).rejects.toMatchObject({
      code: 'CP_ERR_TRACKING_REJECTED',
      details: { status: 400, errorCode: 'INVALID_PARAMETER_VALUE' },
    });
    expect(server.requests).toHaveLength(2);
    server.failNext(5);
    await expect(run.logMetric('x', 2, 1, 2)).rejects.toMatchObject({
      code: 'CP_ERR_TRACKING',
      kind: 'transient',
    });
  });

  it('refuses an artifact store the client cannot reach and an unreachable server is transient', async () => {
    const down = new MlflowRestClient('http://127.0.0.1:9', { attempts: 2, backoffMs: 1, timeoutMs: 500 });
    await expect(new RestTracker(down).startRun('e', 'r')).rejects.toMatchObject({
      code: 'CP_ERR_TRACKING',
      kind: 'transient',
    });
    const { artifactTarget } = await import('../../src/tracking/rest-client.js');
    expect(() => artifactTarget('s3://bucket/1/abc/artifacts', 'm.json')).toThrow(/--serve-artifacts/);
    expect(artifactTarget('mlflow-artifacts://host:5000/2/abc/artifacts', 'model/m.json')).toEqual({
      kind: 'proxy',
      path: '2/abc/artifacts/model/m.json',
    });
  });
});

describe('RestModelRegistry against MLflow REST API 2.0', () => {
  async function trainedRun(tracker: RestTracker, body: string) {
    const run = await tracker.startRun('series-anomaly-train', 'train');
    await run.logArtifact('model/m.json', body);
    await run.end();
    return run;
  }

  it('registers versions with metric tags, waits for READY, and promotes through aliases', async () => {
    const { log, lines } = captureLogger();
    const tracker = new RestTracker(client, { now });
    const registry = new RestModelRegistry(client);
    server.pendingPolls = 2;
    const run1 = await trainedRun(tracker, '{"v":1}');
    server.requests.length = 0;
    const v1 = await registry.registerVersion({
      name: 'series-anomaly',
      runId: run1.id,
      artifactPath: 'model/m.json',
      metrics: { nab_score: 58 },
      flavor: 'crimepulse-series-v1',
    });
    expect(calls().slice(0, 3)).toEqual([
      `POST ${api('registered-models/create')}`,
      `GET ${api('runs/get')}`,
      `POST ${api('model-versions/create')}`,
    ]);
    expect(server.requests[0]!.body).toEqual({ name: 'series-anomaly' });
    expect(server.requests[2]!.body).toEqual({
      name: 'series-anomaly',
      source: `mlflow-artifacts:/1/${run1.id}/artifacts/model/m.json`,
      run_id: run1.id,
      tags: [
        { key: 'crimepulse.metric.nab_score', value: '58' },
        { key: 'crimepulse.flavor', value: 'crimepulse-series-v1' },
      ],
    });
    // PENDING_REGISTRATION twice, then READY: the client polled model-versions/get.
    expect(calls().filter((c) => c.endsWith('model-versions/get'))).toHaveLength(2);
    expect(v1).toMatchObject({
      version: 1,
      status: 'READY',
      metrics: { nab_score: 58 },
      flavor: 'crimepulse-series-v1',
    });
    server.pendingPolls = 0;

    // No alias yet: MLflow answers 400 INVALID_PARAMETER_VALUE "alias … not found".
    server.requests.length = 0;
    expect(await registry.getVersionByAlias('series-anomaly', 'champion')).toBeUndefined();
    expect(server.requests[0]!.query).toEqual({ name: 'series-anomaly', alias: 'champion' });
    const base = { registry, name: 'series-anomaly', metric: 'nab_score', higherIsBetter: true, log };
    expect((await promoteIfBetter({ ...base, candidate: 1 })).promoted).toBe(true);
    const aliasSet = server.requests.find(
      (r) => r.method === 'POST' && r.path.endsWith('registered-models/alias'),
    );
    expect(aliasSet!.body).toEqual({ name: 'series-anomaly', alias: 'champion', version: '1' });
    const tagSet = server.requests.find((r) => r.path.endsWith('model-versions/set-tag'));
    expect(tagSet!.body).toEqual({
      name: 'series-anomaly',
      version: '1',
      key: 'crimepulse.promotion',
      value: 'promoted',
    });

    const run2 = await trainedRun(tracker, '{"v":2}');
    await registry.registerVersion({
      name: 'series-anomaly',
      runId: run2.id,
      artifactPath: 'model/m.json',
      metrics: { nab_score: 57 },
    });
    expect((await promoteIfBetter({ ...base, candidate: 2 })).promoted).toBe(false);
    const run3 = await trainedRun(tracker, '{"v":3}');
    await registry.registerVersion({
      name: 'series-anomaly',
      runId: run3.id,
      artifactPath: 'model/m.json',
      metrics: { nab_score: 64 },
    });
    expect((await promoteIfBetter({ ...base, candidate: 3 })).promoted).toBe(true);

    const champ = await loadChampion(registry, 'series-anomaly');
    expect(champ?.version).toMatchObject({ version: 3, aliases: ['champion'] });
    expect(new TextDecoder().decode(champ!.bytes)).toBe('{"v":3}');
    const listed = await registry.listVersions('series-anomaly');
    expect(listed.map((v) => [v.version, v.tags['crimepulse.promotion']])).toEqual([
      [1, 'promoted'],
      [2, 'rejected'],
      [3, 'promoted'],
    ]);
    const search = server.requests.find((r) => r.path.endsWith('model-versions/search'));
    expect(search!.query).toEqual({ filter: "name='series-anomaly'", max_results: '1000' });

    server.requests.length = 0;
    await registry.deleteAlias('series-anomaly', 'champion');
    expect(server.requests[0]).toMatchObject({
      method: 'DELETE',
      query: { name: 'series-anomaly', alias: 'champion' },
      body: undefined,
    });
    expect(await loadChampion(registry, 'series-anomaly')).toBeUndefined();
    expect(lines.filter((l) => l.event === 'promotion').map((l) => l.promoted)).toEqual([true, false, true]);
  });

  it('createTracking picks REST for an http URI and the registry shares the server', async () => {
    const { tracker, registry, target } = createTracking(`${server.url}/`, '/nonexistent-data-dir', { now });
    expect(target).toEqual({ kind: 'rest', baseUrl: server.url });
    const run = await tracker.startRun('predict-iforest-train', 'r');
    await run.logArtifact('model/iforest.json', '{"trees":[]}');
    const v = await registry.registerVersion({
      name: 'predict-iforest',
      runId: run.id,
      artifactPath: 'model/iforest.json',
    });
    expect(new TextDecoder().decode(await registry.loadArtifact('predict-iforest', v.version))).toBe(
      '{"trees":[]}',
    );
    expect(await registry.listVersions('missing-model')).toEqual([]);
  });
});
