import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTracking,
  FileModelRegistry,
  FileStoreTracker,
  loadChampion,
  MODEL_NAMES,
  promoteIfBetter,
} from '../../src/tracking/index.js';
import { captureLogger, hasPyYaml, pyYamlTypes, readYaml, steppingClock, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('registry'));
});
afterEach(async () => cleanup());

const MODEL_JSON = JSON.stringify({ kind: 'series-anomaly', version: 1, coefficients: [0.12, -0.4, 1.7] });

async function trainedRun(root: string, now: () => number, body = MODEL_JSON) {
  const tracker = new FileStoreTracker(root, { now });
  const run = await tracker.startRun('series-anomaly-train', 'train');
  await run.logArtifact('model/series-anomaly.json', body);
  await run.end();
  return run;
}

describe('FileModelRegistry (MLflow registry file layout)', () => {
  it('writes models/<name>/meta.yaml and version-<n>/meta.yaml with MLflow keys, tags and aliases', async () => {
    const root = join(dir, 'mlruns');
    const now = steppingClock(1_700_000_000_000);
    const run = await trainedRun(root, now);
    const registry = new FileModelRegistry(root, { now });
    const v = await registry.registerVersion({
      name: MODEL_NAMES.seriesAnomaly,
      runId: run.id,
      artifactPath: 'model/series-anomaly.json',
      metrics: { nab_score: 61.5, 'pr-auc': 0.42 },
      tags: { trainedOn: 'chicago' },
      flavor: 'crimepulse-series-v1',
    });
    expect(v.version).toBe(1);
    expect(v.source).toBe(`${run.artifactUri}/model/series-anomaly.json`);
    expect(v.metrics).toEqual({ nab_score: 61.5, 'pr-auc': 0.42 });
    expect(v.flavor).toBe('crimepulse-series-v1');
    expect(v.aliases).toEqual([]);

    const modelDir = join(root, 'models', 'series-anomaly');
    const modelMeta = await readYaml(join(modelDir, 'meta.yaml'));
    expect(Object.keys(modelMeta).sort()).toEqual([
      'aliases',
      'creation_timestamp',
      'description',
      'last_updated_timestamp',
      'name',
    ]);
    expect(modelMeta.name).toBe('series-anomaly');
    expect(modelMeta.description).toBeNull();

    const vMeta = await readYaml(join(modelDir, 'version-1', 'meta.yaml'));
    expect(vMeta).toMatchObject({
      aliases: [],
      current_stage: 'None',
      description: null,
      name: 'series-anomaly',
      run_id: run.id,
      run_link: null,
      source: v.source,
      status: 'READY',
      status_message: null,
      storage_location: v.source,
      user_id: null,
      version: 1,
    });
    expect(typeof vMeta.creation_timestamp).toBe('number');
    expect(await readFile(join(modelDir, 'version-1', 'tags', 'crimepulse.metric.nab_score'), 'utf8')).toBe(
      '61.5',
    );
    expect(await readFile(join(modelDir, 'version-1', 'tags', 'trainedOn'), 'utf8')).toBe('chicago');

    await registry.setAlias('series-anomaly', 'champion', 1);
    expect(await readFile(join(modelDir, 'aliases', 'champion'), 'utf8')).toBe('1');
    expect((await readYaml(join(modelDir, 'meta.yaml'))).aliases).toEqual({ champion: '1' });
    expect((await registry.getVersionByAlias('series-anomaly', 'champion'))?.version).toBe(1);
    // No temporary files where MLflow lists aliases or tags.
    expect(await readdir(join(modelDir, 'aliases'))).toEqual(['champion']);
  });

  it.skipIf(!hasPyYaml)('PyYAML reads version meta with MLflow types (version int, stage str)', async () => {
    const root = join(dir, 'mlruns');
    const run = await trainedRun(root, Date.now);
    const registry = new FileModelRegistry(root);
    await registry.registerVersion({
      name: 'predict-iforest',
      runId: run.id,
      artifactPath: 'model/series-anomaly.json',
    });
    const f = join(root, 'models', 'predict-iforest', 'version-1', 'meta.yaml');
    const py = pyYamlTypes([f])[f]!;
    expect(py.version).toEqual(['int', 1]);
    expect(py.current_stage).toEqual(['str', 'None']);
    expect(py.description).toEqual(['NoneType', null]);
    expect(py.creation_timestamp![0]).toBe('int');
    expect(py.aliases).toEqual(['list', []]);
  });

  it('numbers versions 1..n, moves an alias, lists, loads bytes, and deletes aliases', async () => {
    const root = join(dir, 'mlruns');
    const now = steppingClock();
    const registry = new FileModelRegistry(root, { now });
    const bodies = ['{"v":1}', '{"v":2}', '{"v":3}'];
    for (const body of bodies) {
      const run = await trainedRun(root, now, body);
      await registry.registerVersion({
        name: 'series-anomaly',
        runId: run.id,
        artifactPath: 'model/series-anomaly.json',
      });
    }
    const versions = await registry.listVersions('series-anomaly');
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
    await registry.setAlias('series-anomaly', 'champion', 2);
    await registry.setAlias('series-anomaly', 'champion', 3);
    const champ = await loadChampion(registry, 'series-anomaly');
    expect(champ?.version.version).toBe(3);
    expect(new TextDecoder().decode(champ!.bytes)).toBe('{"v":3}');
    expect((await registry.getVersion('series-anomaly', 2)).aliases).toEqual([]);
    expect((await registry.getVersion('series-anomaly', 3)).aliases).toEqual(['champion']);
    await registry.deleteAlias('series-anomaly', 'champion');
    expect(await loadChampion(registry, 'series-anomaly')).toBeUndefined();
    expect(await registry.listVersions('no-such-model')).toEqual([]);
    expect(await registry.getVersionByAlias('no-such-model', 'champion')).toBeUndefined();
  });

  it('accepts the positional form registerVersion(name, runId, artifactPath, metrics, tags)', async () => {
    const root = join(dir, 'mlruns');
    const run = await trainedRun(root, Date.now);
    const registry = new FileModelRegistry(root);
    const v = await registry.registerVersion(
      'predict-iforest',
      run.id,
      'model/series-anomaly.json',
      { auc: 0.91 },
      {
        'crimepulse.flavor': 'crimepulse-iforest-v1',
      },
    );
    expect(v).toMatchObject({
      version: 1,
      metrics: { auc: 0.91 },
      flavor: 'crimepulse-iforest-v1',
      runId: run.id,
    });
    const { log } = captureLogger();
    const d = await promoteIfBetter({
      registry,
      name: 'predict-iforest',
      candidate: v,
      metric: 'auc',
      higherIsBetter: true,
      log,
    });
    expect(d).toMatchObject({ promoted: true, candidate: 1 });
  });

  it('refuses unknown runs, missing artifacts, unknown versions and bad names', async () => {
    const root = join(dir, 'mlruns');
    const run = await trainedRun(root, Date.now);
    const registry = new FileModelRegistry(root);
    await expect(
      registry.registerVersion({
        name: 'm',
        runId: 'f'.repeat(32),
        artifactPath: 'model/series-anomaly.json',
      }),
    ).rejects.toMatchObject({ code: 'CP_ERR_TRACKING_NOT_FOUND' });
    await expect(
      registry.registerVersion({ name: 'm', runId: run.id, artifactPath: 'model/missing.json' }),
    ).rejects.toMatchObject({
      code: 'CP_ERR_TRACKING_NOT_FOUND',
    });
    await expect(
      registry.registerVersion({ name: 'a/b', runId: run.id, artifactPath: 'model/series-anomaly.json' }),
    ).rejects.toMatchObject({
      code: 'CP_ERR_TRACKING_INVALID',
    });
    await registry.registerVersion({ name: 'm', runId: run.id, artifactPath: 'model/series-anomaly.json' });
    await expect(registry.setAlias('m', 'champion', 7)).rejects.toMatchObject({
      code: 'CP_ERR_TRACKING_NOT_FOUND',
    });
    await expect(registry.setAlias('m', 'latest', 1)).rejects.toMatchObject({
      code: 'CP_ERR_TRACKING_INVALID',
    });
    await expect(registry.setAlias('m', 'v2', 1)).rejects.toMatchObject({ code: 'CP_ERR_TRACKING_INVALID' });
  });

  it('createTracking with no URI puts runs and registry under <dataDir>/mlruns', async () => {
    const { tracker, registry, target } = createTracking(undefined, dir);
    expect(target).toEqual({ kind: 'file', root: join(dir, 'mlruns') });
    const run = await tracker.startRun('predict-iforest-train', 'r');
    await run.logArtifact('model/iforest.json', '{"trees":[]}');
    await run.end();
    const v = await registry.registerVersion({
      name: 'predict-iforest',
      runId: run.id,
      artifactPath: 'model/iforest.json',
    });
    expect(v.source.startsWith('file://')).toBe(true);
    expect(await readdir(join(dir, 'mlruns', 'models'))).toEqual(['predict-iforest']);
  });
});
