/** Shared helpers for the tracking tests: temp dirs, YAML reading, PyYAML cross-checks, log capture. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'yaml';
import { createLogger, type Logger } from '../../src/core/logger.js';

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `crimepulse-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function readYaml(path: string): Promise<Record<string, unknown>> {
  return parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

const PY_CHECK = `
import json, sys, yaml
out = {}
for p in sys.argv[1:]:
    with open(p) as f:
        d = yaml.safe_load(f)
    out[p] = {k: [type(v).__name__, v] for k, v in d.items()}
print(json.dumps(out))
`;

/** True when python3 with PyYAML (what MLflow reads meta.yaml with) is on this machine. */
export const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;

/** Loads meta.yaml files with PyYAML's safe_load, as MLflow does: `{file: {key: [pythonType, value]}}`. */
export function pyYamlTypes(files: string[]): Record<string, Record<string, [string, unknown]>> {
  const r = spawnSync('python3', ['-c', PY_CHECK, ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, Record<string, [string, unknown]>>;
}

/** A pino logger whose JSON lines are collected in `lines`. */
export function captureLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n'))
        if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination: dest }), lines };
}

/** A fixed clock advancing 1 ms per call, so timestamps are predictable. */
export function steppingClock(start = 1_732_000_000_000): () => number {
  let t = start;
  return () => t++;
}
