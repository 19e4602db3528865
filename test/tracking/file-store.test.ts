import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrackingError } from '../../src/core/errors.js';
import {
  DEFAULT_EXPERIMENT_ID,
  experimentIdFor,
  FileStoreTracker,
  parseMetricLine,
  withRun,
} from '../../src/tracking/index.js';
import { hasPyYaml, pyYamlTypes, readYaml, steppingClock, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('mlruns'));
});
afterEach(async () => cleanup());

describe('FileStoreTracker layout (MLflow file store)', () => {
  it('creates the root, .trash and experiment 0 Default with MLflow meta.yaml keys and types', async () => {
    const root = join(dir, 'mlruns');
    const t = new FileStoreTracker(root, { now: () => 1_700_000_000_123 });
    await t.init();
    expect((await stat(join(root, '.trash'))).isDirectory()).toBe(true);
    const meta = await readYaml(join(root, '0', 'meta.yaml'));
    expect(meta).toEqual({
      artifact_location: pathToFileURL(join(root, '0')).href,
      creation_time: 1_700_000_000_123,
      experiment_id: '0',
      last_update_time: 1_700_000_000_123,
      lifecycle_stage: 'active',
      name: 'Default',
    });
    // PyYAML would write the id quoted; our text must read back as a string, not an int.
    const text = await readFile(join(root, '0', 'meta.yaml'), 'utf8');
    expect(text).toContain("experiment_id: '0'");
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[0]),
    ).toEqual([
      'artifact_location',
      'creation_time',
      'experiment_id',
      'last_update_time',
      'lifecycle_stage',
      'name',
    ]);
  });

  it('writes a run exactly as MLflow lays it out: meta.yaml, params, tags, metric lines, artifacts', async () => {
    const root = join(dir, 'mlruns');
    const t = new FileStoreTracker(root, { now: steppingClock(1_700_000_000_000), userId: 'analyst' });
    const run = await t.startRun('series-anomaly-train', 'nightly-2024-01-15', {
      'crimepulse.source': 'chicago',
    });
    const expId = experimentIdFor('series-anomaly-train');
    expect(run.experimentId).toBe(expId);
    expect(run.id).toMatch(/^[0-9a-f]{32}$/);
    const runDir = join(root, expId, run.id);
    expect(run.artifactUri).toBe(`${pathToFileURL(join(root, expId)).href}/${run.id}/artifacts`);
    expect(fileURLToPath(run.artifactUri)).toBe(join(runDir, 'artifacts'));

    await run.logParams({ alpha: 0.05, family: 'negative-binomial', trend: true, seasonal_period: 168 });
    await run.logMetric('loss', 2.5, 0, 1_700_000_001_000);
    await run.logMetric('loss', 1.25, 1, 1_700_000_002_000);
    await run.logMetric('loss', 1, 2, 1_700_000_003_000);
    await run.logMetrics({ 'nab/score': 61.7, precision: 0.8125 }, 5, 1_700_000_004_000);
    await run.setTags({ 'crimepulse.window': 'hourly' });
    await run.logArtifact('model/series-anomaly.json', '{"kind":"series-anomaly"}');
    await run.logArtifact('plots/residuals.svg', new Uint8Array([60, 115, 118, 103, 47, 62]));
    await run.end('FINISHED');

    // Metric lines: "<timestamp> <value> <step>", one per logged point, in order.
    expect(await readFile(join(runDir, 'metrics', 'loss'), 'utf8')).toBe(
      '1700000001000 2.5 0\n1700000002000 1.25 1\n1700000003000 1.0 2\n',
    );
    expect(await readFile(join(runDir, 'metrics', 'nab', 'score'), 'utf8')).toBe('1700000004000 61.7 5\n');
    // Params and tags: one file per key, the raw value without newline; bools as Python prints them.
    expect(await readFile(join(runDir, 'params', 'alpha'), 'utf8')).toBe('0.05');
    expect(await readFile(join(runDir, 'params', 'trend'), 'utf8')).toBe('True');
    expect(await readFile(join(runDir, 'params', 'seasonal_period'), 'utf8')).toBe('168');
    expect(await readFile(join(runDir, 'tags', 'mlflow.runName'), 'utf8')).toBe('nightly-2024-01-15');
    expect(await readFile(join(runDir, 'tags', 'mlflow.user'), 'utf8')).toBe('analyst');
    expect(await readFile(join(runDir, 'tags', 'crimepulse.source'), 'utf8')).toBe('chicago');
    expect(await readFile(join(runDir, 'artifacts', 'model', 'series-anomaly.json'), 'utf8')).toBe(
      '{"kind":"series-anomaly"}',
    );
    expect(await readFile(join(runDir, 'artifacts', 'plots', 'residuals.svg'), 'utf8')).toBe('<svg/>');
    // No temporary file is left where MLflow enumerates keys or artifacts.
    for (const sub of ['params', 'tags', 'metrics', 'artifacts']) {
      const names = await readdir(join(runDir, sub), { recursive: true });
      expect(names.filter((n) => String(n).includes('.tmp-'))).toEqual([]);
    }

    const meta = await readYaml(join(runDir, 'meta.yaml'));
    expect(Object.keys(meta).sort()).toEqual([
      'artifact_uri',
      'end_time',
      'entry_point_name',
      'experiment_id',
      'lifecycle_stage',
      'run_id',
      'run_name',
      'run_uuid',
      'source_name',
      'source_type',
      'source_version',
      'start_time',
      'status',
      'tags',
      'user_id',
    ]);
    expect(meta).toMatchObject({
      artifact_uri: run.artifactUri,
      experiment_id: expId,
      lifecycle_stage: 'active',
      run_id: run.id,
      run_uuid: run.id,
      run_name: 'nightly-2024-01-15',
      source_type: 4,
      status: 3,
      tags: [],
      user_id: 'analyst',
    });
    expect(typeof meta.start_time).toBe('number');
    expect(meta.end_time as number).toBeGreaterThan(meta.start_time as number);

    const record = await t.getRun(run.id);
    expect(record.status).toBe('FINISHED');
    expect(record.params).toMatchObject({ alpha: '0.05', family: 'negative-binomial' });
    expect(record.metrics.loss?.map((p) => p.value)).toEqual([2.5, 1.25, 1]);
    expect(record.metrics['nab/score']).toEqual([{ timestamp: 1_700_000_004_000, value: 61.7, step: 5 }]);
  });

  it('a new run is RUNNING (status 1) with deleted_time null until it ends', async () => {
    const t = new FileStoreTracker(join(dir, 'mlruns'));
    const run = await t.startRun('exp', 'r');
    const meta = await readYaml(join(dir, 'mlruns', run.experimentId, run.id, 'meta.yaml'));
    expect(meta.status).toBe(1);
    expect(meta.end_time).toBeNull();
    expect(meta).toHaveProperty('deleted_time', null);
    await run.end('FAILED');
    expect((await t.getRun(run.id)).status).toBe('FAILED');
  });

  it.skipIf(!hasPyYaml)('PyYAML (what MLflow reads with) gets the same typed values', async () => {
    const root = join(dir, 'mlruns');
    const t = new FileStoreTracker(root);
    const run = await t.startRun('types', 'r1');
    await run.end();
    const files = [join(root, '0', 'meta.yaml'), join(root, run.experimentId, run.id, 'meta.yaml')];
    const py = pyYamlTypes(files);
    const exp = py[files[0]!]!;
    expect(exp.experiment_id).toEqual(['str', '0']);
    expect(exp.creation_time![0]).toBe('int');
    expect(exp.name).toEqual(['str', 'Default']);
    const r = py[files[1]!]!;
    expect(r.experiment_id).toEqual(['str', run.experimentId]);
    expect(r.run_id).toEqual(['str', run.id]);
    expect(r.status).toEqual(['int', 3]);
    expect(r.source_type).toEqual(['int', 4]);
    expect(r.start_time![0]).toBe('int');
    expect(r.end_time![0]).toBe('int');
    expect(r.tags).toEqual(['list', []]);
    expect(r.entry_point_name).toEqual(['str', '']);
  });

  it('finds an existing experiment by name, including one MLflow created with a random id', async () => {
    const root = join(dir, 'mlruns');
    const t1 = new FileStoreTracker(root);
    const a = await t1.startRun('backtest', 'a');
    const b = await new FileStoreTracker(root).startRun('backtest', 'b');
    expect(b.experimentId).toBe(a.experimentId);
    const exps = await t1.listExperiments();
    expect(exps.map((e) => e.name).sort()).toEqual(['Default', 'backtest']);
    expect(await t1.listRunIds(a.experimentId)).toEqual([a.id, b.id].sort());

    // An experiment MLflow itself created (random 18-digit id, PyYAML-written meta) is found by name.
    const legacy = join(root, '271828182845904523');
    await mkdir(legacy);
    await writeFile(
      join(legacy, 'meta.yaml'),
      `artifact_location: ${pathToFileURL(legacy).href}\ncreation_time: 1690000000000\nexperiment_id: '271828182845904523'\nlast_update_time: 1690000000000\nlifecycle_stage: active\nname: legacy\n`,
    );
    const c = await new FileStoreTracker(root).startRun('legacy', 'c');
    expect(c.experimentId).toBe('271828182845904523');
    expect(fileURLToPath(c.artifactUri)).toBe(join(legacy, c.id, 'artifacts'));
    await c.logArtifact('report.md', '# backtest');
    expect(await readFile(join(legacy, c.id, 'artifacts', 'report.md'), 'utf8')).toBe('# backtest');
  });

  it('keeps params immutable and refuses names that would leave the run folder', async () => {
    const t = new FileStoreTracker(join(dir, 'mlruns'));
    const run = await t.startRun('exp', 'r');
    await run.logParams({ k: 1 });
    await run.logParams({ k: 1 }); // same value: allowed, as in MLflow
    await expect(run.logParams({ k: 2 })).rejects.toMatchObject({ code: 'CP_ERR_TRACKING_INVALID' });
    await expect(run.logMetric('../escape', 1)).rejects.toBeInstanceOf(TrackingError);
    await expect(run.setTags({ '/abs': 'x' })).rejects.toBeInstanceOf(TrackingError);
    await expect(run.logArtifact('../../meta.yaml', 'x')).rejects.toBeInstanceOf(TrackingError);
    await expect(run.logMetric('ok', 1, 1.5)).rejects.toBeInstanceOf(TrackingError);
  });

  it('writes non-finite metric values as Python floats MLflow parses back', async () => {
    const t = new FileStoreTracker(join(dir, 'mlruns'));
    const run = await t.startRun('exp', 'r');
    await run.logMetric('x', Number.NaN, 0, 1);
    await run.logMetric('x', Number.POSITIVE_INFINITY, 1, 2);
    await run.logMetric('x', -0.000001, 2, 3);
    const text = await readFile(join(dir, 'mlruns', run.experimentId, run.id, 'metrics', 'x'), 'utf8');
    expect(text).toBe('1 nan 0\n2 inf 1\n3 -0.000001 2\n');
    expect(parseMetricLine('5 0.5')).toEqual({ timestamp: 5, value: 0.5, step: 0 }); // MLflow's old 2-field form
  });

  it('withRun ends FAILED with an error tag when the body throws', async () => {
    const t = new FileStoreTracker(join(dir, 'mlruns'));
    let id = '';
    await expect(
      withRun(t, 'exp', 'boom', async (run) => {
        id = run.id;
        throw new Error('no history rows');
      }),
    ).rejects.toThrow('no history rows');
    const rec = await t.getRun(id);
    expect(rec.status).toBe('FAILED');
    expect(rec.tags['crimepulse.error']).toBe('no history rows');
  });

  it('the Default experiment keeps id 0 and a new experiment never takes it', () => {
    expect(DEFAULT_EXPERIMENT_ID).toBe('0');
    expect(experimentIdFor('Default')).not.toBe('0');
    expect(experimentIdFor('series-anomaly-train')).toMatch(/^[1-9]\d{0,18}$/);
  });
});
