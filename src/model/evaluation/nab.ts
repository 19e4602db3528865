/**
 * NAB (Numenta Anomaly Benchmark) harness: runs streaming detectors row by row over a folder in NAB's
 * layout (`DIR/data/<category>/<file>.csv`, `DIR/labels/combined_windows.json`) and writes NAB's results
 * layout `OUT/<detector>/<category>/<detector>_<file>.csv` (`timestamp,value,anomaly_score,label`, label 0:
 * the scorer takes the windows from the labels file). Scoring is NAB's own method, done by
 * `shared/tools/nab-score`; `nabScoreTable` turns its `--json` output into a table.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { CrimePulseError } from '../../core/errors.js';
import type { DetectorFactory } from '../streaming/detector.js';
import { probationaryRows } from '../streaming/detector.js';
import { createEnsembleDetector } from '../streaming/ensemble-detector.js';
import { createEnsemble2Detector } from '../streaming/ensemble2-detector.js';
import { createIForestDetector } from '../streaming/iforest-detector.js';

/** Detectors known by name (names carry no `_`: NAB splits result file names on it). */
export const NAB_DETECTORS: Readonly<Record<string, DetectorFactory>> = {
  cpEnsemble: (info) => createEnsembleDetector(info),
  cpEnsemble2: (info) => createEnsemble2Detector(info),
  iforest: createIForestDetector,
};

export interface NabSeries {
  /** `<category>/<file>.csv`, the key of combined_windows.json. */
  readonly key: string;
  readonly category: string;
  readonly file: string;
  readonly timestamps: string[];
  readonly times: Float64Array;
  readonly values: Float64Array;
}

export interface NabProgress {
  readonly detector: string;
  readonly series: string;
  readonly done: number;
  readonly total: number;
  readonly rows: number;
  readonly ms: number;
}

export interface RunNabOptions {
  readonly dataDir: string;
  readonly outDir: string;
  /** Detector names from NAB_DETECTORS, or name → factory. Default: all of NAB_DETECTORS. */
  readonly detectors?: readonly string[] | Readonly<Record<string, DetectorFactory>>;
  /** Only these series keys (`<category>/<file>.csv`); default all. */
  readonly only?: readonly string[];
  readonly onProgress?: (p: NabProgress) => void;
}

export interface RunNabResult {
  readonly detectors: string[];
  readonly series: number;
  readonly rows: number;
  readonly ms: number;
}

/** `2014-07-01 00:30:00` (NAB, UTC) → epoch ms. */
export function parseNabTime(s: string): number {
  const ms = Date.parse(`${s.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new CrimePulseError('CP_ERR_RECORD_INVALID', `bad NAB timestamp: ${s}`);
  return ms;
}

/** Parses one NAB data file (`timestamp,value`, no quoting). */
export function parseNabCsv(
  text: string,
  key: string,
): Omit<NabSeries, 'category' | 'file' | 'key'> & { key: string } {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0]?.trim() !== 'timestamp,value') {
    throw new CrimePulseError('CP_ERR_RECORD_INVALID', `${key}: expected header timestamp,value`);
  }
  const n = lines.length - 1;
  const timestamps = new Array<string>(n);
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const line = lines[i + 1] as string;
    const comma = line.indexOf(',');
    const ts = line.slice(0, comma);
    const v = Number(line.slice(comma + 1));
    if (comma < 0 || !Number.isFinite(v))
      throw new CrimePulseError('CP_ERR_RECORD_INVALID', `${key}: bad row ${i + 2}`);
    timestamps[i] = ts;
    times[i] = parseNabTime(ts);
    values[i] = v;
  }
  return { key, timestamps, times, values };
}

/** Lists and reads every `data/<category>/<file>.csv` under `dataDir`, sorted by key. */
export async function readNabData(dataDir: string, only?: readonly string[]): Promise<NabSeries[]> {
  const root = path.join(dataDir, 'data');
  const cats = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const out: NabSeries[] = [];
  for (const category of cats.sort()) {
    const files = (await readdir(path.join(root, category))).filter((f) => f.endsWith('.csv')).sort();
    for (const file of files) {
      const key = `${category}/${file}`;
      if (only && !only.includes(key)) continue;
      const parsed = parseNabCsv(await readFile(path.join(root, category, file), 'utf8'), key);
      out.push({ ...parsed, category, file });
    }
  }
  return out;
}

export const NabWindows = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));
export type NabWindows = z.infer<typeof NabWindows>;

export async function readNabWindows(dataDir: string): Promise<NabWindows> {
  return NabWindows.parse(
    JSON.parse(await readFile(path.join(dataDir, 'labels', 'combined_windows.json'), 'utf8')),
  );
}

/** Runs one detector over one series, row by row. */
export function scoreSeries(
  factory: DetectorFactory,
  series: Pick<NabSeries, 'times' | 'values'>,
): Float64Array {
  const n = series.values.length;
  const det = factory({ probationaryRows: probationaryRows(n) });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = det.step(series.times[i] as number, series.values[i] as number);
    out[i] = Number.isFinite(s) ? s : 0;
  }
  return out;
}

function resolveDetectors(d: RunNabOptions['detectors']): [string, DetectorFactory][] {
  if (d === undefined) return Object.entries(NAB_DETECTORS);
  if (Array.isArray(d)) {
    return (d as readonly string[]).map((name) => {
      const f = NAB_DETECTORS[name];
      if (!f) {
        throw new CrimePulseError('CP_ERR_CONFIG_INVALID', `unknown NAB detector ${name}`, {
          details: { known: Object.keys(NAB_DETECTORS) },
        });
      }
      return [name, f];
    });
  }
  return Object.entries(d as Record<string, DetectorFactory>);
}

/** Runs detectors over every series and writes NAB's results layout under `outDir`. */
export async function runNab(options: RunNabOptions): Promise<RunNabResult> {
  const t0 = performance.now();
  const detectors = resolveDetectors(options.detectors);
  for (const [name] of detectors) {
    if (name.includes('_') || name.length === 0) {
      throw new CrimePulseError('CP_ERR_CONFIG_INVALID', `NAB detector names may not contain "_": ${name}`);
    }
  }
  const series = await readNabData(options.dataDir, options.only);
  if (series.length === 0)
    throw new CrimePulseError('CP_ERR_CONFIG_INVALID', `no NAB data files under ${options.dataDir}/data`);
  let rows = 0;
  let done = 0;
  const total = series.length * detectors.length;
  for (const [name, factory] of detectors) {
    for (const s of series) {
      const t = performance.now();
      const scores = scoreSeries(factory, s);
      const lines = ['timestamp,value,anomaly_score,label'];
      for (let i = 0; i < scores.length; i++) {
        lines.push(`${s.timestamps[i]},${s.values[i]},${scores[i]},0`);
      }
      const dir = path.join(options.outDir, name, s.category);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, `${name}_${s.file}`), `${lines.join('\n')}\n`);
      rows += scores.length;
      done++;
      options.onProgress?.({
        detector: name,
        series: s.key,
        done,
        total,
        rows: scores.length,
        ms: performance.now() - t,
      });
    }
  }
  return { detectors: detectors.map(([n]) => n), series: series.length, rows, ms: performance.now() - t0 };
}

/** nab-score's `--json` output: `{detector: {standard, reward_low_FP_rate, reward_low_FN_rate}}`. */
export const NabScoreJson = z.record(
  z.string(),
  z.object({ standard: z.number(), reward_low_FP_rate: z.number(), reward_low_FN_rate: z.number() }),
);

export interface NabScoreRow {
  readonly detector: string;
  readonly standard: number;
  readonly lowFP: number;
  readonly lowFN: number;
}

/** The score table (best standard score first) from nab-score's JSON. */
export function nabScoreTable(json: unknown): NabScoreRow[] {
  const parsed = NabScoreJson.parse(json);
  return Object.entries(parsed)
    .map(([detector, s]) => ({
      detector,
      standard: s.standard,
      lowFP: s.reward_low_FP_rate,
      lowFN: s.reward_low_FN_rate,
    }))
    .sort((a, b) => b.standard - a.standard);
}

/** Formats the table as Markdown (2 decimals), for reports and the CLI. */
export function formatNabScoreTable(rows: readonly NabScoreRow[]): string {
  const lines = ['| detector | standard | low FP | low FN |', '|---|---:|---:|---:|'];
  for (const r of rows)
    lines.push(
      `| ${r.detector} | ${r.standard.toFixed(2)} | ${r.lowFP.toFixed(2)} | ${r.lowFN.toFixed(2)} |`,
    );
  return lines.join('\n');
}

/**
 * Runs the external scorer (`nab-score --results OUT --json FILE`) and returns the table. The scorer is a
 * parameter (its path lives outside the repository), as are its data folder and the detectors.
 */
export async function scoreNab(options: {
  readonly scorer: string;
  readonly resultsDir: string;
  readonly jsonOut: string;
  readonly dataDir?: string;
  readonly detectors?: readonly string[];
  /** Score on the files present only (`--allow-missing`), e.g. for a split of the corpus. */
  readonly allowMissing?: boolean;
}): Promise<NabScoreRow[]> {
  const args = ['--results', options.resultsDir, '--json', options.jsonOut, '--quiet'];
  if (options.allowMissing) args.push('--allow-missing');
  if (options.dataDir) args.push('--data', options.dataDir);
  if (options.detectors) args.push('--detectors', options.detectors.join(','));
  try {
    await promisify(execFile)(options.scorer, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw new CrimePulseError('CP_ERR_INTERNAL', `nab-score failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return nabScoreTable(JSON.parse(await readFile(options.jsonOut, 'utf8')));
}
