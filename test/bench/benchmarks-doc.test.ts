import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderBenchmarksDoc } from '../../bench/lib/benchmarks-doc.js';
import { findBenchmarks } from '../../bench/lib/find-benchmarks.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-bench-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('renderBenchmarksDoc', () => {
  it('renders a summary table, falls back to key numbers and record tables, and survives a broken file', () => {
    writeFileSync(
      join(dir, 'ingest.json'),
      JSON.stringify({
        date: '2026-11-25T00:00:00.000Z',
        machine: { cpu: 'AMD EPYC', cores: 2, node: 'v20.20.2', loadavg: [1, 2, 3] },
        git: { commit: 'abcdef0123456789', dirty: true },
        summary: [
          {
            metric: 'normalise + publish',
            value: 123456,
            unit: 'events/s',
            target: 100000,
            baseline: 300000,
            ratio: 0.41152,
          },
          { metric: 'peak RSS', value: 512, unit: 'MiB' },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'backtest.json'),
      JSON.stringify({ seconds: 24.682, nested: { mae: 0.5 }, rows: [{ dataset: 'chicago', mae: 2.5 }] }),
    );
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    writeFileSync(
      join(dir, 'runs.json'),
      JSON.stringify({
        runs: [
          {
            name: 'ingest',
            file: 'bench/ingest.bench.ts',
            status: 'timeout',
            seconds: 1800,
            exitCode: null,
            smoke: false,
            at: 'x',
            note: 'slow',
          },
        ],
      }),
    );
    const md = renderBenchmarksDoc(dir);
    expect(md).toContain('## ingest');
    expect(md).toContain('| normalise + publish | 123,456 | events/s | 100,000 | 300,000 | 0.412 |');
    expect(md).toContain('AMD EPYC × 2 cores');
    expect(md).toContain('commit abcdef0123 (uncommitted changes)');
    expect(md).toContain('| seconds | 24.68 |');
    expect(md).toContain('| nested.mae | 0.500 |');
    expect(md).toContain('| chicago | 2.50 |');
    expect(md).toContain('## broken');
    expect(md).toContain('unreadable result file');
    expect(md).toContain('| ingest | timeout | 1,800 |');
    expect(md).not.toContain('## runs');
  });
});

describe('findBenchmarks', () => {
  it('lists the scripts directly in bench/ by name, not the runner or helpers', () => {
    const names = findBenchmarks('bench').map((b) => b.name);
    expect(names).toContain('ingest');
    expect(names).not.toContain('run');
    expect(names).not.toContain('benchmarks-doc');
  });
});
