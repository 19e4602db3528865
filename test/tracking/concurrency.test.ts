import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  experimentIdFor,
  FileModelRegistry,
  FileStoreTracker,
  parseMetricLine,
} from '../../src/tracking/index.js';
import { readYaml, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('mlruns-race'));
});
afterEach(async () => cleanup());

async function experimentDirsNamed(root: string, name: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root)) {
    if (d.startsWith('.') || d === 'models') continue;
    const meta = await readYaml(join(root, d, 'meta.yaml')).catch(() => undefined);
    if (meta?.name === name) out.push(d);
  }
  return out;
}

function runChild(
  root: string,
  label: string,
  n: number,
): Promise<{ runId: string; experimentId: string; version: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'fixtures', 'concurrent-writer.ts'), root, label, String(n)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${label}: ${err}`)),
    );
  });
}

describe('file store under concurrent writers', () => {
  it('two trackers creating the same experiment at once end up with one experiment', async () => {
    const root = join(dir, 'mlruns');
    const trackers = Array.from({ length: 4 }, () => new FileStoreTracker(root));
    const runs = await Promise.all(trackers.map((t, i) => t.startRun('nightly-train', `r${i}`)));
    expect(new Set(runs.map((r) => r.experimentId)).size).toBe(1);
    expect(await experimentDirsNamed(root, 'nightly-train')).toEqual([runs[0]!.experimentId]);
    expect(await experimentDirsNamed(root, 'Default')).toEqual(['0']);
  });

  it('two runs logging interleaved metrics keep every line whole and in order', async () => {
    const root = join(dir, 'mlruns');
    const [a, b] = await Promise.all([
      new FileStoreTracker(root).startRun('exp', 'a'),
      new FileStoreTracker(root).startRun('exp', 'b'),
    ]);
    const n = 300;
    await Promise.all(
      [a!, b!].map(async (run, w) => {
        for (let i = 0; i < n; i++) {
          await run.logMetrics({ loss: (w + 1) / (i + 1), 'shared/key': i * 0.5 }, i, 1_700_000_000_000 + i);
          if (i % 50 === 0) await run.setTags({ progress: String(i) });
        }
      }),
    );
    for (const [w, run] of [a!, b!].entries()) {
      const text = await readFile(join(root, run.experimentId, run.id, 'metrics', 'loss'), 'utf8');
      const points = text.trimEnd().split('\n').map(parseMetricLine);
      expect(points).toHaveLength(n);
      expect(points.map((p) => p.step)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(points[n - 1]!.value).toBeCloseTo((w + 1) / n, 12);
      expect(await readFile(join(root, run.experimentId, run.id, 'tags', 'progress'), 'utf8')).toBe('250');
    }
  });

  it('completes an experiment folder whose creator died before writing meta.yaml', async () => {
    const root = join(dir, 'mlruns');
    await new FileStoreTracker(root).init();
    await mkdir(join(root, experimentIdFor('crashed')));
    const run = await new FileStoreTracker(root, { metaWaitMs: 50 }).startRun('crashed', 'r');
    expect(run.experimentId).toBe(experimentIdFor('crashed'));
    expect((await readYaml(join(root, run.experimentId, 'meta.yaml'))).name).toBe('crashed');
  });

  it('skips a version number claimed by a registration that died, and numbers on after it', async () => {
    const root = join(dir, 'mlruns');
    const tracker = new FileStoreTracker(root);
    const registry = new FileModelRegistry(root);
    const run = await tracker.startRun('exp', 'r');
    await run.logArtifact('m.json', '{}');
    await registry.registerVersion({ name: 'predict-iforest', runId: run.id, artifactPath: 'm.json' });
    const dead = join(root, 'models', 'predict-iforest', 'version-2');
    await mkdir(dead);
    const old = new Date(Date.now() - 60_000);
    await utimes(dead, old, old);
    const v = await registry.registerVersion({
      name: 'predict-iforest',
      runId: run.id,
      artifactPath: 'm.json',
    });
    expect(v.version).toBe(3);
    expect((await registry.listVersions('predict-iforest')).map((x) => x.version)).toEqual([1, 3]);
  });

  it('two processes writing runs and registering versions at once do not corrupt the store', async () => {
    const root = join(dir, 'mlruns');
    const n = 200;
    const [x, y] = await Promise.all([runChild(root, 'x', n), runChild(root, 'yy', n)]);
    expect(x.experimentId).toBe(y.experimentId);
    expect(await experimentDirsNamed(root, 'concurrency')).toEqual([x.experimentId]);
    // Each registration got its own version number.
    expect([x.version, y.version].sort()).toEqual([1, 2]);
    const tracker = new FileStoreTracker(root);
    for (const r of [x, y]) {
      const rec = await tracker.getRun(r.runId);
      expect(rec.status).toBe('FINISHED');
      expect(rec.metrics.loss).toHaveLength(n);
      expect(rec.metrics.loss!.every((p, i) => p.step === i && Math.abs(p.value - 1 / (i + 1)) < 1e-12)).toBe(
        true,
      );
    }
    const registry = new FileModelRegistry(root);
    const versions = await registry.listVersions('series-anomaly');
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    const byRun = new Map(versions.map((v) => [v.runId, v]));
    const bytesX = new TextDecoder().decode(
      await registry.loadArtifact('series-anomaly', byRun.get(x.runId)!.version),
    );
    expect(JSON.parse(bytesX)).toEqual({ writer: 'x' });
    const modelMeta = await readYaml(join(root, 'models', 'series-anomaly', 'meta.yaml'));
    expect(modelMeta.name).toBe('series-anomaly');
  });
});
