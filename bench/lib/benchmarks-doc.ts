/**
 * Renders `docs/benchmarks.md` from every `bench/results/*.json`. Each benchmark writes its own shape,
 * so the renderer asks each file for a `summary` array of `{metric, value, unit, target?, baseline?,
 * ratio?}` (and optional `notes` text) and, when there is none, lists the file's numeric leaves (nested keys joined with dots,
 * arrays of records as small tables). `runs.json` (written by bench/run.ts) becomes the run-status table.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SummaryRow {
  metric: string;
  value: number | string;
  unit?: string;
  target?: number | string;
  baseline?: number | string;
  ratio?: number;
}

export interface BenchRun {
  name: string;
  file: string;
  status: 'ok' | 'failed' | 'timeout' | 'skipped';
  seconds: number;
  exitCode: number | null;
  smoke: boolean;
  at: string;
  note?: string;
}

const MAX_LEAVES = 40;
const MAX_TABLE_ROWS = 20;

function fmt(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    const abs = Math.abs(v);
    return abs >= 100 ? v.toFixed(0) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function isSummaryRow(x: unknown): x is SummaryRow {
  return typeof x === 'object' && x !== null && 'metric' in x && 'value' in x;
}

/** Numeric and short string leaves of a JSON value, as `path → value`. */
function leaves(v: unknown, path: string, out: Array<[string, unknown]>): void {
  if (out.length >= MAX_LEAVES) return;
  if (typeof v === 'number' || typeof v === 'boolean') out.push([path, v]);
  else if (typeof v === 'string') {
    if (v.length <= 80) out.push([path, v]);
  } else if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) out.push([path, v.map((x) => fmt(x)).join(', ')]);
    // Arrays of records are rendered as tables by the caller.
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  }
}

function recordArrays(v: unknown, path: string, out: Array<[string, Record<string, unknown>[]]>): void {
  if (Array.isArray(v)) {
    if (
      v.length > 0 &&
      v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x)) &&
      !v.every(isSummaryRow)
    )
      out.push([path, v as Record<string, unknown>[]]);
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) recordArrays(x, path ? `${path}.${k}` : k, out);
  }
}

function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function summaryTable(rows: SummaryRow[]): string {
  return table(
    ['metric', 'value', 'unit', 'target', 'baseline', 'ratio'],
    rows.map((r) => [
      fmt(r.metric),
      fmt(r.value),
      fmt(r.unit),
      fmt(r.target),
      fmt(r.baseline),
      r.ratio === undefined ? '' : fmt(r.ratio),
    ]),
  );
}

function recordTable(rows: Record<string, unknown>[]): string {
  const headers = [...new Set(rows.slice(0, MAX_TABLE_ROWS).flatMap((r) => Object.keys(r)))].filter((h) =>
    rows.some((r) => typeof r[h] !== 'object' || r[h] === null),
  );
  const body = rows
    .slice(0, MAX_TABLE_ROWS)
    .map((r) => headers.map((h) => (typeof r[h] === 'object' ? '' : fmt(r[h]))));
  const more =
    rows.length > MAX_TABLE_ROWS ? `\n\n(${rows.length - MAX_TABLE_ROWS} more rows in the JSON file)` : '';
  return table(headers, body) + more;
}

/** When and where a result was measured, from whichever of the common fields the file has. */
function provenance(data: Record<string, unknown>): string {
  const m = (data.machine ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  const date = data.date ?? data.generatedAt;
  if (date) parts.push(`measured ${fmt(date)}`);
  const cpu = m.cpu ?? data.cpu;
  const cores = m.cores ?? m.cpus ?? data.cores;
  if (cpu && cores) parts.push(`${fmt(cpu)} × ${fmt(cores)} cores`);
  else if (cpu || cores) parts.push(cpu ? fmt(cpu) : `${fmt(cores)} cores`);
  const node = m.node ?? data.node;
  if (node) parts.push(`Node ${fmt(node)}`);
  const load = m.loadavg ?? data.loadavg;
  if (Array.isArray(load)) parts.push(`load average ${load.map((x) => fmt(x)).join('/')}`);
  const git = data.git as { commit?: string; dirty?: boolean } | undefined;
  if (git?.commit)
    parts.push(`commit ${git.commit.slice(0, 10)}${git.dirty ? ' (uncommitted changes)' : ''}`);
  if (data.smoke === true) parts.push('**smoke run (small sizes; not representative)**');
  return parts.join(', ');
}

/** One benchmark's section. */
export function renderBenchmark(name: string, data: unknown): string {
  const out: string[] = [`## ${name}`, ''];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    out.push('(result file is not a JSON object)', '');
    return out.join('\n');
  }
  const d = data as Record<string, unknown>;
  const prov = provenance(d);
  if (prov) out.push(prov, '');
  // Optional `notes` (a string or strings): what the numbers mean, in the benchmark's own words.
  const notes =
    typeof d.notes === 'string'
      ? [d.notes]
      : Array.isArray(d.notes)
        ? d.notes.filter((n) => typeof n === 'string')
        : [];
  for (const n of notes) out.push(n, '');
  if (Array.isArray(d.summary) && d.summary.every(isSummaryRow)) {
    out.push(summaryTable(d.summary), '');
  } else {
    const ls: Array<[string, unknown]> = [];
    const { machine: _m, git: _g, notes: _n, ...rest } = d;
    leaves(rest, '', ls);
    if (ls.length > 0)
      out.push(
        table(
          ['key', 'value'],
          ls.map(([k, v]) => [k, fmt(v)]),
        ),
        '',
      );
    const arrays: Array<[string, Record<string, unknown>[]]> = [];
    recordArrays(rest, '', arrays);
    for (const [path, rows] of arrays.slice(0, 6)) out.push(`### ${path}`, '', recordTable(rows), '');
  }
  return out.join('\n');
}

function runsTable(runs: BenchRun[]): string {
  return table(
    ['benchmark', 'status', 'seconds', 'exit', 'smoke', 'at', 'note'],
    runs.map((r) => [
      r.name,
      r.status,
      fmt(r.seconds),
      fmt(r.exitCode),
      fmt(r.smoke),
      r.at,
      fmt(r.note ?? ''),
    ]),
  );
}

/** The whole document from a results folder. */
export function renderBenchmarksDoc(resultsDir: string): string {
  const files = readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const parts: string[] = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (bench/run.ts) from `bench/results/*.json`; do not edit by hand.',
    'Each benchmark script writes its own result file; `npm run bench -- --only NAME` reruns one,',
    '`--smoke` checks that they all still run (small sizes, results not kept).',
    '',
    'All numbers come from the 2-core machine the project runs on, which is shared with other work while',
    'the project is being built: wall-clock rates vary with the load average that each section records.',
    '',
  ];
  let runs: BenchRun[] | undefined;
  const sections: string[] = [];
  for (const f of files) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(join(resultsDir, f), 'utf8'));
    } catch (err) {
      sections.push(
        `## ${f.replace(/\.json$/, '')}\n\n(unreadable result file: ${fmt((err as Error).message)})\n`,
      );
      continue;
    }
    if (f === 'runs.json') {
      if (Array.isArray((data as { runs?: unknown }).runs)) runs = (data as { runs: BenchRun[] }).runs;
      continue;
    }
    sections.push(renderBenchmark(f.replace(/\.json$/, ''), data));
  }
  if (runs && runs.length > 0) parts.push('## Last run', '', runsTable(runs), '');
  parts.push(...sections);
  return `${parts.join('\n').trimEnd()}\n`;
}
