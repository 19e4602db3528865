/**
 * `npm run bench`: runs every benchmark script in bench/ (each a child process with a timeout; a failure
 * is recorded and the run goes on), then regenerates docs/benchmarks.md from bench/results/*.json.
 *
 *   npm run bench                          all of them, full sizes
 *   npm run bench -- --only ingest,iforest a subset (names: file name without `.bench.ts` / `.ts`)
 *   npm run bench -- --smoke               small sizes, to check they still run (CI); the result files
 *                                          and docs are restored afterwards unless --keep is given
 *   npm run bench -- --timeout 900         seconds per benchmark (default 1800; smoke 300)
 *   npm run bench -- --docs-only           only regenerate docs/benchmarks.md
 *   npm run bench -- --list                print the benchmarks found
 *
 * A benchmark is any `*.ts` file directly in bench/ other than this one (helpers live in bench/lib/).
 * Each is run as `node bin/run-ts.js bench/<file>` with `--smoke` and BENCH_SMOKE=1 in smoke mode, plus
 * the size knobs of the scripts that predate the flag (SMOKE_SETTINGS). Its output goes to a log file in
 * the OS temp folder, whose tail is printed when it fails.
 */
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { type BenchRun, renderBenchmarksDoc } from './lib/benchmarks-doc.js';
import { type BenchScript, findBenchmarks } from './lib/find-benchmarks.js';

const BENCH_DIR = 'bench';
const RESULTS_DIR = join(BENCH_DIR, 'results');
const DOC = join('docs', 'benchmarks.md');

/** Extra arguments and environment for a smoke run of scripts that have their own size knobs. */
const SMOKE_SETTINGS: Record<string, { args?: string[]; env?: Record<string, string> }> = {
  pipeline: { env: { BENCH_EVENTS: '20000', BENCH_BATCH: '5000' } },
  'api-predict': { args: ['--duration', '1'] },
  backtest: { args: ['--no-hourly'] },
};

function runOne(
  bench: BenchScript,
  options: { smoke: boolean; timeoutS: number; logDir: string },
): Promise<BenchRun> {
  const started = Date.now();
  const at = new Date(started).toISOString();
  const extra = options.smoke ? SMOKE_SETTINGS[bench.name] : undefined;
  const args = ['bin/run-ts.js', bench.file, ...(options.smoke ? ['--smoke', ...(extra?.args ?? [])] : [])];
  const env = { ...process.env, ...(options.smoke ? { BENCH_SMOKE: '1', ...(extra?.env ?? {}) } : {}) };
  const logFile = join(options.logDir, `${bench.name}.log`);
  const log = createWriteStream(logFile);
  return new Promise((resolve) => {
    // Its own process group, so a timeout ends the benchmark and any servers it started, and nothing else.
    const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutS * 1000);
    const finish = (code: number | null, note?: string) => {
      clearTimeout(timer);
      log.end();
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      const status: BenchRun['status'] = timedOut ? 'timeout' : code === 0 ? 'ok' : 'failed';
      const run: BenchRun = {
        name: bench.name,
        file: bench.file,
        status,
        seconds,
        exitCode: code,
        smoke: options.smoke,
        at,
      };
      const why = timedOut ? `no result within ${options.timeoutS} s` : note;
      if (why) run.note = why;
      resolve(run);
    };
    child.on('error', (err) => finish(null, err.message));
    child.on('close', (code) => finish(code));
  });
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Every result file's text, to put back after a smoke run. */
function snapshotResults(): Map<string, string> {
  const saved = new Map<string, string>();
  if (!existsSync(RESULTS_DIR)) return saved;
  for (const f of readdirSync(RESULTS_DIR))
    if (f.endsWith('.json')) saved.set(f, readFileSync(join(RESULTS_DIR, f), 'utf8'));
  return saved;
}

function restoreResults(saved: Map<string, string>): void {
  // Result files that only the smoke run wrote are removed: they hold smoke numbers.
  for (const f of readdirSync(RESULTS_DIR))
    if (f.endsWith('.json') && !saved.has(f)) rmSync(join(RESULTS_DIR, f));
  for (const [f, text] of saved) writeFileSync(join(RESULTS_DIR, f), text);
}

function writeDoc(): void {
  mkdirSync('docs', { recursive: true });
  writeFileSync(DOC, renderBenchmarksDoc(RESULTS_DIR));
  console.log(`wrote ${DOC}`);
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('bench')
    .option('--only <names>', 'comma-separated benchmark names')
    .option('--smoke', 'small sizes; check that the benchmarks still run', false)
    .option('--keep', 'with --smoke: keep the smoke results instead of restoring the previous ones', false)
    .option('--timeout <seconds>', 'per-benchmark timeout in seconds')
    .option('--docs-only', 'only regenerate docs/benchmarks.md', false)
    .option('--list', 'list the benchmarks and exit', false)
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{
    only?: string;
    smoke: boolean;
    keep: boolean;
    timeout?: string;
    docsOnly: boolean;
    list: boolean;
  }>();
  const all = findBenchmarks();
  if (opts.list) {
    for (const b of all) console.log(`${b.name}\t${b.file}`);
    return 0;
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (opts.docsOnly) {
    writeDoc();
    return 0;
  }
  const wanted = opts.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted?.filter((w) => !all.some((b) => b.name === w)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const selected = wanted ? all.filter((b) => wanted.includes(b.name)) : all;
  const timeoutS = Number(opts.timeout ?? (opts.smoke ? 300 : 1800));
  const logDir = join(tmpdir(), `crimepulse-bench-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const saved = opts.smoke && !opts.keep ? snapshotResults() : undefined;

  const runs: BenchRun[] = [];
  for (const bench of selected) {
    console.log(`▶ ${bench.name} (${bench.file})${opts.smoke ? ' [smoke]' : ''}`);
    const run = await runOne(bench, { smoke: opts.smoke, timeoutS, logDir });
    runs.push(run);
    console.log(
      `  ${run.status} in ${run.seconds} s${run.note ? `: ${run.note}` : ''} (log: ${join(logDir, `${bench.name}.log`)})`,
    );
    if (run.status !== 'ok') console.log(tail(join(logDir, `${bench.name}.log`)).replace(/^/gm, '  | '));
  }

  if (saved) {
    // The document generator still runs over the smoke results, so CI checks it too; nothing is written.
    renderBenchmarksDoc(RESULTS_DIR);
    restoreResults(saved);
    console.log('smoke run: previous result files restored (use --keep to keep the smoke results)');
  } else {
    // Keep the status of benchmarks not run this time, so the table covers every benchmark.
    let previous: BenchRun[] = [];
    try {
      previous =
        (JSON.parse(readFileSync(join(RESULTS_DIR, 'runs.json'), 'utf8')) as { runs: BenchRun[] }).runs ?? [];
    } catch {
      previous = [];
    }
    const merged = new Map(previous.map((r) => [r.name, r]));
    for (const r of runs) merged.set(r.name, r);
    const ordered = [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));
    writeFileSync(join(RESULTS_DIR, 'runs.json'), `${JSON.stringify({ runs: ordered }, null, 2)}\n`);
    writeDoc();
  }
  const failed = runs.filter((r) => r.status !== 'ok');
  console.log(`${runs.length - failed.length} passed, ${failed.length} failed`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
